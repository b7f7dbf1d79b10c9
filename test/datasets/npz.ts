import t from 'tap';
import * as zlib from 'node:zlib';
import { DTYPE_SIZE } from '../../src/datasets/dtypes';
import { planNpz } from '../../src/datasets/npz';
import { memorySource, openSource } from '../../src/datasets/source';
import { fixture, FIXTURES, manifest, npy, npyDict, npyOf, numpyDescr, referenceBytes, sha256, tempFile, throwsPrefork, zip, type ZipMember } from '../helpers/build';

const plan = (bytes: Uint8Array, name = 'b.npz') => planNpz(memorySource(name, bytes));
const a4 = npyOf('<f4', [2, 3], 4);
const i8 = npyOf('<i8', [5], 8);

t.test('both .npz fixtures plan to the manifest arrays (stored as ranges, deflated as streams)', async t => {
  const files = Object.entries(manifest()).filter(([, f]) => f.format === 'npz');
  t.equal(files.length, 2);
  for (const [name, m] of files) {
    const src = openSource(`${FIXTURES}/${name}`);
    const p = planNpz(src);
    src.close();
    t.equal(p.format, 'npz');
    t.same(p.arrays.map(a => a.key), Object.keys(m.arrays), `${name}: keys in archive order`);
    for (const a of p.arrays) {
      const want = m.arrays[a.key];
      if (want === undefined) throw new Error(`${name}: unexpected array ${a.key}`);
      const { dtype, bigEndian } = numpyDescr(want.dtype);
      t.equal(a.dtype, dtype, `${name}/${a.key}: dtype`);
      t.same(a.shape, want.shape, `${name}/${a.key}: shape`);
      t.equal(a.byteLength, want.count * DTYPE_SIZE[a.dtype], `${name}/${a.key}: byteLength`);
      t.equal(a.swap, bigEndian && DTYPE_SIZE[a.dtype] > 1);
      t.equal(a.fortran, false);
      t.equal(a.source.kind, name.includes('deflated') ? 'deflate' : 'range', `${name}/${a.key}: source kind`);
      t.equal(sha256(referenceBytes(fixture(name), a)), want.sha256_le_c, `${name}/${a.key}: bytes match the manifest`);
    }
  }
});

t.test('stored and deflated members, local extras, zip64 extras and end records, comments, data descriptors', async t => {
  const members: ZipMember[] = [
    { name: 'w.npy', data: a4 },
    { name: 'ids.npy', data: i8, method: 8 },
    { name: 'big.npy', data: a4, zip64: true, localExtra: Buffer.from([0x99, 0x99, 4, 0, 1, 2, 3, 4]) },
    { name: 'dd.npy', data: i8, method: 8, flags: 0x08, zip64: true },
    { name: 'dir/sub.npy', data: a4, method: 8, flags: 0x800 },
  ];
  const built = zip(members, { zip64End: true, comment: 'PK\x05\x06 a comment that looks like a record' });
  const p = plan(built.bytes);
  t.same(p.arrays.map(a => [a.key, a.dtype, a.shape, a.source.kind]), [
    ['w', 'f32', [2, 3], 'range'],
    ['ids', 'i64', [5], 'deflate'],
    ['big', 'f32', [2, 3], 'range'],
    ['dd', 'i64', [5], 'deflate'],
    ['dir/sub', 'f32', [2, 3], 'deflate'],
  ]);
  for (const [i, a] of p.arrays.entries()) {
    const m = members[i];
    if (m === undefined) throw new Error('member');
    t.same(referenceBytes(built.bytes, a), m.data.subarray(m.data.length - a.byteLength), `${a.key}: bytes`);
  }
});

