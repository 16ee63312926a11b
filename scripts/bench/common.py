"""What rr_worker.py and amici_worker.py share: the sweep grid and the timing loop.

Both workers run as scripts from this directory (each in its own virtual environment), so this
module is importable by both without installing anything.
"""
import time


def sweep_factor(i, n):
    """Scale of the swept parameter at point i of n: 10^(-1 + 2i/(n-1)), the grid of
    `cascade benchmark --sweep`."""
    return 10 ** (-1 + 2 * i / max(1, n - 1))


def sweep_points(n, sample):
    """All n points, or `sample` of them spread evenly (run.py scales the loop time up)."""
    if 0 < sample < n:
        return sorted({round(k * (n - 1) / (sample - 1)) for k in range(sample)})
    return range(n)


def time_repeatedly(simulate, min_time, max_repeat):
    """Times `simulate()` until min_time seconds and at least 3 runs have passed; returns the
    sorted durations in seconds."""
    samples = []
    begin = time.perf_counter()
    while len(samples) < 3 or (time.perf_counter() - begin < min_time and len(samples) < max_repeat):
        s = time.perf_counter()
        simulate()
        samples.append(time.perf_counter() - s)
    samples.sort()
    return samples
