#!/usr/bin/env python3
"""The NumPy + OpenBLAS reference of one BCD sweep (docs/method.md §4), for comparing the CPU
backend's kernels with (bench/research/cpu-kernels.ts). The same blocks as CpuTrial: the K x K w-system and
the (r+1) x (r+1) a-system by Cholesky (LAPACK through SciPy), D1/D2 with T right-hand sides, W H +
V X + b and the element-wise ReLU u-update, on random data of the sp500 and synthetic-large shapes
(a sweep's cost does not depend on the values). Prints ms of CPU time per sweep and per block (this
process's time, robust to other jobs on a shared machine; one thread, so it is the work), and writes JSON.

One thread, as the CPU backend runs:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
    python3 bench/research/numpy-sweep.py [--out bench/results/cpu-kernels/numpy.json]
"""
import json
import os
import platform
import sys
import time

import numpy as np
from scipy.linalg import cho_factor, cho_solve

SHAPES = {"sp500": (20, 11, 1, 393), "synthetic-large": (100, 80, 30, 450)}


def make_state(r, n, m, T, seed=1):
    rng = np.random.default_rng(seed)
    s = {
        "X": rng.uniform(-1, 1, (n, T)), "Y": rng.normal(size=(m, T)),
        "W": rng.normal(0, min(0.1, 0.5 / np.sqrt(r)), (r, r)), "V": rng.normal(0, 0.1, (r, n)),
        "b": np.zeros(r), "A": rng.normal(0, 0.1, (m, r)), "c": np.zeros(m),
        "Xi": rng.normal(0, 1e-2, (r, T)), "Zeta": rng.normal(0, 1e-2, (r, T)),
    }
    H = np.zeros((r, T + 1))
    U = np.zeros((r, T))
    for t in range(T):
        U[:, t] = s["W"] @ H[:, t] + s["V"] @ s["X"][:, t] + s["b"]
        H[:, t + 1] = np.maximum(U[:, t], 0)
    s["H"], s["U"] = H, U
    tau = 1.0 if r == 20 else 500.0
    s["lam"] = dict(l1=tau / (r * m), l2=tau / r**2, l3=tau / (r * n), l4=tau / r, l5=tau / m, l6=1e-8)
    s["mu"] = 1e-7
    return s


def z_block(s, gamma):
    H, X, U, Xi, Y = s["H"], s["X"], s["U"], s["Xi"], s["Y"]
    r, T = U.shape
    n, m = X.shape[0], Y.shape[0]
    lam = s["lam"]
    P = np.vstack([H[:, :T], X, np.ones((1, T))])
    G = gamma * (P @ P.T)
    G[np.diag_indices_from(G)] += 2 * np.concatenate([np.full(r, lam["l2"]), np.full(n, lam["l3"]), [lam["l4"]]])
    R = (gamma * U + Xi) @ P.T
    M = cho_solve(cho_factor(G, lower=True, check_finite=False), R.T, check_finite=False).T
    s["W"], s["V"], s["b"] = M[:, :r], M[:, r:r + n], M[:, r + n]
    Q = np.vstack([H[:, 1:], np.ones((1, T))])
    Hm = Q @ Q.T
    Hm[np.diag_indices_from(Hm)] += T * np.concatenate([np.full(r, lam["l1"]), [lam["l5"]]])
    N = cho_solve(cho_factor(Hm, lower=True, check_finite=False), (Y @ Q.T).T, check_finite=False).T
    s["A"], s["c"] = N[:, :r], N[:, r]


def h_block(s, gamma):
    W, V, b, A, c, X, Y, U, Xi, Zeta = (s[k] for k in ("W", "V", "b", "A", "c", "X", "Y", "U", "Xi", "Zeta"))
    r, T = U.shape
    D2 = (2 / T) * (A.T @ A) + gamma * np.eye(r)
    D1 = D2 + gamma * (W.T @ W)
    s["VXb"] = V @ X + b[:, None]
    rhs = gamma * np.maximum(U, 0) - Zeta + (2 / T) * (A.T @ (Y - c[:, None]))
    work = gamma * (U - s["VXb"]) + Xi
    rhs[:, :T - 1] += W.T @ work[:, 1:]
    H = s["H"]
    H[:, 1:T] = cho_solve(cho_factor(D1, lower=True, check_finite=False), rhs[:, :T - 1], check_finite=False)
    H[:, T] = cho_solve(cho_factor(D2, lower=True, check_finite=False), rhs[:, T - 1], check_finite=False)


def u_block(s, gamma):
    W, U, Xi, Zeta, H = s["W"], s["U"], s["Xi"], s["Zeta"], s["H"]
    r, T = U.shape
    mu, l6 = s["mu"], s["lam"]["l6"]
    pre = W @ H[:, :T] + s["VXb"]
    t1 = pre - Xi / gamma
    t2 = H[:, 1:] + Zeta / gamma
    t3 = U
    up = np.maximum(0, (gamma * t1 + gamma * t2 + mu * t3) / (2 * gamma + mu + 2 * l6))
    um = np.minimum(0, (gamma * t1 + mu * t3) / (gamma + mu + 2 * l6))

    def phi(u):
        return 0.5 * gamma * ((u - t1) ** 2 + (t2 - np.maximum(u, 0)) ** 2) + 0.5 * mu * (u - t3) ** 2 + l6 * u * u

    s["U"] = np.where(phi(up) <= phi(um), up, um)


def measure(shape, seconds=3.0, reps=7):
    r, n, m, T = SHAPES[shape]
    s = make_state(r, n, m, T)
    gamma = 1.0
    blocks = (("z", z_block), ("h", h_block), ("u", u_block))
    acc = dict(z=0.0, h=0.0, u=0.0)

    def sweep():
        for name, f in blocks:
            t0 = time.process_time()
            f(s, gamma)
            acc[name] += time.process_time() - t0

    t0 = time.process_time()
    probe = 0
    while time.process_time() - t0 < 0.4 or probe < 5:
        sweep()
        probe += 1
    per = (time.process_time() - t0) / probe
    count = max(3, round(seconds / reps / per))
    samples, bs = [], dict(z=[], h=[], u=[])
    for _ in range(reps):
        for k in acc:
            acc[k] = 0.0
        t0 = time.process_time()
        for _ in range(count):
            sweep()
        samples.append((time.process_time() - t0) / count * 1e3)
        for k in acc:
            bs[k].append(acc[k] / count * 1e3)
    med = lambda xs: float(np.median(xs))
    return {"shape": shape, "size": f"r={r} n={n} m={m} T={T}", "msPerSweep": med(samples),
            "blocks": {k: med(v) for k, v in bs.items()}, "samples": samples, "sweepsPerRep": count}


def main():
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    results = [measure(k) for k in SHAPES]
    for p in results:
        b = p["blocks"]
        print(f"{p['shape']} ({p['size']}): {p['msPerSweep']:.3f} ms/sweep; z {b['z']:.3f}, h {b['h']:.3f}, u {b['u']:.3f} ms")
    cfg = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    doc = {"format": "alm-rnn/numpy-sweep@1", "python": platform.python_version(), "numpy": np.__version__,
           "env": cfg, "loadavg": os.getloadavg(), "results": results}
    if out:
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        with open(out, "w") as f:
            json.dump(doc, f, indent=2)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
