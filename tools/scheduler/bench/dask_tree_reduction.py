#!/usr/bin/env python3
"""Dask baseline for the tree-reduction benchmark (run by scheduler-bench.ts when dask is installed).

Times the same tree reduction of N literals (1..N summed pairwise, an odd item carried up) in two shapes:
  - "wukong": N-1 add tasks, the first level adding literals (the graph `treeReduction` builds);
  - "leaf-tasks": each literal is its own task as well (2N-1 tasks), as Dask users usually write it.
on Dask distributed (LocalCluster, 2 worker processes x 1 thread) and on Dask's in-process threaded
scheduler. Each figure is the median wall time of RUNS calls after one warm-up call, checked against
N(N+1)/2. Prints one JSON object on stdout.

Usage: python3 dask_tree_reduction.py [LEAVES] [RUNS]
"""
import json
import operator
import statistics
import sys
import time

import dask
import dask.threaded
from distributed import Client, LocalCluster


def identity(x):
    return x


def tree_graph(leaves, leaf_tasks, prefix):
    graph = {}
    if leaf_tasks:
        level = []
        for i in range(leaves):
            key = f"{prefix}x{i}"
            graph[key] = (identity, i + 1)
            level.append(key)
    else:
        level = [i + 1 for i in range(leaves)]
    depth = 1
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            key = f"{prefix}t{depth}.{i // 2}"
            graph[key] = (operator.add, level[i], level[i + 1])
            nxt.append(key)
        if len(level) % 2 == 1:
            nxt.append(level[-1])
        level = nxt
        depth += 1
    return graph, level[0]


def median_seconds(get, leaves, leaf_tasks, runs):
    """Every call gets fresh key names, so no scheduler can answer from results it still holds."""
    expected = leaves * (leaves + 1) // 2
    times = []
    for run in range(runs + 1):
        graph, final = tree_graph(leaves, leaf_tasks, f"r{run}-{time.monotonic_ns()}-")
        t0 = time.perf_counter()
        result = get(graph, final)
        elapsed = time.perf_counter() - t0
        if result != expected:
            raise SystemExit(f"dask returned {result}, expected {expected}")
        if run > 0:  # run 0 is the warm-up
            times.append(elapsed)
    return statistics.median(times)


def main():
    leaves = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    out = {"dask": dask.__version__, "leaves": leaves, "runs": runs, "shapes": {}}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        for shape, leaf_tasks in (("wukong", False), ("leaf-tasks", True)):
            out["shapes"][shape] = {
                "tasks": len(tree_graph(leaves, leaf_tasks, "")[0]),
                "distributed_s": median_seconds(client.get, leaves, leaf_tasks, runs),
                "threaded_s": median_seconds(dask.threaded.get, leaves, leaf_tasks, runs),
            }
    finally:
        client.close()
        cluster.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
