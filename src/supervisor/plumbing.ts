// What the supervisor opens when it starts and closes when it stops, so the arbiter only decides: the control
// socket, the pidfile, the signal handlers (they only queue), the tick timer and the file watchers. Whatever ends
// the process, even a crash, removes the control socket and the pidfile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onExit } from 'signal-exit';
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
}

/** Opens the control socket, pidfile, signal handlers, timer and watchers. */
export async function openPlumbing(cfg: PlumbingConfig, hooks: PlumbingHooks): Promise<Plumbing> {
  if (cfg.pidfile) refuseLivePidfile(cfg.pidfile);
  const control: net.Server = await serveControl(cfg.control, hooks.control, cfg.controlDir);
  onExit(() => {
    fs.rmSync(cfg.control, { force: true });
    if (cfg.pidfile) fs.rmSync(cfg.pidfile, { force: true });
  });
  native().setSubreaper();
  if (cfg.pidfile) fs.writeFileSync(cfg.pidfile, `${process.pid}\n`);
  const handlers = HANDLED_SIGNALS.map(sig => {
    const h = () => hooks.onSignal(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  for (const l of cfg.listeners) log.info(`listening on ${l.label}`);
  log.info(`control socket ${cfg.control}`);
  const metrics = cfg.metricsBind ? (await serveMetrics(cfg.metricsBind, hooks.snapshot)).server : undefined;
  const interval = setInterval(hooks.onTick, TICK_MS);
  const unwatch = cfg.watch || cfg.watchApp ? await startWatching(cfg, hooks) : undefined;
  return {
    close() {
      clearInterval(interval);
      for (const [sig, h] of handlers) process.off(sig, h);
      for (const l of cfg.listeners) closeListener(l);
      if (cfg.pidfile) fs.rmSync(cfg.pidfile, { force: true });
      control.close();
      metrics?.close();
      void unwatch?.();
      fs.rmSync(cfg.control, { force: true });
    },
  };
}

/** A pidfile that names a live prefork belongs to another supervisor: starting would take it over. */
function refuseLivePidfile(file: string): void {
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
  if (pid > 0 && pid !== process.pid && cmdline.includes('prefork')) {
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
