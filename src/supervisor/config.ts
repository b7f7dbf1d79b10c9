// What `prefork start` hands the supervisor: every option checked once, at the boundary (src/cli/start.ts).
import type { ShareSpec } from '../datasets/spec';
import type { Credentials } from './credentials';
import type { Inheritance } from './upgrade';
import type { BindSpec, Listener } from './listeners';

export interface SupervisorConfig {
  app: string;
  shares: ShareSpec[];
  listeners: Listener[];
  workers: number;
  gracefulTimeoutMs: number;
  bootTimeoutMs: number;
  /** A ready worker whose heartbeat is older than this is killed and replaced (--timeout). */
  timeoutMs: number;
  /** Recycling: --max-requests (+ up to --max-requests-jitter), --max-memory (Pss_Anon bytes), --max-age; 0 is off. */
  maxRequests: number;
  maxRequestsJitter: number;
  maxMemoryBytes: number;
  maxAgeMs: number;
  mode: 'fork' | 'exec';
  /** Neither --worker-mode nor --preload was given: a failed fork self-check falls back to exec mode instead of halting. */
  modeDefaulted: boolean;
  preload: boolean;
  env: Record<string, string>;
  pidfile: string | undefined;
  /** Shown in process titles; names the default control socket. */
  name: string;
  /** Path of the control socket (`prefork reload | stop | status`). */
  control: string;
  /** Set when the path is the default one: its directory is checked (and created 0700 if `create`). */
  controlDir: { create: boolean } | undefined;
  /** Where the Prometheus metrics are served, if anywhere (--metrics-bind). */
  metricsBind: BindSpec | undefined;
  idleGraceMs: number;
  /** Reload when a --share file changes; with watchApp, also when the app's code changes. */
  watch: boolean;
  watchApp: boolean;
  /** overlap: the new generation loads beside the serving one; replace: the serving one is released first. */
  reloadStrategy: 'overlap' | 'replace';
  /** --user/--group: who the zygotes and workers run as (the supervisor keeps its uid); undefined: its own. */
  credentials: Credentials | undefined;
  /** Started by an upgrade (SIGUSR2 to an older supervisor): what it handed over. */
  upgrade: Inheritance | undefined;
}
