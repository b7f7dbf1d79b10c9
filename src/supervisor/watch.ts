// --watch and --watch-app: reload when a shared file or the app's code changes. It watches the parent directories
// (not the files), so `mv new.npy data.npy` (a new inode) and editors' rename dances are seen; it waits for writes
// to finish and debounces bursts into one reload. A deleted file reloads nothing: the generation keeps serving. A
// burst whose files are as they were at the last reload (same inode, size and mtime: a rename's events that arrive
// split across the debounce) reloads nothing either.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FSWatcher } from 'chokidar' with { 'resolution-mode': 'import' };

export interface WatchOptions {
  /** Files whose change reloads (the --share paths). */
  files: string[];
  /** Directory whose code changes reload (--watch-app), if any. */
  appDir: string | undefined;
  debounceMs: number;
  onChange: (what: string) => void;
  onDeleted: (file: string) => void;
}

const CODE = /\.(c|m)?(js|ts)$|\.json$/;

/** Starts watching; resolves to a function that stops it. */
export async function watchSources(opts: WatchOptions): Promise<() => Promise<void>> {
  const { watch } = await import('chokidar');
  const files = new Set(opts.files.map(f => path.resolve(f)));
  const appDir = opts.appDir === undefined ? undefined : path.resolve(opts.appDir);
  const inApp = (p: string) => appDir !== undefined && (p === appDir || p.startsWith(appDir + path.sep)) && !/[\\/](node_modules|\.git)[\\/]/.test(p);
  const dirs = new Set([...files].map(f => path.dirname(f)));
  if (appDir) dirs.add(appDir);
  const watcher: FSWatcher = watch([...dirs], {
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
    atomic: true,
    depth: appDir ? 20 : 0,
    ignored: p => /[\\/](node_modules|\.git)([\\/]|$)/.test(p),
  });
  /** What each file was (inode, size, mtime) when it last caused a reload, or at start. */
  const seen = new Map<string, string>();
  const signature = (p: string) => {
    try {
      const st = fs.statSync(p, { bigint: true });
      return `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch {
      return 'missing';
    }
  };
  for (const f of files) seen.set(f, signature(f));
  let timer: NodeJS.Timeout | undefined;
  const changed = new Set<string>();
  const schedule = (p: string) => {
    changed.add(p);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      const now = [...changed].map(f => [f, signature(f)] as const).filter(([f, sig]) => seen.get(f) !== sig);
      changed.clear();
      for (const [f, sig] of now) seen.set(f, sig);
      if (now.length) opts.onChange(now.map(([f]) => f).join(', '));
    }, opts.debounceMs);
  };
  const relevant = (p: string) => files.has(p) || (inApp(p) && CODE.test(p));
  watcher.on('add', p => relevant(path.resolve(p)) && schedule(path.resolve(p)));
  watcher.on('change', p => relevant(path.resolve(p)) && schedule(path.resolve(p)));
  watcher.on('unlink', p => {
    const abs = path.resolve(p);
    if (files.has(abs)) opts.onDeleted(abs);
  });
  watcher.on('error', () => {});
  await new Promise<void>(resolve => watcher.once('ready', () => resolve()));
  return async () => {
    if (timer) clearTimeout(timer);
    await watcher.close();
  };
}
