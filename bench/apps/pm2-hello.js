// The PM2 baseline for `npm run bench`: the app as PM2's cluster mode (`pm2 start … -i N`) runs it, listening on
// $PORT itself; the same handler prefork and node:cluster serve (bench/apps/hello.js).
'use strict';
const http = require('node:http');
const hello = require('./hello.js');

http.createServer(hello).listen(Number(process.env.PORT), '127.0.0.1');
