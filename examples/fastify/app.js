// A fastify app as fastify's docs write it, served by prefork unmodified:
//   prefork start examples/fastify/app.js --share items=examples/recommender/data/items.npy --workers 4
// `fastify.listen({ port })` on PORT (which prefork sets) gets prefork's socket.
const fastify = require('fastify')({ logger: false });
const { dataset, datasets } = require('prefork');

fastify.get('/', async () => {
  const name = process.env.DATASET ?? datasets()[0];
  const v = dataset(name).array();
  return { framework: 'fastify', pid: process.pid, dataset: name, length: v.length, first: v[0] };
});

fastify.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' }, err => {
  if (err) throw err;
});
