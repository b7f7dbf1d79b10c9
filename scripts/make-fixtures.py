#!/usr/bin/env python3
"""Regenerates the format fixtures in test/fixtures/formats/ and their manifest.json.

Usage: python3 scripts/make-fixtures.py [OUTDIR]      (default: test/fixtures/formats)

Run by hand when a fixture has to change, then commit the files. The tests never run this script: they read the
committed files and check prefork's loaders against manifest.json, which records for every array its numpy dtype
as stored in the file, shape, element count, first four and last values, sum (float64, C order) and sha256_le_c, the
sha256 of its bytes in little-endian C order (what a worker's typed array holds after loading).

Every random value comes from one numpy.random.default_rng(672) stream drawn in a fixed order, so reruns are
byte-identical: numpy 1.24.2 made the committed files and numpy 2.4 rewrites all 21 byte for byte (manifest.json
differs only in its "generator" line, which names the numpy that ran; bundle_deflated.npz also assumes zlib's usual
level-6 output). Add new random arrays at the end of the stream: reordering or resizing a draw changes every later
value.

What each file is for (the loader feature it exercises):
  f64_vector.npy        plain v1 '<f8' vector; the dataset the start/reload integration tests share and sum
  f32_matrix.npy        2-d '<f4' (64, 16); tests cut it at 1000 and 40 bytes for the truncated-data/-header errors
  i32_vector.npy        '<i4' with an odd element count (257), values over the whole int32 range
  u8_image.npy          3-d '|u1' (8, 8, 3): one-byte dtype, no byte order
  bool_mask.npy         '|b1' mapped to prefork's bool
  f16_vector.npy        '<f2' half floats
  f64_bigendian.npy     '>f8' stored big-endian: the loader byte-swaps while copying
  i32_bigendian.npy     '>i4' big-endian integers (negative ones too)
  f64_fortran.npy       fortran_order True (5, 7): the loader transposes to C order
  f64_scalar.npy        0-d array, shape (): one element
  f32_empty.npy         shape (0, 4): no data bytes at all
  f64_v2_header.npy     npy format version 2.0 (4-byte header length)
  f32_v3_header.npy     npy format version 3.0 (utf-8 header)
  i64_ids.npy, u16_vector.npy   '<i8' and '<u2' aranges
  bundle_stored.npz     zip members STORED: arrays are byte ranges of the archive
  bundle_deflated.npz   the same arrays DEFLATED: arrays are inflated streams
  model_aligned.safetensors     4 tensors + __metadata__; header space-padded so data starts at byte 320 and every
                                tensor starts at a multiple of its element size
  model_misaligned.safetensors  unpadded header (data at byte 179) and a 3-byte u8 first, so the f32 tensor starts at
                                byte 182 and the f64 one at 218: copies must not assume aligned sources
  scalar_and_empty.safetensors  a 0-d tensor (zero_d = 1.5, "shape": [] in the JSON header), a (0, 3) tensor with
                                data_offsets [4, 4], and small int16s
  raw_f64.bin           headerless little-endian f64 (4096 values): loaded with the ':f64' dtype suffix
Beyond the manifest, tests hard-code: zero_d = 1.5 printed as "f32 [] 4 bytes sum 1.5" and f32_matrix's (64, 16)
'<f4' with a 128-byte header (cut at 1000 bytes, "only 872 follow it") in test/cli/inspect.ts; model_aligned's keys
bias/mask/step/weight, f64 weight (32, 16), f32 bias [16] and metadata {format: pt, source: fixture} in test/index.ts;
f64_fortran.npy as the only Fortran-order file in test/datasets/npy.ts; 2 .npz, 3 .safetensors, >= 15 .npy files.
"""
import hashlib
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
from numpy.lib import format as npformat

SEED = 672
DEFAULT_OUTDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'formats')
ST_DTYPES = {'<f8': 'F64', '<f4': 'F32', '<f2': 'F16', '<i8': 'I64', '<i4': 'I32', '<i2': 'I16', '|i1': 'I8',
             '<u8': 'U64', '<u4': 'U32', '<u2': 'U16', '|u1': 'U8', '|b1': 'BOOL'}


