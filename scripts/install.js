#!/usr/bin/env node
// npm's install hook: use the prebuilt shim shipped in prebuilds/PLATFORM-ARCH/ (linux-x64 and linux-arm64, glibc)
// when it loads on this machine, so users need no compiler; else build it from source with node-gyp (a musl libc,
// another architecture, a development checkout, where prebuilds/ does not exist).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'prefork.node');

function loads(file) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
  return r.status === 0;
}

if (fs.existsSync(prebuilt) && loads(prebuilt)) {
  console.log(`prefork: using the prebuilt shim ${path.relative(root, prebuilt)}`);
  process.exit(0);
}
if (fs.existsSync(prebuilt)) console.log(`prefork: the prebuilt shim does not load here; building it from source`);
const r = spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
