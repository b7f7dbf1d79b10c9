// The smallest prefork app: a request listener. prefork serves it on the --bind sockets in every worker.
const { datasets } = require('prefork');

module.exports = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ pid: process.pid, datasets: datasets() }));
};
