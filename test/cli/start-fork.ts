import { startSuite } from '../helpers/start-suite';
startSuite('fork');
