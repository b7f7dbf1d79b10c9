// Loading the user's app and recognising what it exports (docs/ARCHITECTURE.md, "Processes"): a request listener, an object with
// fetch(Request), an http.Server that is not listening, or nothing because the app calls listen() itself.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export type FetchApp = { fetch(request: Request): Response | Promise<Response> };

export type AppShape =
  | { kind: 'listener'; listener: http.RequestListener }
  | { kind: 'fetch'; app: FetchApp }
  | { kind: 'server'; server: http.Server }
  | { kind: 'self-listen' };

/** The module file for APP: the file itself, or a package directory's entry point. */
export function resolveAppFile(app: string): string {
  const abs = path.resolve(app);
  if (!fs.statSync(abs).isDirectory()) return abs;
  const pkgFile = path.join(abs, 'package.json');
  if (fs.existsSync(pkgFile)) {
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { main?: string; exports?: unknown };
    const exp = pkg.exports;
    const dot = typeof exp === 'string' ? exp : (exp as Record<string, unknown> | undefined)?.['.'];
    const entry = typeof dot === 'string' ? dot : typeof dot === 'object' && dot !== null ? ((dot as Record<string, unknown>).import ?? (dot as Record<string, unknown>).default ?? (dot as Record<string, unknown>).require) : undefined;
    const main = typeof entry === 'string' ? entry : pkg.main;
    if (main) return path.resolve(abs, main);
  }
  for (const f of ['index.js', 'index.mjs', 'index.cjs']) if (fs.existsSync(path.join(abs, f))) return path.join(abs, f);
  return path.join(abs, 'index.js');
}

/** Whether Node treats `file` as an ES module: .mjs, or .js under a package.json with "type": "module". */
export function isEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/** The app's module file and whether it is an ES module: resolved once per process (in a zygote, for all its workers). */
let resolved: { app: string; file: string; esm: boolean } | undefined;

function resolveApp(app: string): { file: string; esm: boolean } {
  if (resolved?.app !== app) {
    const file = resolveAppFile(app);
    resolved = { app, file, esm: isEsm(file) };
  }
  return resolved;
}

/**
 * Imports the app and returns its default export. CommonJS goes through require(): a worker that need not start
 * the ESM loader boots faster and keeps less private memory.
 */
export async function importApp(app: string): Promise<unknown> {
  const { file, esm } = resolveApp(app);
  if (!esm) return require(file) as unknown;
  const ns = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return 'default' in ns ? ns.default : ns;
}

/**
 * Zygote: does what every forked worker would otherwise do cold after fork, so that each child inherits it instead
 * of writing it into private pages: loads node:cluster (net requires it on the first listen), creates the stdio
 * streams (every worker creates them in afterFork, to make them blocking; building a socket or pipe stream runs and
 * compiles a good deal of code), resolves the app's module once (the workers reuse the answer and the loader's
 * caches; on Node 22 resolving it cold costs a worker some 0.4 MB), and loads the ESM loader when the app is an ES
 * module. A CommonJS app's workers never start the ESM loader (importApp uses require()), so for one the zygote does
 * not load it: less memory for every worker to share. Creates no handles of its own: the stdio streams wrap fds 1 and
 * 2, as --preload always made them in the zygote.
 */
export async function warmUp(app: string): Promise<void> {
  require('node:cluster');
  let esm = true;
  try {
    const target = resolveApp(app);
    esm = target.esm;
    // resolving the module (stat, realpath, package scopes) fills the CommonJS loader's caches that require() reads
    if (!esm) require.resolve(target.file);
  } catch {
    // the worker reports a missing app when it imports it
  }
  if (esm) await import(pathToFileURL(__filename).href);
}

/** Classifies what the app exported. */
export function shapeOf(exported: unknown): AppShape {
  if (exported instanceof net.Server) return { kind: 'server', server: exported as http.Server };
  if (typeof exported === 'function') return { kind: 'listener', listener: exported as http.RequestListener };
  if (typeof exported === 'object' && exported !== null) {
    const fetch = (exported as { fetch?: unknown }).fetch;
    if (typeof fetch === 'function') return { kind: 'fetch', app: exported as FetchApp };
  }
  return { kind: 'self-listen' };
}
