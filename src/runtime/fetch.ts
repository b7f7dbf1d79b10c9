// Serves a web-standard `fetch(Request) → Response` app (Hono, itty, Bun-style) on Node's http server.
import type * as http from 'node:http';
import { Readable } from 'node:stream';
import type { FetchApp } from './app';

/** A request listener that turns each request into a Request and writes the app's Response back. */
export function fetchListener(app: FetchApp): http.RequestListener {
  return (req, res) => {
    respond(app, req, res).catch(err => {
      process.stderr.write(`prefork worker ${process.pid}: fetch handler failed: ${(err as Error)?.stack ?? String(err)}\n`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('Internal Server Error\n');
      } else {
        res.destroy();
      }
    });
  };
}

async function respond(app: FetchApp, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '');
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  const response = await app.fetch(new Request(url, init));
  const out: [string, string][] = [];
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie') out.push([k, v]);
  });
  for (const c of response.headers.getSetCookie()) out.push(['set-cookie', c]);
  res.writeHead(response.status, response.statusText, out.flat());
  if (response.body === null || method === 'HEAD') {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) {
        // a client that goes away never drains: stop waiting when the response closes
        await new Promise(resolve => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
    }
  } finally {
    if (res.destroyed) void reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  res.end();
}
