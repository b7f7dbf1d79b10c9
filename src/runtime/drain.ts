// Draining without dropping a request, with no help from the app (docs/ARCHITECTURE.md, "Draining"): close only the listening
// handle; answer the next request on each open connection with `Connection: close`; close a connection that stays
// idle only after a grace period, because one that looks idle may already have the client's next request on the wire.
//
// The request path costs two counter increments and one listener with no closure (bench/README.md, "drain
// bookkeeping"): what a connection is doing comes from the socket itself (`_httpMessage`, the response Node is
// writing on it, set from the moment a request is parsed until its response finishes), so nothing per request is
// kept until a drain begins.
import type * as http from 'node:http';
import * as net from 'node:net';
import { FIELD, LISTENER_FIELDS, SLOT_FIELDS } from '../scoreboard';

interface ConnState {
  idleTimer: NodeJS.Timeout | undefined;
}

/** Node's http server keeps the response it is writing on the socket: set while a request is served, null between. */
type HttpSocket = net.Socket & { _httpMessage?: http.ServerResponse | null };

const conns = new Map<HttpSocket, ConnState>();
let draining = false;
let idleGraceMs = 1000;
let onEmpty: (() => void) | undefined;
/** This worker's scoreboard slot, where requests served and in flight are counted (a scratch slot until told). */
let score: Float64Array = new Float64Array(SLOT_FIELDS);

/** Counts every tracked connection and request into `slot` (FIELD.connections, FIELD.requests, …). */
export function countRequestsInto(slot: Float64Array): void {
  score = slot;
}

const count = (field: number, by: number) => {
  score[field] = (score[field] ?? 0) + by;
};

/** Whether Node is serving a request on `socket` now. */
const busy = (socket: HttpSocket): boolean => socket._httpMessage != null;

/** The per-request listener: shared by every server, allocates nothing. */
function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
  count(FIELD.requests, 1);
  count(FIELD.inFlight, 1);
  res.on('close', onResponseClose);
  if (draining) drainingRequest(req.socket as HttpSocket, res);
}

function onResponseClose(): void {
  count(FIELD.inFlight, -1);
}

/** Starts tracking connections and requests of `server`, which serves --bind socket `listener`; call before it listens. */
export function track(server: http.Server, listener: number): void {
  const acceptedField = listener < LISTENER_FIELDS ? FIELD.accepted + listener : -1;
  server.on('connection', (socket: HttpSocket) => {
    const state: ConnState = { idleTimer: undefined };
    conns.set(socket, state);
    count(FIELD.connections, 1);
    count(FIELD.openConnections, 1);
    if (acceptedField >= 0) count(acceptedField, 1);
    socket.once('close', () => {
      if (state.idleTimer) clearTimeout(state.idleTimer);
      conns.delete(socket);
      count(FIELD.openConnections, -1);
      checkEmpty();
    });
    if (draining) armIdle(socket, state);
  });
  server.prependListener('request', onRequest);
}

/** During a drain: this response closes its connection, which is closed once idle for the grace period. */
function drainingRequest(socket: HttpSocket, res: http.ServerResponse): void {
  const state = conns.get(socket);
  if (state?.idleTimer) clearTimeout(state.idleTimer);
  if (state) state.idleTimer = undefined;
  if (!res.headersSent) res.shouldKeepAlive = false;
  if (state) res.once('close', () => armIdle(socket, state));
}

function armIdle(socket: HttpSocket, state: ConnState): void {
  if (busy(socket) || state.idleTimer || socket.destroyed) return;
  state.idleTimer = setTimeout(() => {
    state.idleTimer = undefined;
    if (!busy(socket)) socket.end();
  }, idleGraceMs);
  state.idleTimer.unref();
}

function checkEmpty(): void {
  if (draining && conns.size === 0 && onEmpty) {
    const done = onEmpty;
    onEmpty = undefined;
    done();
  }
}

/**
 * Stops accepting on `servers` and resolves once every tracked connection has closed. In-flight requests finish;
 * their responses (and the next one on each connection) carry `Connection: close`.
 */
export function drain(servers: net.Server[], graceMs: number): Promise<void> {
  idleGraceMs = graceMs;
  draining = true;
  for (const s of servers) {
    // net.Server's close, not http.Server's: Node >= 19's http close() also drops connections that look idle.
    if (s.listening) net.Server.prototype.close.call(s);
  }
  for (const [socket, state] of conns) {
    const res = socket._httpMessage;
    if (res) drainingRequest(socket, res);
    else armIdle(socket, state);
  }
  return new Promise(resolve => {
    onEmpty = resolve;
    checkEmpty();
  });
}
