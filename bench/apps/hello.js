// The benchmark's app: a tiny JSON handler, the same one bench/apps/cluster-hello.js and the plain-node baseline
// serve, so that only the process manager differs between them.
'use strict';

const BODY = JSON.stringify({ hello: 'world' });

module.exports = function hello(req, res) {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
  res.end(BODY);
};