t.test('a deflated member whose header needs a growing prefix, and one whose prefix inflates past the cap', async t => {
  // Incompressible-ish whitespace padding makes a 200 kB header that needs more than the first 1 kB of the stream.
  let seed = 1;
  const spaces = Array.from({ length: 200_000 }, () => ' \t'[(seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 2]).join('');
  const grown = npy(npyDict('<i8', [5]) + spaces, i8.subarray(i8.length - 40), { version: 2 });
  t.same(plan(zip([{ name: 'g.npy', data: grown, method: 8 }]).bytes).arrays[0]?.shape, [5]);
  // A ~1 MiB header of spaces then 8 MiB of zeros: a 4 kB prefix inflates to more than the 2 MiB cap.
  const huge = npy(npyDict('<u1', [8 << 20]) + ' '.repeat(1_000_000), new Uint8Array(8 << 20), { version: 2 });
  const p = plan(zip([{ name: 'z.npy', data: huge, method: 8 }]).bytes);
  t.same([p.arrays[0]?.shape, p.arrays[0]?.source.kind === 'deflate' && p.arrays[0].source.skip], [[8 << 20], huge.length - (8 << 20)]);
});

/** A stored single-member zip of a4, with central directory entry 0 patched by `patch`. */
function patched(patch: (b: Buffer, central: number, local: number, eocd: number) => void, members: ZipMember[] = [{ name: 'a.npy', data: a4 }]): Buffer {
  const z = zip(members);
  patch(z.bytes, z.central[0] ?? 0, z.local[0] ?? 0, z.eocd);
  return z.bytes;
}

t.test('rejects what is not a zip, and an empty file', async t => {
  throwsPrefork(t, () => plan(a4), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: end of central directory: expected a zip record (PK\\x05\\x06) in the last');
  throwsPrefork(t, () => plan(zip([{ name: 'a.npy', data: a4 }]).bytes.subarray(0, 100)), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: end of central directory');
  throwsPrefork(t, () => plan(new Uint8Array(0)), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: end of central directory', 'in the last 0 bytes');
  throwsPrefork(t, () => openSource(tempFile('e.npz', new Uint8Array(0))), 'PREFORK_DATASET_EMPTY', 'e.npz');
  throwsPrefork(t, () => plan(zip([]).bytes), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: central directory: expected at least one KEY.npy member, got none');
});

t.test('rejects encryption, other methods and names that are not *.npy', async t => {
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt16LE(1, c + 8))), 'PREFORK_DATASET_BAD_ARCHIVE', "b.npz: member 'a.npy' flags: expected an unencrypted member");
  throwsPrefork(t, () => plan(zip([{ name: 'a.npy', data: a4, method: 12 }]).bytes), 'PREFORK_DATASET_BAD_ARCHIVE', "b.npz: member 'a.npy' compression method: expected 0 (stored) or 8 (deflate), got 12 (bzip2)");
  for (const name of ['a.txt', '.npy', 'dir/', 'a.NPY']) {
    throwsPrefork(t, () => plan(zip([{ name, data: a4 }]).bytes), 'PREFORK_DATASET_BAD_ARCHIVE', `b.npz: member '${name}' name: expected KEY.npy`);
  }
});

t.test('rejects duplicate member names', async t => {
  const z = zip([{ name: 'a.npy', data: a4 }, { name: 'a.npy', data: i8, method: 8 }]);
  throwsPrefork(t, () => plan(z.bytes), 'PREFORK_DATASET_DUPLICATE', "b.npz: member 'a.npy': expected each array name once, got 'a' twice");
});

t.test('rejects broken records: signatures, names, zip64 fields, bounds, disks', async t => {
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(0, c))), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: central directory entry 0: expected signature PK\\x01\\x02');
  throwsPrefork(t, () => plan(patched((b, _c, l) => b.writeUInt32LE(0, l))), 'PREFORK_DATASET_BAD_ARCHIVE', "b.npz: member 'a.npy' local header: expected signature PK\\x03\\x04 at byte 0");
  throwsPrefork(t, () => plan(patched((b, _c, l) => b.write('b', l + 30))), 'PREFORK_DATASET_BAD_ARCHIVE', "b.npz: member 'a.npy' local header name: expected 'a.npy' as in the central directory, got 'b.npy'");
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(0xffffffff, c + 20))), 'PREFORK_DATASET_BAD_ARCHIVE', "b.npz: member 'a.npy' zip64 extra field: expected compressedSize (they are 0xffffffff), found no zip64 field");
  throwsPrefork(t, () => plan(patched((b, _c, _l, e) => b.writeUInt32LE(0xffffffff, e + 16))), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: end of central directory: expected a zip64 locator');
  throwsPrefork(t, () => plan(patched((b, _c, _l, e) => b.writeUInt32LE(5000, e + 16))), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: central directory: expected bytes 5000..');
  throwsPrefork(t, () => plan(patched((b, _c, _l, e) => { b.writeUInt16LE(500, e + 8); b.writeUInt16LE(500, e + 10); })), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: central directory: 500 entries need at least 23000 bytes');
  throwsPrefork(t, () => plan(patched((b, _c, _l, e) => b.writeUInt16LE(1, e + 4))), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: end of central directory: expected a single-disk archive');
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt16LE(9, c + 30))), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: central directory entry 0: name, extra field and comment run past');
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(4000, c + 42))), 'PREFORK_DATASET_TRUNCATED', "b.npz: member 'a.npy' local header: needs bytes 4000..4030");
  const z64 = zip([{ name: 'a.npy', data: a4 }], { zip64End: true });
  z64.bytes.writeUInt32LE(0, z64.eocd - 20 - 56);
  throwsPrefork(t, () => plan(z64.bytes), 'PREFORK_DATASET_BAD_ARCHIVE', 'b.npz: zip64 end of central directory: expected signature PK\\x06\\x06');
});

