#!/usr/bin/env python3
"""Reference for bench_als: the `implicit` library's ALS (CPU, conjugate
gradient) on the very matrix bench_als wrote (-w FILE), with the same
factors, regularisation, iterations, CG steps and confidences.

Confidences: cinerec weighs entry (u, i) by c = 1 + alpha * v (als.h);
implicit >= 0.5 weighs it by c = alpha_implicit * v' (its CG solver adds
(c - 1) y y' per entry and c y to the right-hand side, like cinerec).  So
implicit gets v' = 1 + alpha * v with alpha_implicit = 1 (no extra copy in
fit): both minimise the same objective and do the same work per entry.

BLAS: implicit asks for its BLAS thread pool to be 1 thread (it warns
otherwise) and runs its own OpenMP threads (num_threads); fit() runs under
threadpoolctl.threadpool_limits(1, "blas") as its documentation says.

Prints per-iteration seconds (fit's callback), end-to-end fit() seconds,
peak RSS, and a RESULT line for bench_als.sh.
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
import scipy
import scipy.sparse
import threadpoolctl

MAGIC = b"CRALSMX1"
HEADER = 32


def load(path):
    with open(path, "rb") as f:
        h = f.read(HEADER)
    if len(h) != HEADER or h[:8] != MAGIC:
        sys.exit(f"als_implicit: {path}: not a bench_als matrix file")
    nrows, ncols = np.frombuffer(h, "<u4", 2, 8)
    nnz = int(np.frombuffer(h, "<u8", 1, 16)[0])
    nrows, ncols = int(nrows), int(ncols)
    off = HEADER
    ptr = np.fromfile(path, "<u8", nrows + 1, offset=off)
    off += 8 * (nrows + 1)
    col = np.fromfile(path, "<u4", nnz, offset=off)
    off += 4 * nnz
    val = np.fromfile(path, "<f4", nnz, offset=off)
    if len(val) != nnz or ptr[-1] != nnz:
        sys.exit(f"als_implicit: {path}: truncated")
    idx = np.int32 if nnz < 2**31 and ncols < 2**31 else np.int64
    return nrows, ncols, ptr.astype(idx), col.view(np.int32) if idx is np.int32 \
        else col.astype(np.int64), val


def blas_info():
    out = []
    for api in threadpoolctl.threadpool_info():
        if api.get("user_api") != "blas":
            continue
        lib = os.path.basename(api.get("filepath", "?"))
        out.append(f"{api.get('internal_api')} {api.get('version')} "
                   f"kernel={api.get('architecture')} "
                   f"threads={api.get('num_threads')} ({lib})")
    return "; ".join(out) or "none found"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("matrix")
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--cg-steps", type=int, default=3)
    ap.add_argument("--reg", type=float, default=50.0)
    ap.add_argument("--alpha", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()

    import implicit
    from implicit.cpu.als import AlternatingLeastSquares

    t0 = time.perf_counter()
    nrows, ncols, ptr, col, val = load(a.matrix)
    # c = 1 + alpha v, in place (the loaded array is ours)
    val *= np.float32(a.alpha)
    val += np.float32(1.0)
    m = scipy.sparse.csr_matrix((val, col, ptr), shape=(nrows, ncols))
    assert np.shares_memory(m.data, val) and np.shares_memory(m.indices, col), \
        "scipy copied the matrix"
    print(f"matrix: {a.matrix}: {nrows} users x {ncols} items, {m.nnz} "
          f"entries, {time.perf_counter() - t0:.1f} s")
    print(f"implicit {implicit.__version__}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, python {sys.version.split()[0]}")
    print("OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s" % (
        os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        os.environ.get("OPENBLAS_L2_SIZE", "(unset)")))

    its = []

    def callback(iteration, elapsed, loss):
        its.append(elapsed)
        print(f"iteration {iteration + 1}: {elapsed:.3f} s", flush=True)

    with threadpoolctl.threadpool_limits(1, "blas"):
        print("blas:", blas_info())
        model = AlternatingLeastSquares(
            factors=a.factors, regularization=a.reg, alpha=1.0,
            dtype=np.float32, use_native=True, use_cg=True,
            iterations=a.iters, calculate_training_loss=False,
            num_threads=a.threads, random_state=a.seed)
        model.cg_steps = a.cg_steps
        t0 = time.perf_counter()
        model.fit(m, show_progress=False, callback=callback)
        e2e = time.perf_counter() - t0
    assert model.user_factors.shape == (nrows, a.factors)

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    spi = sum(its) / len(its)
    print(f"implicit {implicit.__version__} ALS (CG), {a.threads} thread(s), "
          f"{a.factors} factors, {a.iters} iterations, {a.cg_steps} CG steps, "
          f"reg {a.reg:g}, alpha {a.alpha:g} (as c = 1 + alpha v): "
          f"{spi:.3f} s/iter (best {min(its):.3f}), end to end {e2e:.3f} s, "
          f"peak RSS {rss:.0f} MiB")
    print(f"RESULT name=implicit-{implicit.__version__} threads={a.threads} "
          f"factors={a.factors} iters={a.iters} cg_steps={a.cg_steps} "
          f"users={nrows} items={ncols} nnz={m.nnz} s_per_iter={spi:.3f} "
          f"s_best={min(its):.3f} end_to_end={e2e:.3f} "
          f"peak_rss_mib={rss:.0f}")


if __name__ == "__main__":
    main()
