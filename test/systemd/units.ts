// The shipped units: systemd-analyze verify passes on them (as instances, the way systemctl loads a template), and
// what they promise holds against the code: Type=notify, the reload that waits, the stop timeout tied to the graceful
// timeout, the watchdog longer than --timeout, exactly the permanent exit codes kept from restarting, and no hardening
// that V8's JIT cannot live with.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { COMMANDS } from '../../src/cli/options';
import { EXIT, PERMANENT_EXITS } from '../../src/exit-codes';
import { ROOT } from '../helpers/prefork';
import { haveTools, needs } from '../helpers/tools';

const SYSTEMD = path.join(ROOT, 'systemd');
const service = fs.readFileSync(path.join(SYSTEMD, 'prefork@.service'), 'utf8');
const socket = fs.readFileSync(path.join(SYSTEMD, 'prefork@.socket'), 'utf8');

/** Every value of `key=` in a unit's text (comments skipped). */
const values = (unit: string, key: string) => unit.split('\n').filter(l => l.startsWith(`${key}=`)).map(l => l.slice(key.length + 1));
const one = (unit: string, key: string) => values(unit, key)[0];

t.test('systemd-analyze verify passes on prefork@.service and prefork@.socket', needs('systemd-analyze'), async t => {
  if (!haveTools(t, 'systemd-analyze')) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-units-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of ['prefork@.service', 'prefork@.socket']) fs.copyFileSync(path.join(SYSTEMD, f), path.join(dir, f.replace('@', '@demo')));
  // --man=no: Documentation=man:prefork(1) is installed by `npm install -g`, not here
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(dir, 'prefork@demo.service'), path.join(dir, 'prefork@demo.socket')], { encoding: 'utf8' });
  t.equal(r.error, undefined, 'systemd-analyze runs');
  t.equal(r.status, 0, `clean: ${r.stdout}${r.stderr}`);
  t.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no warnings either');
});

t.test('the service unit agrees with the code', async t => {
  const start = COMMANDS.start.options;
  t.equal(one(service, 'Type'), 'notify', 'Type=notify: READY=1 once workers listen');
  t.equal(one(service, 'NotifyAccess'), 'main');
  t.match(one(service, 'ExecStart'), /prefork start \$\{APP\} --name %i$/);
  t.match(one(service, 'ExecReload'), /prefork reload --name %i$/, 'ExecReload waits for the swap (prefork reload), not kill -HUP');
  t.equal(one(service, 'KillMode'), 'mixed');
  t.equal(Number(one(service, 'TimeoutStopSec')), start['graceful-timeout'].default + 10, 'TimeoutStopSec = the default graceful timeout + 10 s');
  t.ok(Number(one(service, 'WatchdogSec')) > start.timeout.default, 'WatchdogSec longer than the default --timeout: prefork replaces a hung worker first');
  const prevented = (one(service, 'RestartPreventExitStatus') ?? '').split(' ').map(Number).sort((a, b) => a - b);
  t.same(prevented, PERMANENT_EXITS.map(n => EXIT[n].code).sort((a, b) => a - b), 'RestartPreventExitStatus: exactly the permanent exit codes');
  t.equal(values(service, 'MemoryDenyWriteExecute').length, 0, 'no MemoryDenyWriteExecute (V8 JIT)');
  t.equal(one(service, 'RuntimeDirectory'), 'prefork-%i', 'the control socket goes to $RUNTIME_DIRECTORY');
  t.equal(one(socket, 'FileDescriptorName'), 'http', 'the socket has a name --bind can select');
  const env = fs.readFileSync(path.join(SYSTEMD, 'prefork.env.example'), 'utf8');
  for (const [, name] of env.matchAll(/^#?PREFORK_([A-Z_]+)=/gm)) {
    const option = (name ?? '').toLowerCase().replace(/_/g, '-');
    t.ok(option in start, `prefork.env.example: PREFORK_${name} is --${option}`);
  }
});
