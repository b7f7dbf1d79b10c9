// Float64 sums of shared arrays, decoding the dtypes JavaScript has no typed array for (f16 before Float16Array,
// bf16, fp8), so `prefork inspect` can show a checksum a user can compare with numpy's.
import type { AnyTypedArray, DType } from './dtypes';

/** IEEE half-precision bits to a number. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bits (the top half of a float32) to a number. */
export function bf16ToNumber(h: number): number {
  u32[0] = h << 16;
  return f32[0] ?? NaN;
}

/** OCP FP8 E4M3 (no infinities; S.1111.111 is NaN). */
export function e4m3ToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const frac = b & 0x7;
  if (exp === 0xf && frac === 0x7) return NaN;
  return exp === 0 ? sign * frac * 2 ** -9 : sign * (1 + frac / 8) * 2 ** (exp - 7);
}

/** OCP FP8 E5M2 (IEEE-like, with infinities and NaNs). */
export function e5m2ToNumber(b: number): number {
  return halfToNumber(b << 8);
}

const DECODE: Partial<Record<DType, (bits: number) => number>> = {
  bf16: bf16ToNumber,
  f8e4m3: e4m3ToNumber,
  f8e5m2: e5m2ToNumber,
};

/** Sum of every element as float64 (bigints converted with Number()). */
export function sumOf(dtype: DType, a: AnyTypedArray): number {
  let s = 0;
  const decode = DECODE[dtype] ?? (dtype === 'f16' && a instanceof Uint16Array ? halfToNumber : undefined);
  if (decode) {
    for (const v of a as Uint8Array | Uint16Array) s += decode(v);
  } else if (a instanceof BigInt64Array || a instanceof BigUint64Array) {
    for (const v of a) s += Number(v);
  } else {
    for (const v of a) s += v;
  }
  return s;
}
