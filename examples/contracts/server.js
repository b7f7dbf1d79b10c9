// App contract (c): the default export is an http.Server that is not listening yet (for apps that configure the
// server object: timeouts, 'upgrade' handlers). prefork makes it listen on the inherited socket.
//   prefork start examples/contracts/server.js --workers 2
const http = require('node:http');

const server = http.createServer((req, res) => res.end(JSON.stringify({ kind: 'server', pid: process.pid })));
server.keepAliveTimeout = 10_000;
module.exports = server;
