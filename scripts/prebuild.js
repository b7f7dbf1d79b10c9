#!/usr/bin/env node
// npm's prepack hook: puts the shim built here (build/Release/prefork.node) into the package as
// prebuilds/PLATFORM-ARCH/prefork.node, which scripts/install.js uses where it loads.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'prefork.node');
if (!fs.existsSync(built)) {
  console.error('prefork prebuild: build/Release/prefork.node is missing; run `npm install` (node-gyp) first');
  process.exit(1);
}
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(dir, { recursive: true });
fs.copyFileSync(built, path.join(dir, 'prefork.node'));
console.log(`prefork prebuild: ${path.relative(root, path.join(dir, 'prefork.node'))}`);
