// bench/run.js's sections and flags: one table, read by run.js (parsing, --help) and bench/report.js (the README).
'use strict';

/** The sections, in the order they run; --only picks some. */
const SECTIONS = ['respawn', 'memory', 'throughput', 'hotloop', 'seed', 'load', 'reload'];

/** Every flag: its default (full run), its --quick value, and what it means. One table feeds parsing and --help. */
const FLAGS = {
  quick: { bool: true, meaning: 'shorter runs and smaller data everywhere (about a minute)' },
  only: { value: SECTIONS.join(','), meaning: 'the sections to run, comma-separated' },
  nodes: { value: '20,24', quick: '', meaning: '(c) Node majors for throughput (fetched into .cache/node by scripts/fetch-node.sh); empty: this node only' },
  samples: { value: '6', quick: '3', meaning: '(a) respawn samples per mode' },
  rounds: { value: '4', quick: '2', meaning: '(c) alternated rounds per Node version' },
  duration: { value: '3', quick: '2', meaning: '(c) seconds of wrk per run (after a 1 s warm-up)' },
  variants: { value: 'prefork,cluster,pm2', meaning: '(c) what to measure: prefork, no-board (no scoreboard), cluster (node:cluster), pm2 (PM2 cluster mode, on the first Node of --nodes only)' },
  'hot-nodes': { value: '20,22,24,26', quick: '', meaning: '(f) Node majors for the hot loop; empty: this node only' },
  'hot-elements': { value: String(64 * 2 ** 20), quick: String(8 * 2 ** 20), meaning: '(f) Float64Array elements scanned' },
  'seed-node': { value: '24', quick: '', meaning: '(g) the Node major the seed table runs on (the recommended one); empty: this node' },
  'seed-size-mb': { value: '1536', quick: '128', meaning: '(g) MB of the summed Float64Array' },
  'seed-runs': { value: '2', quick: '1', meaning: '(g) warm samples per row' },
  'seed-check-sessions': { value: '3', quick: '1', meaning: '(g) fresh launches of prefork fork mode, the row the checks judge (its first-scan check reads the median of their first scans)' },
  json: { value: '', meaning: 'also write this run\'s results to FILE' },
  readme: { value: 'yes', meaning: 'no: do not regenerate bench/README.md' },
};

module.exports = { SECTIONS, FLAGS };
