// What the supervisor opens when it starts and closes when it stops, so the arbiter only decides: the control
// socket, the pidfile, the signal handlers (they only queue), the tick timer and the file watchers. Whatever ends
// the process, even a crash, removes the control socket and the pidfile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onExit } from 'signal-exit';
import type * as http from 'node:http';
import type * as net from 'node:net';
import { PreforkError } from '../errors';
import { native } from '../native';
import type { ControlHandlers } from './control';
import { serveControl } from './control';
import { closeListener, type BindSpec, type Listener } from './listeners';
import { serveMetrics } from './metrics';
import type { SupervisorStatus } from './status';
import * as log from './log';
import { HANDLED_SIGNALS } from './signals';
import { watchSources } from './watch';

export interface PlumbingConfig {
  app: string;
  shares: { path: string }[];
  listeners: Listener[];
  pidfile: string | undefined;
  control: string;
  controlDir: { create: boolean } | undefined;
  metricsBind: BindSpec | undefined;
  watch: boolean;
  watchApp: boolean;
  /** Started by an upgrade from this pid: the control socket and pidfile are taken over only once this one serves. */
  upgradingFrom: number | undefined;
}

export interface PlumbingHooks {
  onSignal(signal: NodeJS.Signals): void;
  control: ControlHandlers;
  onChange(what: string): void;
  onDeleted(file: string): void;
  onTick(): void;
  snapshot(): SupervisorStatus;
}

/** How often the loop runs when no event wakes it (deadlines, backoff). */
const TICK_MS = 100;

export interface Plumbing {
  /** Closes everything run() opened, the listeners included. */
  close(): void;
  /** New side of an upgrade, once it serves: the control socket moves to its path and the pidfile names this pid. */
  takeOver(): void;
  /** Old side of an upgrade: the control socket, pidfile and unix socket files are the successor's; leave them. */
  handOver(): void;
  /** Old side, when the successor died after it had taken over: serve the control socket and write the pidfile again. */
  reclaim(): Promise<void>;
}

/** Opens the control socket, pidfile, signal handlers, timer and watchers. */
export async function openPlumbing(cfg: PlumbingConfig, hooks: PlumbingHooks): Promise<Plumbing> {
  if (cfg.pidfile) refuseLivePidfile(cfg.pidfile, cfg.upgradingFrom);
  // an upgrade serves its control socket beside the old one's until it takes over
  let upgrading = cfg.upgradingFrom !== undefined;
  let controlPath = upgrading ? `${cfg.control}.${process.pid}` : cfg.control;
  let control: net.Server = await serveControl(controlPath, hooks.control, cfg.controlDir);
  // the successor's after a handover; while upgrading, the inherited unix sockets' files are the old supervisor's
  let ownFiles = true;
  let closed = false;
  const removeOwnFiles = () => {
    if (!ownFiles) return;
    fs.rmSync(controlPath, { force: true });
    if (cfg.pidfile && !upgrading) fs.rmSync(cfg.pidfile, { force: true });
  };
  onExit(removeOwnFiles);
  native().setSubreaper();
  if (cfg.pidfile && !upgrading) fs.writeFileSync(cfg.pidfile, `${process.pid}\n`);
  const handlers = HANDLED_SIGNALS.map(sig => {
    const h = () => hooks.onSignal(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  for (const l of cfg.listeners) log.info(`listening on ${l.label}`);
  log.info(`control socket ${cfg.control}`);
  // an upgrade's metrics wait for the old supervisor to let go of the address (see takeOver)
  let metrics = cfg.metricsBind && !upgrading ? (await serveMetrics(cfg.metricsBind, hooks.snapshot)).server : undefined;
  const interval = setInterval(hooks.onTick, TICK_MS);
  const unwatch = cfg.watch || cfg.watchApp ? await startWatching(cfg, hooks) : undefined;
  return {
    close() {
      closed = true;
      clearInterval(interval);
      for (const [sig, h] of handlers) process.off(sig, h);
      for (const l of cfg.listeners) (ownFiles && !upgrading ? closeListener(l) : fs.closeSync(l.fd));
      control.close(); // served from a shim fd: closing it leaves the path alone (see serveControl)
      metrics?.close();
      void unwatch?.();
      removeOwnFiles();
    },
    takeOver() {
      fs.renameSync(controlPath, cfg.control); // atomically: a client reaches one supervisor or the other
      controlPath = cfg.control;
      if (cfg.pidfile) fs.writeFileSync(cfg.pidfile, `${process.pid}\n`);
      upgrading = false;
      log.info(`control socket ${cfg.control}${cfg.pidfile ? ` and pidfile ${cfg.pidfile}` : ''} taken over`);
      if (!cfg.metricsBind) return;
      void serveMetricsOnceFree(cfg.metricsBind, hooks.snapshot, () => closed).then(m => {
        if (closed) m?.close(); // stopped while it waited for the address
        else metrics = m;
      });
    },
    handOver() {
      ownFiles = false;
      metrics?.close(); // the successor binds the address once it is free
      metrics = undefined;
    },
    async reclaim() {
      control.close();
      control = await serveControl(cfg.control, hooks.control, cfg.controlDir);
      controlPath = cfg.control;
      if (cfg.pidfile) fs.writeFileSync(cfg.pidfile, `${process.pid}\n`);
      log.info(`control socket ${cfg.control}${cfg.pidfile ? ` and pidfile ${cfg.pidfile}` : ''} served again by this supervisor`);
    },
  };
}

/** How long an upgraded supervisor tries to bind --metrics-bind while the old one still holds it. */
const METRICS_RETRY_MS = 5000;

/** serveMetrics, retried every 100 ms while the address is in use (the old supervisor lets go at its handover). */
async function serveMetricsOnceFree(bind: BindSpec, snapshot: () => SupervisorStatus, closed: () => boolean): Promise<http.Server | undefined> {
  const until = Date.now() + METRICS_RETRY_MS;
  for (;;) {
    if (closed()) return undefined;
    try {
      return (await serveMetrics(bind, snapshot)).server;
    } catch (e) {
      if (Date.now() > until) {
        log.error(`${(e as Error).message}: no metrics from this supervisor`);
        return undefined;
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
}

/** A pidfile that names a live prefork belongs to another supervisor: starting would take it over. */
function refuseLivePidfile(file: string, upgradingFrom: number | undefined): void {
  let pid = 0;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return; // no pidfile yet
  }
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // stale: that process is gone
  }
  if (pid > 0 && pid !== process.pid && pid !== upgradingFrom && cmdline.includes('prefork')) {
    throw new PreforkError('PREFORK_BAD_OPTION', `--pidfile ${file}: pid ${pid}, a running prefork, holds it; stop it first or give this one its own --pidfile`);
  }
}

async function startWatching(cfg: PlumbingConfig, hooks: PlumbingHooks): Promise<() => Promise<void>> {
  const appDir = cfg.watchApp ? (fs.statSync(cfg.app).isDirectory() ? cfg.app : path.dirname(cfg.app)) : undefined;
  const unwatch = await watchSources({
    files: cfg.watch ? cfg.shares.map(s => s.path) : [],
    appDir,
    debounceMs: 300,
    onChange: hooks.onChange,
    onDeleted: hooks.onDeleted,
  });
  log.info(`watching ${[cfg.watch ? 'dataset files' : '', appDir ? `app directory ${appDir}` : ''].filter(Boolean).join(' and ')} for changes`);
  return unwatch;
}
