#!/usr/bin/env python3
"""Dask side of `nx run @wukong/bench:compare`: the same four applications on a Dask LocalCluster.

Usage: compare_dask.py SPEC_JSON   (a list of {"name", "params", "reps"}; see src/compare.ts)
Prints one JSON object: {"available": bool, "versions": {...}, "blas": [...], "results": [...]}.
Every repetition uses new seeds, so it builds new keys and really recomputes (a live Dask client would
otherwise reuse results it still holds). Inputs are generated inside the graph and results are reduced,
not gathered, as on the Wukong-TS side.
"""
import json
import sys
import time


def unavailable(reason):
    print(json.dumps({"available": False, "reason": reason}))
    sys.exit(0)


try:
    import numpy as np
    import dask
    import dask.array as da
    import distributed
    from distributed import Client, LocalCluster
    import sklearn
    from sklearn.svm import SVC
except Exception as e:  # the bench skips the Dask column when these are absent
    unavailable(f"{type(e).__name__}: {e}")


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: v for k, v in i.items() if k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
            for i in threadpool_info()
        ]
    except Exception as e:
        return [{"error": str(e)}]


def gemm(p, seed):
    n, c = p["n"], p["chunk"]
    rs = da.random.RandomState(seed)
    a = rs.random_sample((n, n), chunks=(c, c))
    b = rs.random_sample((n, n), chunks=(c, c))
    return {"sum": float((a @ b).sum().compute())}


def svd_tall(p, seed):
    rows, cols, c = p["rows"], p["cols"], p["chunk"]
    a = da.random.RandomState(seed).random_sample((rows, cols), chunks=(c, cols))
    u, s, v = da.linalg.svd(a)
    if p.get("singularValuesOnly"):
        s, v = dask.compute(s, v)
        return {"s_max": float(s[0])}
    err = abs(a - (u * s) @ v).max()
    orth = abs(u.T @ u - np.eye(cols)).max()
    s, v, err, orth = dask.compute(s, v, err, orth)
    return {"s_max": float(s[0]), "reconstruction_error": float(err), "orthogonality_u": float(orth)}


def svd_compressed(p, seed):
    n, c, k = p["n"], p["chunk"], p["rank"]
    x = da.random.RandomState(seed).random_sample((n, n), chunks=(c, c))
    u, s, v = da.linalg.svd_compressed(x, k, n_power_iter=p.get("nPowerIter", 0), seed=seed + 1000)
    ou = abs(u.T @ u - np.eye(k)).max()
    ov = abs(v @ v.T - np.eye(k)).max()
    s, ou, ov = dask.compute(s, ou, ov)
    return {"singular_values": [float(t) for t in s], "orthogonality_u": float(ou), "orthogonality_v": float(ov)}


def classification_block(seed, block, rows, n_features=20, n_inf=2, n_red=2, flip_y=0.01, sep=1.0):
    """One block of the blockwise make_classification of @wukong/graph (same algorithm, numpy's RNG)."""
    shared = np.random.default_rng([seed, 2**40])
    transforms = shared.uniform(-1, 1, size=(4, n_inf, n_inf))
    mix = shared.uniform(-1, 1, size=(n_inf, n_red))
    vertices = shared.choice(2**n_inf, size=4, replace=False)
    centres = np.array([[(1 if (v >> f) & 1 else -1) * sep for f in range(n_inf)] for v in vertices])
    rng = np.random.default_rng([seed, block])
    cluster = rng.integers(0, 4, size=rows)
    y = (cluster % 2).astype(np.float64)
    flip = rng.random(rows) < flip_y
    y[flip] = rng.integers(0, 2, size=int(flip.sum()))
    x = rng.standard_normal((rows, n_features))
    inf = np.einsum("ri,rij->rj", x[:, :n_inf], transforms[cluster]) + centres[cluster]
    x[:, :n_inf] = inf
    x[:, n_inf : n_inf + n_red] = inf @ mix
    return x, y


def svc(p, seed):
    samples, c, train = p["samples"], p["chunk"], p["train"]
    nblocks = (samples + c - 1) // c
    sizes = [min(c, samples - b * c) for b in range(nblocks)]
    parts = [dask.delayed(classification_block, nout=2)(seed, b, sizes[b]) for b in range(nblocks)]
    x = da.concatenate([da.from_delayed(px, (sizes[b], 20), float) for b, (px, _) in enumerate(parts)])
    y = da.concatenate([da.from_delayed(py, (sizes[b],), float) for b, (_, py) in enumerate(parts)])
    x0, y0 = dask.compute(x[:train], y[:train])
    clf = SVC(gamma="scale").fit(x0, y0)  # ParallelPostFit: fit on the sample, in the client
    predicted = x.map_blocks(lambda blk: clf.predict(blk), drop_axis=1, dtype=float)
    correct = (predicted[train:] == y[train:]).sum()
    correct = int(correct.compute())
    return {"accuracy": correct / (samples - train)}


WORKLOADS = {"gemm": gemm, "svd-tall": svd_tall, "svd-compressed": svd_compressed, "svc": svc}


def main():
    spec = json.loads(sys.argv[1])
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    try:
        blas = client.run(blas_info)
        results = []
        seed = 100
        for w in spec:
            fn = WORKLOADS[w["name"]]
            times, last = [], None
            for _ in range(w["reps"]):
                seed += 1
                t0 = time.perf_counter()
                last = fn(w["params"], seed)
                times.append(time.perf_counter() - t0)
            results.append({"label": w["label"], "name": w["name"], "times_s": times, "check": last})
        print(
            json.dumps(
                {
                    "available": True,
                    "versions": {
                        "dask": dask.__version__,
                        "distributed": distributed.__version__,
                        "numpy": np.__version__,
                        "sklearn": sklearn.__version__,
                    },
                    "blas": next(iter(blas.values()), []),
                    "results": results,
                }
            )
        )
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
