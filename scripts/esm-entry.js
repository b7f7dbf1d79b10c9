// Writes dist/index.mjs, the ESM entry: it re-exports the CommonJS build, so `import { dataset } from 'prefork'` and
// `require('prefork')` share one module instance (and one registry) in a process.
const fs = require('node:fs');
const path = require('node:path');
const names = Object.keys(require('../dist/index.js')).filter(n => n !== '__esModule');
const body = `import cjs from './index.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`;
fs.writeFileSync(path.join(__dirname, '..', 'dist', 'index.mjs'), body);