def build(rng):
    """Every fixture as (name, kind, arrays, options), in the order the rng is drawn from (do not reorder)."""
    normal = rng.standard_normal
    f32, i32 = np.float32, np.iinfo(np.int32)
    files = [('f64_vector.npy', 'npy', normal(1000), {}),
             ('f32_matrix.npy', 'npy', normal((64, 16)).astype(f32), {}),
             # high is exclusive: int32 max and 255 never occur (kept so the committed values are reproduced)
             ('i32_vector.npy', 'npy', rng.integers(i32.min, i32.max, 257, dtype=np.int32), {}),
             ('u8_image.npy', 'npy', rng.integers(0, 255, (8, 8, 3), dtype=np.uint8), {}),
             ('bool_mask.npy', 'npy', rng.random(33) > 0.5, {}),
             ('f16_vector.npy', 'npy', normal(40).astype(np.float16), {}),
             ('f64_bigendian.npy', 'npy', normal(50).astype('>f8'), {}),
             ('f64_fortran.npy', 'npy', np.asfortranarray(normal((5, 7))), {}),
             ('f64_v2_header.npy', 'npy', normal(12), {'version': (2, 0)}),
             ('f32_v3_header.npy', 'npy', normal(12).astype(f32), {'version': (3, 0)})]
    bundle = {'embeddings': normal((100, 8)).astype(f32), 'ids': np.arange(100, dtype=np.int64),
              'scale': np.array([0.5, 2.0])}
    files += [('bundle_stored.npz', 'npz', bundle, {'compressed': False}),
              ('bundle_deflated.npz', 'npz', bundle, {'compressed': True})]
    # Key order here is the order in the safetensors JSON header and in the data section.
    aligned = {'weight': normal((32, 16)), 'bias': normal(16).astype(f32), 'step': np.array([7], dtype=np.int32),
               'mask': rng.random(10) > 0.5}
    misaligned = {'tag': np.array([1, 2, 3], dtype=np.uint8), 'vec': normal(9).astype(f32), 'mat': normal((3, 3))}
    scalar_and_empty = {'zero_d': np.array(1.5, dtype=f32), 'empty': np.zeros((0, 3)),
                        'ints': np.arange(6, dtype=np.int16).reshape(2, 3)}
    files += [('model_aligned.safetensors', 'safetensors', aligned,
               {'metadata': {'format': 'pt', 'source': 'fixture'}, 'align': True}),
              ('model_misaligned.safetensors', 'safetensors', misaligned, {'metadata': {}, 'align': False}),
              ('scalar_and_empty.safetensors', 'safetensors', scalar_and_empty, {'metadata': {}, 'align': False}),
              ('raw_f64.bin', 'raw', normal(4096), {})]
    # Deterministic arrays (no draws), last so they cannot shift the stream.
    files += [('f64_scalar.npy', 'npy', np.array(3.25), {}),
              ('f32_empty.npy', 'npy', np.zeros((0, 4), dtype=f32), {}),
              ('i32_bigendian.npy', 'npy', np.arange(-20, 20, dtype='>i4'), {}),
              ('i64_ids.npy', 'npy', np.arange(10, 110, dtype=np.int64), {}),
              ('u16_vector.npy', 'npy', np.arange(300, dtype=np.uint16), {})]
    return files


def npy_bytes(a, version=None):
    """An .npy file as numpy.lib.format writes it (v1 when the header fits, unless `version` says otherwise)."""
    buf = io.BytesIO()
    npformat.write_array(buf, a, version=version, allow_pickle=False)
    return buf.getvalue()


def le_c_bytes(a):
    """The array's bytes in little-endian C order: what prefork puts in shared memory."""
    return a.astype(a.dtype.newbyteorder('<'), order='C').tobytes(order='C')


