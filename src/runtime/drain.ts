// Draining without dropping a request, with no help from the app (docs/ARCHITECTURE.md, "Draining"): close only the listening
// handle; answer the next request on each open connection with `Connection: close`; close a connection that stays
// idle only after a grace period, because one that looks idle may already have the client's next request on the wire.
import type * as http from 'node:http';
import * as net from 'node:net';
import { FIELD, LISTENER_FIELDS } from '../scoreboard';

interface ConnState {
  inFlight: number;
  idleTimer: NodeJS.Timeout | undefined;
}

const conns = new Map<net.Socket, ConnState>();
const open = new Set<http.ServerResponse>();
let draining = false;
let idleGraceMs = 1000;
let onEmpty: (() => void) | undefined;
/** This worker's scoreboard slot, where requests served and in flight are counted. */
let score: Float64Array | undefined;

/** Counts every tracked connection and request into `slot` (FIELD.connections, FIELD.requests, …). */
export function countRequestsInto(slot: Float64Array): void {
  score = slot;
}

const count = (field: number, by: number) => {
  if (score) score[field] = (score[field] ?? 0) + by;
};

/** Starts tracking connections and requests of `server`, which serves --bind socket `listener`; call before it listens. */
export function track(server: http.Server, listener: number): void {
  const acceptedField = listener < LISTENER_FIELDS ? FIELD.accepted + listener : -1;
  server.on('connection', (socket: net.Socket) => {
    const state: ConnState = { inFlight: 0, idleTimer: undefined };
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
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const state = conns.get(req.socket);
    open.add(res);
    count(FIELD.requests, 1);
    count(FIELD.inFlight, 1);
    if (state) {
      state.inFlight++;
      if (state.idleTimer) clearTimeout(state.idleTimer);
      state.idleTimer = undefined;
    }
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      open.delete(res);
      count(FIELD.inFlight, -1);
      if (!state) return;
      state.inFlight--;
      if (draining) armIdle(req.socket, state);
    });
  });
}

function armIdle(socket: net.Socket, state: ConnState): void {
  if (state.inFlight > 0 || state.idleTimer || socket.destroyed) return;
  state.idleTimer = setTimeout(() => {
    state.idleTimer = undefined;
    if (state.inFlight === 0) socket.end();
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
  for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
  for (const [socket, state] of conns) armIdle(socket, state);
  return new Promise(resolve => {
    onEmpty = resolve;
    checkEmpty();
  });
}
