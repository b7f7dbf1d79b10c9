// --user and --group: who the zygotes and workers run as. The supervisor keeps its own uid (it binds the sockets,
// loads the datasets and reads its children's /proc files as root); the shim switches each child after fork, before
// exec (supplementary groups dropped, then the group, then the user). Names are looked up in /etc/passwd and
// /etc/group (as in a container; a numeric id needs neither).
import * as fs from 'node:fs';
import { PreforkError } from '../errors';

export interface Credentials {
  uid: number;
  gid: number;
  /** For the log: `nobody (65534:65534)`. */
  label: string;
}

/** The `name:x:id:…` entries of a passwd-style file, by name. */
function entries(file: string): Map<string, string[]> {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // no such file: only numeric ids resolve
  }
  return new Map(text.split('\n').filter(l => l && !l.startsWith('#')).map(l => l.split(':')).map(f => [f[0] ?? '', f]));
}

const bad = (message: string) => new PreforkError('PREFORK_BAD_OPTION', message);
const isId = (s: string) => /^\d+$/.test(s) && Number(s) < 2 ** 32 - 1;

/** Resolves --user and --group to ids; undefined when neither is given. */
export function resolveCredentials(user: string | undefined, group: string | undefined, running = process.getuid?.() ?? -1): Credentials | undefined {
  if (user === undefined && group === undefined) return undefined;
  if (running !== 0) throw bad(`--user and --group need the supervisor to run as root (it runs as uid ${running}): it binds and loads as root, then starts its children as the user`);
  let uid = -1;
  let gid = -1;
  if (user !== undefined) {
    const pw = entries('/etc/passwd').get(user);
    if (pw) {
      uid = Number(pw[2]);
      gid = Number(pw[3]);
    } else if (isId(user)) {
      uid = Number(user);
    } else {
      throw bad(`--user ${user}: no such user in /etc/passwd (give a user name or a numeric uid)`);
    }
  }
  if (group !== undefined) {
    const gr = entries('/etc/group').get(group);
    if (gr) gid = Number(gr[2]);
    else if (isId(group)) gid = Number(group);
    else throw bad(`--group ${group}: no such group in /etc/group (give a group name or a numeric gid)`);
  }
  // a numeric --user without --group keeps the supervisor's group, which must not be root's
  if (gid === -1) throw bad(`--user ${user}: a numeric uid needs --group too (the workers must not keep group 0)`);
  const who = user ?? 'root';
  return { uid, gid, label: `${who} (uid ${uid === -1 ? 0 : uid}, gid ${gid})` };
}
