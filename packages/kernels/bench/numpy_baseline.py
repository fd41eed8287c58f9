# Baselines for bench/run.ts: numpy (OpenBLAS/LAPACK, one thread) and scikit-learn SVC on the very
# inputs the TypeScript bench used, read from raw little-endian f64 files. Prints one JSON object of
# best-of-N wall times in seconds; a missing library just leaves its keys out.
import json
import sys
import time


def best(fn, reps):
    t = float("inf")
    for _ in range(reps):
        s = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - s)
    return t


def main():
    spec = json.loads(sys.argv[1])
    d = spec["dir"]
    out = {}
    try:
        import numpy as np
    except ImportError:
        print(json.dumps(out))
        return
    out["numpy"] = np.__version__

    def load(name, shape):
        return np.fromfile(f"{d}/{name}.f64", dtype="<f8").reshape(shape)

    for n in spec["gemm"]:
        a = load(f"gemm_a_{n}", (n, n))
        b = load(f"gemm_b_{n}", (n, n))
        a @ b
        out[f"gemm_{n}"] = best(lambda: a @ b, 3 if n >= 1000 else 10)
    t = spec["thin"]
    a = load("thin_a", (t["n"], t["n"]))
    b = load("thin_b", (t["n"], t["cols"]))
    out["thin"] = best(lambda: a @ b, 9)
    out["thin_t"] = best(lambda: b.T @ a, 9)
    # dask.array.random.RandomState draws each block with numpy's legacy MT19937 random_sample.
    rs = np.random.RandomState(1)
    out["rng"] = best(lambda: rs.random_sample(spec["rng"]), 5)
    m, n = spec["qr"]
    a = load("qr_a", (m, n))
    out["qr"] = best(lambda: np.linalg.qr(a, mode="reduced"), 7)
    out["qr_r"] = best(lambda: np.linalg.qr(a, mode="r"), 7)
    out["svd_tall"] = best(lambda: np.linalg.svd(a, full_matrices=False), 5)
    for n in spec["svd"]:
        a = load(f"svd_a_{n}", (n, n))
        out[f"svd_{n}"] = best(lambda: np.linalg.svd(a, full_matrices=False), 5 if n >= 500 else 20)
    try:
        import sklearn
        from sklearn.svm import SVC
    except ImportError:
        print(json.dumps(out))
        return
    out["sklearn"] = sklearn.__version__
    s = spec["svc"]
    x = load("svc_x", (s["n"], s["d"]))
    y = load("svc_y", (s["n"],))
    xt = load("svc_xt", (s["rows"], s["d"]))
    model = SVC(kernel="rbf", C=1.0, gamma="scale", tol=1e-3, cache_size=200).fit(x, y)
    out["svc_nsv"] = int(model.support_.shape[0])
    out["svc_predict"] = best(lambda: model.predict(xt), 3)
    print(json.dumps(out))


main()
