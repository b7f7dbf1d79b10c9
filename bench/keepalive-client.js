// A keep-alive HTTP load that behaves like a well-written client (undici, browsers, wrk): each of `connections`
// loops sends its next request only after the previous response, on a keep-alive agent that honours
// `Connection: close`. Every request that does not get a 2xx answer is counted, with its reason. (autocannon does
// not honour Connection: close, so against a draining server it counts requests it should never have sent.)
'use strict';
const http = require('node:http');

/** Runs the load on 127.0.0.1:port for `seconds` and resolves with { requests, failures: string[] }. */
function keepAliveLoad(port, connections, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const end = Date.now() + seconds * 1000;
  const result = { requests: 0, failures: [] };
  const once = () =>
    new Promise(resolve => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 10_000 }, res => {
        res.resume();
        res.on('end', () => {
          result.requests++;
          if (res.statusCode < 200 || res.statusCode > 299) result.failures.push(`status ${res.statusCode}`);
          resolve();
        });
        res.on('error', e => {
          result.failures.push(`response ${e.code ?? e.message}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', e => {
        result.failures.push(`request ${e.code ?? e.message}`);
        resolve();
      });
    });
  const loop = async () => {
    while (Date.now() < end) await once();
  };
  return Promise.all(Array.from({ length: connections }, loop)).then(() => {
    agent.destroy();
    return result;
  });
}

module.exports = { keepAliveLoad };
