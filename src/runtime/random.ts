// Randomness after fork (docs/ARCHITECTURE.md, "Forking Node"): every forked child starts with the zygote's Math.random state, and Node's
// randomUUID/randomInt caches would repeat across children if the zygote filled them. The zygote gets cache-free
// versions; each worker gets a Math.random seeded from the kernel and Node's originals back.
import crypto = require('node:crypto');
import { native } from '../native';

type Crypto = typeof crypto;
const originals = { randomUUID: crypto.randomUUID, randomInt: crypto.randomInt };
/** Web Crypto's randomUUID (globalThis.crypto) draws from the same per-process cache as node:crypto's. */
const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
const webRandomUUID = webCrypto?.randomUUID;

/** In the zygote: randomUUID and randomInt that never touch Node's per-process caches. */
export function useCacheFreeCrypto(): void {
  const c = crypto as { -readonly [K in keyof Crypto]: Crypto[K] };
  c.randomUUID = () => {
    const b = crypto.randomBytes(16);
    b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` as `${string}-${string}-${string}-${string}-${string}`;
  };
  if (webCrypto) webCrypto.randomUUID = c.randomUUID;
  c.randomInt = ((min: number, max?: number | ((e: Error | null, n: number) => void), cb?: (e: Error | null, n: number) => void) => {
    let lo = 0;
    let hi = min;
    let done = cb;
    if (typeof max === 'number') {
      lo = min;
      hi = max;
    } else if (typeof max === 'function') {
      done = max;
    }
    const range = hi - lo;
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || range <= 0 || range > 2 ** 48) {
      throw new RangeError(`randomInt: expected safe integers with 0 < max - min <= 2^48, got ${lo}, ${hi}`);
    }
    const limit = 2 ** 48 - (2 ** 48 % range);
    let x: number;
    do x = crypto.randomBytes(6).readUIntBE(0, 6); while (x >= limit);
    const n = lo + (x % range);
    if (done) process.nextTick(done, null, n);
    return n;
  }) as Crypto['randomInt'];
}

/** In a worker: Node's own randomUUID/randomInt (their caches start empty here) and a freshly seeded Math.random. */
export function reseedAfterFork(): void {
  const c = crypto as { -readonly [K in keyof Crypto]: Crypto[K] };
  c.randomUUID = originals.randomUUID;
  c.randomInt = originals.randomInt;
  if (webCrypto && webRandomUUID) webCrypto.randomUUID = webRandomUUID;
  // the seed comes straight from the kernel: OpenSSL's generator, which crypto.randomBytes uses, reseeds itself on
  // its first use in each child and writes its state into private pages, which an idle worker need not pay for
  const seed = Buffer.alloc(16);
  native().fillRandom(seed);
  Math.random = seededRandom(seed);
}

/** xoshiro128** seeded from 16 bytes, giving 53-bit doubles in [0, 1) like V8's. */
function seededRandom(seed: Buffer): () => number {
  let a = seed.readUInt32LE(0);
  let b = seed.readUInt32LE(4);
  let c = seed.readUInt32LE(8);
  let d = seed.readUInt32LE(12);
  if ((a | b | c | d) === 0) a = 1;
  const next = (): number => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c = (c ^ a) >>> 0;
    d = (d ^ b) >>> 0;
    b = (b ^ c) >>> 0;
    a = (a ^ d) >>> 0;
    c = (c ^ t) >>> 0;
    d = rotl(d, 11);
    return r;
  };
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
