// bench/seed.js's copy-on-write app, for `prefork start bench/apps/seed-cow.js --preload`: the zygote reads the file
// named by $SEED_FILE into a plain (non-shared) Float64Array at module level; forked workers inherit it
// copy-on-write. The handler is seed-sum.js's, over that array. The read is synchronous, so the import leaves no
// handle or thread behind and --preload accepts it.
'use strict';
const fs = require('node:fs');
const { sumHandler } = require('./seed-kernel.js');

const big = (() => {
  const file = process.env.SEED_FILE;
  if (!file) throw new Error('seed-cow.js: set SEED_FILE to a raw little-endian float64 file');
  const bytes = fs.statSync(file).size;
  const arr = new Float64Array(Math.floor(bytes / 8));
  const u8 = new Uint8Array(arr.buffer);
  const fd = fs.openSync(file, 'r');
  try {
    for (let off = 0; off < u8.length; ) {
      const n = fs.readSync(fd, u8, off, Math.min(u8.length - off, 64 << 20), off);
      if (n <= 0) throw new Error(`seed-cow.js: ${file}: short read at ${off}`);
      off += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return arr;
})();

module.exports = sumHandler(big);