def npz_bytes(arrays, compressed):
    """A .npz laid out as numpy.savez (force_zip64=True) wrote the committed ones: one '<key>.npy' member per array,
    sorted by key, stored or raw-deflated; each local header has a 20-byte zip64 extra field with the real sizes, the
    central directory has none (so the loader must use the local header's extra length to find the data); fixed date
    1980-01-01 and mode 0600. Written by hand because newer zipfile versions write zip64 local headers differently
    (sizes 0xFFFFFFFF, version 4.5), which would make the bytes depend on the Python version."""
    local, central = b'', b''
    for key in sorted(arrays):
        name, raw = (key + '.npy').encode(), npy_bytes(arrays[key])
        if compressed:
            deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            data = deflate.compress(raw) + deflate.flush()
        else:
            data = raw
        # version needed 2.0, no flags, method, DOS time 00:00, DOS date 1980-01-01, crc32, sizes, name length
        common = struct.pack('<HHHHHIII', 20, 0, 8 if compressed else 0, 0, 0x21, zlib.crc32(raw), len(data),
                             len(raw)) + struct.pack('<H', len(name))
        zip64 = struct.pack('<HHQQ', 1, 16, len(raw), len(data))
        central += (b'PK\x01\x02' + struct.pack('<BB', 20, 3) + common  # made by 2.0 on Unix
                    + struct.pack('<HHHHII', 0, 0, 0, 0, 0o600 << 16, len(local)) + name)
        local += b'PK\x03\x04' + common + struct.pack('<H', len(zip64)) + name + zip64 + data
    n = len(arrays)
    return local + central + b'PK\x05\x06' + struct.pack('<HHHHIIH', 0, 0, n, n, len(central), len(local), 0)


def safetensors_bytes(tensors, metadata, align):
    """A .safetensors: u64 LE header length, JSON header, then the tensors' LE C-order bytes back to back."""
    header, data = {}, b''
    for key, a in tensors.items():
        raw = le_c_bytes(a)
        header[key] = {'dtype': ST_DTYPES[a.dtype.str], 'shape': list(a.shape),
                       'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode()
    if align:  # pad with spaces (as the safetensors library does) so the data section starts at a multiple of 8
        text += b' ' * (-(8 + len(text)) % 8)
    return struct.pack('<Q', len(text)) + text + data


def describe(a):
    """The manifest entry of one array as it is stored in the file (dtype keeps its byte order)."""
    entry = {'count': int(a.size), 'dtype': a.dtype.str, 'sha256_le_c': hashlib.sha256(le_c_bytes(a)).hexdigest(),
             'shape': list(a.shape)}
    if a.size:
        flat = a.ravel(order='C')
        entry.update(first=flat[:4].tolist(), last=flat[-1].item(), sum=float(flat.astype(np.float64).sum()))
    return entry


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith('-')):
        sys.exit(f'usage: {argv[0]} [OUTDIR]   (default: test/fixtures/formats)')
    outdir = argv[1] if len(argv) == 2 else os.path.normpath(DEFAULT_OUTDIR)
    os.makedirs(outdir, exist_ok=True)
    manifest = {}
    for name, kind, arrays, opts in build(np.random.default_rng(SEED)):
        if kind == 'npy':
            version = opts.get('version')
            data = npy_bytes(arrays, version)
            entry = {'arrays': {'': describe(arrays)}, 'format': 'npy',
                     'version': 'auto' if version is None else list(version)}
        elif kind == 'npz':
            data = npz_bytes(arrays, opts['compressed'])
            entry = {'arrays': {k: describe(a) for k, a in arrays.items()}, 'compressed': opts['compressed'],
                     'format': 'npz'}
        elif kind == 'safetensors':
            data = safetensors_bytes(arrays, opts['metadata'], opts['align'])
            entry = {'arrays': {k: describe(a) for k, a in arrays.items()}, 'format': 'safetensors',
                     'metadata': opts['metadata']}
        else:  # raw: just the little-endian bytes
            data = le_c_bytes(arrays)
            entry = {'arrays': {'': describe(arrays)}, 'format': 'raw'}
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(data)
        manifest[name] = entry
    with open(os.path.join(outdir, 'manifest.json'), 'w') as f:
        json.dump({'files': manifest, 'generator': f'numpy {np.__version__}'}, f, indent=1, sort_keys=True)
    print(f'wrote {len(manifest)} fixtures and manifest.json to {outdir}')


if __name__ == '__main__':
    main(sys.argv)
