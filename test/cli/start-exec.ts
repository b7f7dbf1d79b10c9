import { startSuite } from '../helpers/start-suite';
startSuite('exec');
