// The dtypes prefork shares, and how each source format spells them. Workers always see native little-endian data,
// so a dtype here has no byte order: the loaders strip it and remember whether bytes must be swapped.

export type DType =
  | 'f64' | 'f32' | 'f16' | 'bf16' | 'f8e4m3' | 'f8e5m2'
  | 'i8' | 'i16' | 'i32' | 'i64'
  | 'u8' | 'u16' | 'u32' | 'u64'
  | 'bool';

/** Width in bytes of one element. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  f64: 8, f32: 4, f16: 2, bf16: 2, f8e4m3: 1, f8e5m2: 1,
  i8: 1, i16: 2, i32: 4, i64: 8,
  u8: 1, u16: 2, u32: 4, u64: 8,
  bool: 1,
};

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

/** The typed array a worker gets for each dtype (f16 is a Float16Array where the runtime has one). */
export type TypedArrayFor<D extends DType> =
  D extends 'f64' ? Float64Array :
  D extends 'f32' ? Float32Array :
  D extends 'i8' ? Int8Array :
  D extends 'i16' ? Int16Array :
  D extends 'i32' ? Int32Array :
  D extends 'i64' ? BigInt64Array :
  D extends 'u16' | 'bf16' ? Uint16Array :
  D extends 'u32' ? Uint32Array :
  D extends 'u64' ? BigUint64Array :
  D extends 'f16' ? Uint16Array /* or Float16Array at run time */ :
  Uint8Array;

export type AnyTypedArray =
  | Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

type ViewCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => AnyTypedArray;

const Float16: ViewCtor | undefined = (globalThis as { Float16Array?: ViewCtor }).Float16Array;

const VIEW: Readonly<Record<DType, ViewCtor>> = {
  f64: Float64Array, f32: Float32Array, f16: Float16 ?? Uint16Array, bf16: Uint16Array,
  f8e4m3: Uint8Array, f8e5m2: Uint8Array,
  i8: Int8Array, i16: Int16Array, i32: Int32Array, i64: BigInt64Array,
  u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, u64: BigUint64Array,
  bool: Uint8Array,
};

/** A zero-copy view of `count` elements of `dtype` at `byteOffset` of `buffer`. */
export function viewOf(dtype: DType, buffer: ArrayBuffer, byteOffset: number, count: number): AnyTypedArray {
  return new VIEW[dtype](buffer, byteOffset, count);
}

/** numpy's type letter + width (after the byte-order character) → dtype. */
export const NUMPY_DTYPE: Readonly<Record<string, DType>> = {
  f8: 'f64', f4: 'f32', f2: 'f16',
  i1: 'i8', i2: 'i16', i4: 'i32', i8: 'i64',
  u1: 'u8', u2: 'u16', u4: 'u32', u8: 'u64',
  b1: 'bool',
};

/** safetensors dtype names → dtype. */
export const SAFETENSORS_DTYPE: Readonly<Record<string, DType>> = {
  F64: 'f64', F32: 'f32', F16: 'f16', BF16: 'bf16', F8_E4M3: 'f8e4m3', F8_E5M2: 'f8e5m2',
  I8: 'i8', I16: 'i16', I32: 'i32', I64: 'i64',
  U8: 'u8', U16: 'u16', U32: 'u32', U64: 'u64',
  BOOL: 'bool',
};
