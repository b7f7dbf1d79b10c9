// Where a control socket lives and whether it may be trusted. The default path is never shared between users or
// services: $RUNTIME_DIRECTORY (systemd's, per service), else $XDG_RUNTIME_DIR/prefork, else /run/prefork for root,
// else a directory of the user's own under the temp dir, and the socket is NAME.sock in it (--name, by default the
// app's name). A directory prefork uses must be a real directory (not a symlink), owned by this uid, writable by
// nobody else; a socket file in it must be a socket of this uid (or root's, for the client). Either side refuses
// anything else: another user could otherwise answer `prefork reload` or read `prefork status`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PreforkError } from '../errors';

/** What a --name may hold: it becomes a file name and a process title. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$/;

const uid = () => process.geteuid?.() ?? 0;

function unsafe(message: string): PreforkError {
  return new PreforkError('PREFORK_UNSAFE_CONTROL', message);
}

/** The directory default control sockets go in, and whether prefork may create it. */
export function controlDir(env: NodeJS.ProcessEnv = process.env): { dir: string; create: boolean } {
  const runtime = env.RUNTIME_DIRECTORY?.split(':')[0];
  if (runtime) return { dir: runtime, create: false };
  if (env.XDG_RUNTIME_DIR) return { dir: path.join(env.XDG_RUNTIME_DIR, 'prefork'), create: true };
  if (uid() === 0) return { dir: '/run/prefork', create: true };
  return { dir: path.join(os.tmpdir(), `prefork-${uid()}`), create: true };
}

/** The default control socket of the supervisor called `name`. */
export function defaultControlPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(controlDir(env).dir, `${name}.sock`);
}

/** Creates the directory (0700) if it may, then checks it: a directory of ours that nobody else can write. */
export function ensureSafeDir(dir: string, create: boolean): void {
  if (create && !fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    throw unsafe(`control directory ${dir}: cannot use it (${(e as NodeJS.ErrnoException).code}); give --control a path in a directory of yours`);
  }
  if (st.isSymbolicLink()) throw unsafe(`control directory ${dir} is a symbolic link; expected a real directory`);
  if (!st.isDirectory()) throw unsafe(`control directory ${dir} is not a directory`);
  if (st.uid !== uid()) throw unsafe(`control directory ${dir} is owned by uid ${st.uid}, expected uid ${uid()} (this user); remove it or give --control another path`);
  if (st.mode & 0o022) throw unsafe(`control directory ${dir} has mode ${(st.mode & 0o777).toString(8)}: others may write to it; expected 0700 (chmod 700 ${dir})`);
}

/**
 * An existing file at `file` must be a socket owned by this uid (the server) or by this uid or root (the client,
 * which trusts a root supervisor); returns false when there is no file.
 */
export function checkSocketOwner(file: string, side: 'server' | 'client'): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return false;
  }
  if (!st.isSocket()) throw unsafe(`control socket ${file} is not a socket (it is a ${st.isSymbolicLink() ? 'symbolic link' : 'file'}); refusing to use it`);
  const trusted = side === 'server' ? st.uid === uid() : st.uid === uid() || st.uid === 0;
  if (!trusted) throw unsafe(`control socket ${file} is owned by uid ${st.uid}, expected uid ${uid()}${side === 'client' ? ' or root' : ''}; refusing to ${side === 'server' ? 'listen' : 'talk'} there`);
  return true;
}

/** The socket the control commands talk to: --control, else NAME.sock, else the only socket in the default directory. */
export function findControlSocket(control: string | undefined, name: string | undefined): string {
  if (control) return path.resolve(control);
  if (name) return defaultControlPath(name);
  const { dir } = controlDir();
  let socks: string[] = [];
  try {
    socks = fs.readdirSync(dir).filter(f => f.endsWith('.sock')).sort();
  } catch {
    // no directory: nobody runs
  }
  if (socks.length === 1 && socks[0]) return path.join(dir, socks[0]);
  if (socks.length === 0) throw new PreforkError('PREFORK_NOT_RUNNING', `no prefork supervisor's control socket in ${dir}; is it running (give --name or --control as for start)?`);
  throw new PreforkError('PREFORK_BAD_OPTION', `${socks.length} supervisors have control sockets in ${dir} (${socks.map(s => s.slice(0, -5)).join(', ')}); say which with --name`);
}

/** The default --name: the app's package name (without its scope) or its file's stem. */
export function appName(app: string): string {
  let name = path.parse(app).name;
  try {
    if (fs.statSync(app).isDirectory()) {
      const pkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')) as { name?: unknown };
      name = typeof pkg.name === 'string' ? (pkg.name.split('/').pop() ?? name) : path.basename(app);
    }
  } catch {
    name = path.basename(app);
  }
  const safe = name.replace(/[^A-Za-z0-9_.@+-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return safe.slice(0, 100) || 'prefork';
}
