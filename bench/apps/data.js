// Bench app for reloads: answers with its generation and the first value of dataset 'd'.
const { dataset, generation } = require('prefork');

module.exports = (req, res) => {
  const d = dataset('d').array();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ generation: generation(), value: d[0] }));
};
