// The supervisor as the outside world sees it: the arbiter (arbiter.ts) with its plumbing (control socket, pidfile,
// signals, watchers, metrics), systemd's notifications (service-manager.ts) and binary upgrades (upgrade.ts). Every
// signal, control request and upgrade message reaches the arbiter as a queued call, in order with its own events.
import { hugePagePolicy } from '../datasets/hugepages';
import { EXIT } from '../exit-codes';
import { TITLE } from '../protocol';
import { Arbiter } from './arbiter';
import type { SupervisorConfig } from './config';
import * as log from './log';
import { openPlumbing, type Plumbing } from './plumbing';
import { ServiceManager } from './service-manager';
import { withUsage } from './status';
import { announceReady, Upgrades, type Inheritance } from './upgrade';
import type { Waiter } from './waiters';

export type { SupervisorConfig };

/** How long a supervisor started by an upgrade waits, after its handover, before it speaks to systemd. */
const TAKEOVER_DELAY_MS = 250;

export class Supervisor {
  readonly #cfg: SupervisorConfig;
  readonly #arbiter: Arbiter;
  /** systemd's side: takes NOTIFY_SOCKET and WATCHDOG_* out of the environment before any child starts. */
  readonly #manager: ServiceManager;
  readonly #upgrades = new Upgrades();
  #plumbing: Plumbing | undefined;

  constructor(cfg: SupervisorConfig) {
    this.#cfg = cfg;
    // started by an upgrade: silent to systemd until the old supervisor hands over
    this.#manager = new ServiceManager(process.env, cfg.upgrade !== undefined);
    const m = this.#manager;
    const status = () => this.#arbiter.status();
    this.#arbiter = new Arbiter(cfg, {
      reloading: id => m.reloading(id),
      loading: p => m.loading(p),
      served: first => (first && cfg.upgrade ? this.#takeOver(cfg.upgrade) : m.ready(status())),
      failedClosed: () => m.ready(status()), // the reload is over: READY=1 again, STATUS says why it failed
      halting: (code, why) => m.halting(code, why),
      stopping: () => {
        this.#upgrades.abort();
        m.stopping();
      },
      ticked: () => m.tick(() => this.#arbiter.healthy(), status),
      finished: () => this.#plumbing?.close(),
    });
  }

  /** Opens the plumbing, starts generation 1 and resolves with the exit code once the supervisor has stopped. */
  async run(): Promise<number> {
    process.title = TITLE.supervisor(this.#cfg.name);
    const a = this.#arbiter;
    this.#plumbing = await openPlumbing({ ...this.#cfg, upgradingFrom: this.#cfg.upgrade?.from }, {
      onSignal: signal => a.post(signal, () => this.#onSignal(signal)),
      control: {
        reload: reply => a.post('reload', () => a.reload(reply)),
        scale: (to, reply) => a.post('scale', () => a.scale(to, reply)),
        stop: () => a.post('stop', () => a.stop('graceful', EXIT.OK.code)),
        status: () => withUsage(a.status()) as unknown as Promise<Record<string, unknown>>,
        upgrade: reply => a.post('upgrade', () => this.#upgrade(reply)),
      },
      onChange: what => a.post('reload', () => {
        log.info(`reload: changed: ${what}`);
        a.reload();
      }),
      onDeleted: file => log.warn(`watched file ${file} was deleted; generation ${a.serving()?.id ?? '-'} keeps serving`),
      onTick: () => a.tick(),
      snapshot: () => a.status(),
    });
    log.info(hugePagePolicy().advice);
    this.#manager.starting();
    return a.start();
  }

  #onSignal(signal: NodeJS.Signals): void {
    const a = this.#arbiter;
    if (signal === 'SIGHUP') return a.reload();
    if (signal === 'SIGTTIN' || signal === 'SIGTTOU') return a.scale(signal === 'SIGTTIN' ? '+1' : '-1');
    if (signal === 'SIGUSR1') return log.reopenLog();
    if (signal === 'SIGUSR2') return this.#upgrade();
    return a.stop(signal === 'SIGQUIT' ? 'quick' : 'graceful', EXIT.OK.code);
  }

  /** SIGUSR2 or `prefork upgrade`: a new supervisor from the same command line takes over (upgrade.ts). */
  #upgrade(reply?: Waiter): void {
    const a = this.#arbiter;
    const serving = a.serving();
    const refused = this.#upgrades.refusal(a.stopping, serving !== undefined, a.swapping);
    if (refused || !serving) return reply ? reply({ ok: false, error: refused ?? '' }) : log.warn(`upgrade refused: ${refused}`);
    this.#upgrades.start({
      listeners: this.#cfg.listeners,
      datasets: serving.datasets,
      firstGeneration: a.nextGeneration,
      env: this.#manager.successorEnv,
      // its boot, and a load of any dataset whose file changed since (at 100 MB/s, a slow disk)
      deadlineMs: 2 * this.#cfg.bootTimeoutMs + 30_000 + serving.datasetBytes() / 100e3,
      onReady: pid => a.post('upgraded', () => this.#handOver(pid)),
      onFailed: why => a.post('upgrade failed', () => this.#upgrades.failed(why)),
    }, reply);
  }

  /** Old side: the new supervisor serves; it is systemd's main process and owns the files; this one drains and exits. */
  #handOver(pid: number): void {
    if (this.#arbiter.stopping) return;
    if (!this.#upgrades.successorAlive()) {
      // it died between its `ready` and now, removing the control socket and pidfile it had taken over
      this.#upgrades.failed(`the new supervisor (pid ${pid}) exited right after it said it served`);
      return void this.#plumbing?.reclaim().catch(e => log.error(`cannot serve the control socket again: ${(e as Error).message}`));
    }
    this.#upgrades.succeeded(pid);
    this.#manager.handOver(pid);
    this.#plumbing?.handOver();
    this.#arbiter.stop('graceful', EXIT.OK.code);
  }

  /** New side: this supervisor's first generation serves; take the files, tell the old one, speak to systemd. */
  #takeOver(upgrade: Inheritance): void {
    this.#plumbing?.takeOver();
    announceReady(upgrade);
    // the old supervisor sends MAINPID= for this pid as soon as it reads the handover: speak once it has
    setTimeout(() => this.#manager.takeOver(this.#arbiter.status()), TAKEOVER_DELAY_MS).unref();
  }
}
