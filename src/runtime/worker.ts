// A worker's life after its process exists (forked or exec'd): populate datasets, load the app, serve on the
// inherited sockets, say "ready", and drain on SIGTERM.
import * as http from 'node:http';
import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RuntimeConfig } from '../protocol';
import { BENCH_NO_SCOREBOARD_ENV, sendEvent, TITLE, WORKER_BOOT_ERROR } from '../protocol';
import { FIELD, mapBoard, monotonicMs, slotOf } from '../scoreboard';
import { populate } from '../datasets/handle';
import { registry, THREAD_DATASETS_ENV } from '../registry';
import { native } from '../native';
import type { AppShape } from './app';
import { importApp, shapeOf } from './app';
import { countRequestsInto, drain, track } from './drain';
import { exitNow, writeStderr } from './exit';
import { fetchListener } from './fetch';
import { appServers, listenOnFd, routeAppListen, whenAppListens, type Bind } from './listen';

/** Boots the app in this worker and serves until told to stop. `preloaded` is the zygote's import, if any. */
export async function runWorker(config: RuntimeConfig, at: { slot: number; board: number }, preloaded: AppShape | undefined, t0: number): Promise<void> {
  const { slot } = at;
  process.title = TITLE.worker(config.generation, slot, config.name);
  const score = slotOf(mapBoard(config.scoreboardFd), at.board);
  score[FIELD.pid] = process.pid;
  score[FIELD.startedAt] = monotonicMs();
  const keepScore = process.env[BENCH_NO_SCOREBOARD_ENV] !== '1';
  if (keepScore) countRequestsInto(score);
  bootFailed = (e: unknown): never => {
    const err = e as Error;
    writeStderr(`prefork worker ${process.pid}: app failed to boot: ${err?.stack ?? String(e)}\n`);
    sendEvent(config.eventsFd, { t: 'boot-error', pid: process.pid, ...at, message: err?.message ?? String(e) });
    return exitNow(WORKER_BOOT_ERROR);
  };
  Object.assign(process.env, config.env);
  installStopSignals(config, at);
  if (config.populate) for (const d of registry().datasets.values()) populate(d);
  // the app's worker_threads map the datasets themselves; the app's child processes get none of prefork's fds
  process.env[THREAD_DATASETS_ENV] = JSON.stringify({ generation: config.generation, datasets: config.datasets });
  for (const fd of [config.eventsFd, config.scoreboardFd, ...config.binds.map(b => b.fd), ...config.datasets.map(d => d.fd)]) native().setCloexec(fd);
  const binds = config.binds.map(({ fd, label }, index) => ({ fd, index, label }));
  // PORT names the first --bind's port (apps written for Heroku, express' docs), unless the app's env sets it
  const port = /:(\d+)$/.exec(binds[0]?.label ?? '')?.[1];
  if (process.env.PORT === undefined && port && !binds[0]?.label.startsWith('unix:')) process.env.PORT = port;
  routeAppListen(binds);
  let servers: net.Server[];
  try {
    const shape = preloaded ?? shapeOf(await importApp(config.app));
    servers = await serve(shape, binds);
  } catch (e) {
    return bootFailed(e);
  }
  stopServers = servers;
  // the heartbeat only beats while the event loop turns: a handler stuck in a loop stops it (--timeout)
  const beat = () => (score[FIELD.heartbeat] = monotonicMs());
  if (keepScore) {
    beat();
    setInterval(beat, config.heartbeatMs).unref();
  }
  sendEvent(config.eventsFd, { t: 'ready', pid: process.pid, ...at, ms: performance.now() - t0 });
}

/** Reports a boot failure to the supervisor and exits with WORKER_BOOT_ERROR. */
let bootFailed: (e: unknown) => never = e => {
  throw e;
};

/** Serves the app on every remaining inherited socket; resolves once all of them listen. */
async function serve(shape: AppShape, binds: Bind[]): Promise<net.Server[]> {
  if (shape.kind === 'self-listen') {
    const neverListens = () => {
      throw new Error('the app exported no request listener, fetch handler or http.Server, and did not call listen()');
    };
    process.once('beforeExit', () => void Promise.resolve().then(neverListens).catch(e => bootFailed(e)));
    const first = await whenAppListens();
    const servers = [...appServers()];
    // extra --bind sockets forward to the app's own server
    for (const b of binds.splice(0)) servers.push(await forwardTo(first as http.Server, b));
    return servers;
  }
  const listener = shape.kind === 'listener' ? shape.listener : shape.kind === 'fetch' ? fetchListener(shape.app) : undefined;
  const servers: net.Server[] = [];
  for (const [i, b] of binds.splice(0).entries()) {
    const server = i === 0 && shape.kind === 'server' ? shape.server : listener ? http.createServer(listener) : forwarder(shape);
    track(server as http.Server, b.index);
    await listenOnFd(server, b.fd);
    servers.push(server);
  }
  return servers;
}

function forwarder(shape: AppShape): http.Server {
  const target = shape.kind === 'server' ? shape.server : undefined;
  return http.createServer((req, res) => target?.emit('request', req, res));
}

async function forwardTo(target: http.Server, bind: Bind): Promise<net.Server> {
  const s = http.createServer((req, res) => target.emit('request', req, res));
  track(s, bind.index);
  await listenOnFd(s, bind.fd);
  return s;
}

let stopServers: net.Server[] = [];
let stopping = false;

/** SIGTERM/SIGINT: drain and exit 0; SIGQUIT: exit at once. */
function installStopSignals(config: RuntimeConfig, at: { slot: number; board: number }): void {
  const graceful = () => {
    if (stopping) return;
    stopping = true;
    drain(stopServers.length ? stopServers : appServers(), config.idleGraceMs).then(() => process.exit(0));
    // the listening handles closed synchronously: from now on the kernel hands new connections to others only
    sendEvent(config.eventsFd, { t: 'closed', pid: process.pid, ...at });
  };
  process.on('SIGTERM', graceful);
  process.on('SIGINT', graceful);
  process.on('SIGQUIT', () => exitNow(0));
}
