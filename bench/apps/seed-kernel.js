// bench/seed.js: the summing kernel written as a function over a parameter (the `kernel=param` variant). The
// `natural` variant is the same loop written inline in each handler over the module-level array (seed-sum.js,
// seed-cow.js, seed-child.js, seed-threads.js), as an app would write it.
'use strict';

function sumParam(arr, lo, hi) {
  let s = 0;
  for (let i = lo; i < hi; i++) s += arr[i];
  return s;
}

/** Slice `part` of `of` equal slices of `n` elements: [lo, hi). The same split in every row (and in seed.py). */
function slice(n, part, of) {
  return [Math.floor((part * n) / of), Math.floor(((part + 1) * n) / of)];
}

module.exports = { sumParam, slice };
