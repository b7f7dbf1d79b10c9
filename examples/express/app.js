// An express app as express's own docs write it, served by prefork unmodified:
//   prefork start examples/express/app.js --share items=examples/recommender/data/items.npy --workers 4
// prefork sets PORT to its --bind port, so `app.listen(PORT)` gets prefork's socket; the shared dataset is read
// through `dataset()` in every worker, no copy.
const express = require('express');
const { dataset, datasets } = require('prefork');

const app = express();

app.get('/', (req, res) => {
  const name = process.env.DATASET ?? datasets()[0];
  const v = dataset(name).array();
  res.json({ framework: 'express', pid: process.pid, dataset: name, length: v.length, first: v[0] });
});

const port = process.env.PORT ?? 3000;
app.listen(port, () => console.log(`express app listening on port ${port}`));
