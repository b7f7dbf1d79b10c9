#!/usr/bin/env python3
"""bench/seed.js's Python reference rows: the article's SharedMemory and fork copy-on-write strategies, with numpy,
on the same raw float64 file, the same split into N equal slices and the same clocks as the Node rows.

    python3 bench/seed.py --file bench/data/seed-1536000000.f64 --elements 192000000 --reference SUM \
        --workers 2,4 --runs 4 --sessions 2 [--rows py-shm,py-cow]

Rows:
  py-shm  the parent copies the file into a multiprocessing.shared_memory.SharedMemory block (not timed: the data
          exists before the workers, as in the article); each of N fork()ed processes attaches the block by name
          and wraps an ndarray over it (start-up), then on "go" sums its slice with ndarray.sum();
  py-cow  the parent reads the file into a module-level ndarray (np.fromfile, not timed); N fork()ed processes
          inherit it copy-on-write and sum their slice of it.
Clocks (as seed.js): start-up = launching the processes until all say ready; first scan = the first "go" to every
process until the last partial sum is back; warm = later rounds (median, min, max over --runs samples, spread over
--sessions fresh launches); incl. start-up = launching until the first round's last sum is back. Every round's total
must equal --reference exactly (the file's values make every partial sum exact), or this exits 1.

The last line of stdout is one JSON object {"rows": [...]} in seed.js's result format. Every process is a child of
this one (multiprocessing, fork context) and is joined or killed before it exits.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import signal
import statistics
import sys
import time
from multiprocessing import shared_memory

import numpy as np

BIG = None  # py-cow: the module-level array the children inherit


def slice_of(n, part, of):
    return (part * n) // of, ((part + 1) * n) // of


def attach(name):
    """SharedMemory(name), as the article's workers attach it. Before Python 3.13 this registers the block with the
    resource tracker again; under the fork context that tracker is the parent's, whose set already holds the name,
    so the parent's unlink() at the end still unregisters it once."""
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    return shared_memory.SharedMemory(name=name)


def worker(kind, conn, shm_name, elements):
    shm = None
    if kind == 'py-shm':
        shm = attach(shm_name)
        arr = np.ndarray((elements,), dtype=np.float64, buffer=shm.buf)
    else:
        arr = BIG
    conn.send(('ready', os.getpid()))
    while True:
        msg = conn.recv()
        if msg[0] != 'go':
            break
        lo, hi = msg[1], msg[2]
        t = time.perf_counter()
        s = float(arr[lo:hi].sum())
        conn.send(('sum', s, (time.perf_counter() - t) * 1000, os.getpid()))
    del arr
    if shm is not None:
        shm.close()
    conn.close()


def session(kind, n, args, shm_name, warm_rounds, reference):
    ctx = mp.get_context('fork')
    t0 = time.perf_counter()
    pipes, procs = [], []
    try:
        for _ in range(n):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker, args=(kind, child, shm_name, args.elements), daemon=True)
            p.start()
            child.close()
            pipes.append(parent)
            procs.append(p)
        for c in pipes:
            if c.recv()[0] != 'ready':
                raise RuntimeError('worker did not say ready')
        startup = (time.perf_counter() - t0) * 1000

        def one_round():
            t = time.perf_counter()
            for k, c in enumerate(pipes):
                lo, hi = slice_of(args.elements, k, n)
                c.send(('go', lo, hi))
            sums = [c.recv() for c in pipes]
            ms = (time.perf_counter() - t) * 1000
            total = sum(s[1] for s in sums)
            if total != reference:
                raise RuntimeError(f'{kind}: the partial sums add up to {total!r}, the reference is {reference!r}')
            return ms, max(s[2] for s in sums), [s[3] for s in sums]

        first, first_worker, pids = one_round()
        included = (time.perf_counter() - t0) * 1000
        warm, warm_worker = [], []
        for _ in range(warm_rounds):
            ms, wms, _ = one_round()
            warm.append(ms)
            warm_worker.append(wms)
        for c in pipes:
            c.send(('stop',))
        for p in procs:
            p.join(10)
        return {'startup': startup, 'first': first, 'first_worker': first_worker, 'included': included,
                'warm': warm, 'warm_worker': warm_worker, 'pids': pids}
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()


def r1(x):
    return None if x is None or not math.isfinite(x) else round(x * 10) / 10


def main():
    global BIG  # pylint: disable=global-statement
    ap = argparse.ArgumentParser()
    ap.add_argument('--file', required=True)
    ap.add_argument('--elements', type=int, required=True)
    ap.add_argument('--reference', type=float, required=True)
    ap.add_argument('--workers', default='2,4')
    ap.add_argument('--runs', type=int, default=4)
    ap.add_argument('--sessions', type=int, default=2)
    ap.add_argument('--rows', default='py-shm,py-cow')
    args = ap.parse_args()
    workers = [int(w) for w in args.workers.split(',')]
    kinds = [r for r in args.rows.split(',') if r in ('py-shm', 'py-cow')]
    warm_each = max(1, math.ceil(args.runs / args.sessions))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    labels = {'py-shm': 'python SharedMemory', 'py-cow': 'python fork COW'}
    rows = []
    for kind in kinds:
        shm = None
        try:
            if kind == 'py-shm':
                shm = shared_memory.SharedMemory(create=True, size=args.elements * 8)
                dst = np.ndarray((args.elements,), dtype=np.float64, buffer=shm.buf)
                with open(args.file, 'rb') as f:
                    f.readinto(memoryview(dst).cast('B'))
                del dst
            else:
                BIG = np.fromfile(args.file, dtype='<f8', count=args.elements)
            for n in workers:
                samples = []
                for s in range(args.sessions):
                    samples.append(session(kind, n, args, shm.name if shm else None, warm_each, args.reference))
                    last = samples[-1]
                    print(f"seed.py: {kind} x{n} session {s + 1}/{args.sessions}: start-up {last['startup']:.0f} ms, "
                          f"first {last['first']:.1f} ms, warm {'/'.join(f'{x:.1f}' for x in last['warm'])}",
                          file=sys.stderr, flush=True)
                warm = [x for sm in samples for x in sm['warm']]
                rows.append({
                    'row': kind, 'label': labels[kind], 'kernel': 'numpy', 'workers': n,
                    'firstMs': r1(statistics.median(sm['first'] for sm in samples)),
                    'firstSamples': [r1(sm['first']) for sm in samples],
                    'warmMedianMs': r1(statistics.median(warm)), 'warmMinMs': r1(min(warm)), 'warmMaxMs': r1(max(warm)),
                    'warmSamples': [r1(x) for x in warm],
                    'workerWarmMedianMs': r1(statistics.median(x for sm in samples for x in sm['warm_worker'])),
                    'startupMs': r1(statistics.median(sm['startup'] for sm in samples)),
                    'includedMs': r1(statistics.median(sm['included'] for sm in samples)),
                    'sessions': len(samples), 'sum': args.reference,
                })
        finally:
            BIG = None
            if shm is not None:
                shm.close()
                shm.unlink()
    print(json.dumps({'rows': rows, 'python': sys.version.split()[0], 'numpy': np.__version__}))


if __name__ == '__main__':
    main()
