// What the bench scripts know of processes (from /proc, and their output read line by line): one copy, shared by
// bench/run.js, bench/seed.js and bench/hot-loop.js.
'use strict';
const fs = require('node:fs');

/** Whether `pid` is running (not gone, not a zombie). */
function isAlive(pid) {
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every live descendant of `roots`, from the ppid fields in /proc (this kernel has no /proc/PID/task/TID/children). */
function descendants(roots) {
  const children = new Map();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(p));
    } catch {
      // gone
    }
  }
  const out = [];
  const queue = [...roots];
  while (queue.length) {
    for (const c of children.get(queue.shift()) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Calls `onBatch(lines)` with the complete lines of each chunk `stream` gives (utf8; a partial last line waits). */
function onLines(stream, onBatch) {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', chunk => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    onBatch(lines);
  });
}

module.exports = { isAlive, descendants, onLines };
