// bench/seed.js's prefork app: sums slice `?part=k&of=N` of the shared float64 dataset 'big' and answers
// {"sum","pid","ms"}; `?kernel=param` calls the kernel as a function over a parameter instead of the inline loop;
// `?whoami` answers the pid only (the bench uses it to hold one keep-alive connection per worker).
'use strict';
const { dataset } = require('prefork');
const { sumHandler } = require('./seed-kernel.js');

const big = dataset('big').array(); // module level: a Float64Array over the shared memfd, no copy
if (!(big instanceof Float64Array)) throw new Error("seed-sum.js: share the file as big=PATH:f64");

module.exports = sumHandler(big);
