// App contract (b): the default export has `fetch(Request) → Response`, the web-standard shape of Hono, itty-router
// and Bun. prefork turns each request into a Request and writes the Response back. ESM works as well as CommonJS.
//   prefork start examples/contracts/fetch.mjs --workers 2
import { generation } from 'prefork';

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const body = request.method === 'POST' ? await request.text() : '';
    return Response.json(
      { kind: 'fetch', pid: process.pid, path: url.pathname, body, generation: generation() },
      { headers: { 'x-app': 'fetch' } },
    );
  },
};
