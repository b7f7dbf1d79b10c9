// A hono app with @hono/node-server's serve(), as hono's Node.js guide writes it, served by prefork unmodified:
//   prefork start examples/hono/app.mjs --share items=examples/recommender/data/items.npy --workers 4
// (An app that only does `export default app` works too: prefork calls its fetch().)
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { dataset, datasets } from 'prefork';

const app = new Hono();

app.get('/', c => {
  const name = process.env.DATASET ?? datasets()[0];
  const v = dataset(name).array();
  return c.json({ framework: 'hono', pid: process.pid, dataset: name, length: v.length, first: v[0] });
});

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) });
