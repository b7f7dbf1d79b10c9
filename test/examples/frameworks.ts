// express, fastify and hono apps written as their own docs write them (examples/), served by prefork unmodified:
// each listens on PORT, gets prefork's --bind socket, and reads the shared dataset in every worker.
import * as path from 'node:path';
import t from 'tap';
import { FIXTURES, firstReplyPerWorker, ROOT, startPrefork } from '../helpers/prefork';

interface Answer {
  framework: string;
  pid: number;
  dataset: string;
  length: number;
  first: number;
}

for (const [framework, file] of [['express', 'app.js'], ['fastify', 'app.js'], ['hono', 'app.mjs']] as const) {
  t.test(`${framework}: an unmodified app serves the shared dataset from every worker`, async t => {
    const app = path.join(ROOT, 'examples', framework, file);
    const p = await startPrefork(t, ['start', app, '--share', `items=${path.join(FIXTURES, 'f64_vector.npy')}`, '--bind', '127.0.0.1:0', '--workers', '2']);
    const replies = await firstReplyPerWorker<Answer>(p.port, 2);
    t.equal(replies.size, 2, 'both workers answered');
    for (const r of replies.values()) {
      t.match(r, { framework, dataset: 'items', length: 1000 }, `worker ${r.pid}: ${framework} read 1000 elements of 'items'`);
      t.equal(typeof r.first, 'number');
    }
    t.equal(new Set([...replies.values()].map(r => r.first)).size, 1, 'the same data in each');
    t.notMatch(p.output(), /is not a --bind socket/, 'the app listened on prefork\'s socket');
  });
}
