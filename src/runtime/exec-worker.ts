// Entry point of an exec-mode worker (--worker-mode exec): a fresh node process that the shim started with the
// generation's fds in place and PDEATHSIG armed. Same runtime as a forked worker, none of the fork hazards.
import { performance } from 'node:perf_hooks';
import { attachDataset } from '../datasets/handle';
import { native } from '../native';
import type { RuntimeConfig } from '../protocol';
import { BOARD_ENV, RUNTIME_ENV, SLOT_ENV } from '../protocol';
import { registry } from '../registry';
import { installExitPaths } from './exit';
import { runWorker } from './worker';

const t0 = performance.now();
const config = JSON.parse(process.env[RUNTIME_ENV] ?? '') as RuntimeConfig;
const slot = Number(process.env[SLOT_ENV] ?? 0);
const board = Number(process.env[BOARD_ENV] ?? 0);
delete process.env[RUNTIME_ENV];
delete process.env[SLOT_ENV];
delete process.env[BOARD_ENV];
installExitPaths();
native().ignoreTerminalStops(); // its process group is never the terminal's foreground one
const reg = registry();
reg.generation = config.generation;
for (const d of config.datasets) reg.datasets.set(d.name, attachDataset(d.fd));
void runWorker(config, { slot, board }, undefined, t0);
