"""Shows that a Cascade call from Python releases the GIL: while one thread is inside a long
foreign call (Model.simulate_batch), the main thread keeps running Python code.

    python scripts/bench/python_gil.py [--model models/ketamine.ant] [--sets 400]

Prints the foreign call's duration and the longest pause of the main thread's Python loop during
it. Were the GIL held, that pause would be the whole call; with it released the loop only waits
for its share of the cores (the switch interval, 5 ms, on a loaded machine). Also times N
simulations on one thread, on two Python threads, and as one simulate_batch (speed-ups need
free cores: on a machine whose load exceeds its cores they stay near 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "ketamine.ant"))
    ap.add_argument("--sets", type=int, default=400)
    a = ap.parse_args()
    import cascade_sim

    model = cascade_sim.load(a.model)
    grid = dict(end="72 h", steps=144, start="-5 d")
    model.simulate(**grid)
    sets = [{}] * a.sets
    span = {}

    def work():
        span["start"] = time.perf_counter()
        model.simulate_batch(sets, threads=1, **grid)
        span["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    stamps = []
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
        sum(range(1000))
    worker.join()
    inside = [t for t in stamps if span["start"] <= t <= span["end"]]
    gaps = [b - a for a, b in zip(inside, inside[1:])]
    print(f"foreign call {span['end'] - span['start']:.3f} s; the main thread ran {len(inside)} loop iterations "
          f"meanwhile, longest pause {1000 * max(gaps, default=0):.1f} ms")

    n = 2 * max(2, a.sets // 20)
    t = time.perf_counter()
    for _ in range(n):
        model.simulate(**grid)
    one = time.perf_counter() - t
    t = time.perf_counter()
    threads = [threading.Thread(target=lambda: [model.simulate(**grid) for _ in range(n // 2)]) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    two = time.perf_counter() - t
    t = time.perf_counter()
    model.simulate_batch([{}] * n, **grid)
    batch = time.perf_counter() - t
    print(f"{n} simulations: one thread {one:.3f} s, two Python threads {two:.3f} s ({one / two:.2f}x), "
          f"simulate_batch on every core {batch:.3f} s ({one / batch:.2f}x); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
