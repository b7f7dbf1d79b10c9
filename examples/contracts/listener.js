// App contract (a): the default export is a request listener, `(req, res) => …`, as for http.createServer.
// prefork creates the server in each worker and serves it on every --bind socket.
//   prefork start examples/contracts/listener.js --workers 2
const { generation } = require('prefork');

module.exports = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ kind: 'listener', pid: process.pid, generation: generation() }));
};