t.test('rejects member sizes that disagree with the file or the npy inside', async t => {
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(a4.length + 1, c + 24))), 'PREFORK_DATASET_BAD_ARCHIVE', "b.npz: member 'a.npy' sizes: a stored member's compressed size 152 should equal its uncompressed size 153");
  throwsPrefork(t, () => plan(patched((b, c) => { b.writeUInt32LE(a4.length - 4, c + 20); b.writeUInt32LE(a4.length - 4, c + 24); })), 'PREFORK_DATASET_TRUNCATED', "b.npz: member 'a.npy' data: shape (2, 3) of '<f4' needs 24 bytes after the header, only 20 follow it");
  throwsPrefork(t, () => plan(patched((b, c) => { b.writeUInt32LE(a4.length + 4, c + 20); b.writeUInt32LE(a4.length + 4, c + 24); })), 'PREFORK_DATASET_SIZE_MISMATCH', "b.npz: member 'a.npy' data:", 'got 28');
  const deflated: ZipMember[] = [{ name: 'a.npy', data: a4, method: 8 }];
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(a4.length + 8, c + 24), deflated)), 'PREFORK_DATASET_SIZE_MISMATCH', "b.npz: member 'a.npy' data:", 'got 32');
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(a4.length - 8, c + 24), deflated)), 'PREFORK_DATASET_TRUNCATED', "b.npz: member 'a.npy' data:", 'only 16 follow it');
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(100, c + 24), deflated)), 'PREFORK_DATASET_TRUNCATED', "b.npz: member 'a.npy' uncompressed size: 100 bytes is less than its 128-byte npy header");
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(0xfffffff0, c + 24), deflated)), 'PREFORK_DATASET_BAD_ARCHIVE', "b.npz: member 'a.npy' uncompressed size: 4294967280 bytes cannot come from");
  throwsPrefork(t, () => plan(patched((b, c) => b.writeUInt32LE(5000, c + 20), deflated)), 'PREFORK_DATASET_TRUNCATED', "b.npz: member 'a.npy' data: needs bytes 35..5035");
});

t.test('rejects a corrupt deflate stream and a stream that ends inside the npy header', async t => {
  throwsPrefork(t, () => plan(patched((b, _c, l) => b.fill(0xff, l + 35, l + 45), [{ name: 'a.npy', data: a4, method: 8 }])), 'PREFORK_DATASET_BAD_ARCHIVE', "b.npz: member 'a.npy' header: expected a valid deflate stream, got");
  const cut = zlib.deflateRawSync(a4.subarray(0, 50));
  const z = zip([{ name: 'a.npy', data: Buffer.alloc(cut.length) }]);
  cut.copy(z.bytes, 35);
  z.bytes.writeUInt16LE(8, (z.central[0] ?? 0) + 10);
  z.bytes.writeUInt32LE(a4.length, (z.central[0] ?? 0) + 24);
  throwsPrefork(t, () => plan(z.bytes), 'PREFORK_DATASET_TRUNCATED', "b.npz: member 'a.npy' header: needs 128 bytes for the header text", 'only 50 available');
});

t.test('errors inside a member name the member and the field', async t => {
  const bad = npy(npyDict('<c8', [1]), new Uint8Array(8));
  throwsPrefork(t, () => plan(zip([{ name: 'c.npy', data: bad }]).bytes), 'PREFORK_DATASET_BAD_DTYPE', "b.npz: member 'c.npy' header 'descr': unsupported dtype '<c8'");
  throwsPrefork(t, () => plan(zip([{ name: 'c.npy', data: bad, method: 8 }]).bytes), 'PREFORK_DATASET_BAD_DTYPE', "b.npz: member 'c.npy' header 'descr': unsupported dtype '<c8'");
  const neg = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }");
  throwsPrefork(t, () => plan(zip([{ name: 'n.npy', data: neg, method: 8 }]).bytes), 'PREFORK_DATASET_BAD_SHAPE', "b.npz: member 'n.npy' header 'shape': expected a tuple of non-negative integers, got (-1,)");
});
