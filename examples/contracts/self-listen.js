// App contract (d): the app calls listen() itself, as most Express apps do (`app.listen(3000)`). prefork hands that
// call the inherited --bind socket instead of the port the app asked for, so every worker shares one address.
//   prefork start examples/contracts/self-listen.js --workers 2 --bind 127.0.0.1:8000
const http = require('node:http');

const server = http.createServer((req, res) => res.end(JSON.stringify({ kind: 'self-listen', pid: process.pid })));
server.listen(3000, () => {
  // runs once prefork's socket is listening
});
