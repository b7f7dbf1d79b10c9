// Socket activation through the real CLI and systemd's own tool: `systemd-socket-activate -l 127.0.0.1:PORT prefork
// start app.js` serves on PORT with the socket systemd-socket-activate made (prefork binds nothing), a --bind that
// names the passed socket by name or port selects it, one that names none is refused with exit 64.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { EXIT } from '../../src/exit-codes';
import { APPS, freePort, getJson, startPrefork, type Running } from '../helpers/prefork';
import { haveTools, needs } from '../helpers/tools';

/** systemd-socket-activate execs its command on the first connection: make one (it waits in the backlog). */
function knock(port: number): void {
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  c.setTimeout(5000, () => c.destroy());
  c.on('connect', () => c.end());
}

/** The inodes of the sockets listening on `port` (/proc/net/tcp, state 0A). */
function listeningInodes(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map(l => l.trim().split(/\s+/)).filter(f => f[1]?.endsWith(`:${hex}`) && f[3] === '0A').map(f => f[9] ?? '');
}

async function activated(t: Test, bind: string[], ready: RegExp | null = /generation 1 ready/): Promise<{ p: Running; port: number }> {
  const port = await freePort();
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--workers', '2', ...bind], {
    wrap: ['systemd-socket-activate', '-l', `127.0.0.1:${port}`, '--fdname=web'],
    ready: null,
  });
  await p.waitFor(new RegExp(`Listening on 127\\.0\\.0\\.1:${port}`), 10_000);
  knock(port);
  if (ready) await p.waitFor(ready, 30_000);
  return { p, port };
}

t.test('systemd-socket-activate -l 127.0.0.1:PORT prefork start app.js serves on PORT; prefork binds nothing', needs('systemd-socket-activate'), async t => {
  if (!haveTools(t, 'systemd-socket-activate')) return;
  const { p, port } = await activated(t, []);
  t.match(p.output(), new RegExp(`socket activation: serving on the 1 socket\\(s\\) the service manager passed \\(web 127\\.0\\.0\\.1:${port}\\); binding nothing`), 'the log says so');
  t.match(p.output(), new RegExp(`listening on 127\\.0\\.0\\.1:${port}`), 'and names the address');
  const pids = new Set<number>();
  for (let i = 0; i < 20; i++) pids.add((await getJson<{ pid: number }>(port)).pid);
  t.ok(pids.size >= 1, `requests on ${port} are served by prefork's workers (${[...pids].join(', ')})`);
  const inodes = listeningInodes(port);
  t.equal(inodes.length, 1, 'one socket listens on the port');
  t.equal(fs.readlinkSync(`/proc/${p.pid}/fd/3`), `socket:[${inodes[0]}]`, "and it is the one passed as fd 3: prefork bound nothing");
  t.notMatch(fs.readFileSync(`/proc/${[...pids][0]}/environ`, 'utf8'), /LISTEN_FDS=|LISTEN_PID=/, 'workers do not see LISTEN_FDS or LISTEN_PID');
});

t.test('--bind picks a passed socket by name or port; one that names none is refused, exit 64', needs('systemd-socket-activate'), async t => {
  if (!haveTools(t, 'systemd-socket-activate')) return;
  const byName = await activated(t, ['--bind', 'web']);
  t.ok((await getJson<{ pid: number }>(byName.port)).pid > 0, '--bind web (the fd name) serves');
  const byPort = await activated(t, ['--bind', '127.0.0.1:0'], null);
  const exit = await byPort.p.exited;
  t.equal(exit.code, EXIT.USAGE.code, `a --bind that names no passed socket: exit ${EXIT.USAGE.code}`);
  t.match(byPort.p.output(), new RegExp(`--bind 127\\.0\\.0\\.1:0: the service manager passed no such socket \\(it passed web \\(127\\.0\\.0\\.1:${byPort.port}\\)\\); name one of those by name or address, or drop --bind \\[PREFORK_BAD_OPTION\\]`));
});
