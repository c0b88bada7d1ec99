"""ALS training speed and quality: tastemaker's ImplicitALS against implicit's CG solver.

Both libraries solve the same objective (the same log confidence, regularisation, CG steps and
thread count) on the same data in one run; the table reports the median seconds per iteration
of several runs, the ratio, and the objective each reached after the same number of iterations.

    python benchmarks/bench_als.py --dataset hetrec 360k --factors 64 128 --threads 2
    python benchmarks/bench_als.py --memory       # peak RSS of training on the 360K-scale matrix
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from _datasets import hetrec_plays, lastfm360k_scale  # noqa: E402

from tastemaker.cf import ImplicitALS, confidence  # noqa: E402
from tastemaker.cf._als_kernels import weighted_loss  # noqa: E402

PARAMS = dict(regularization=0.05, alpha=2.0, epsilon=1.0)


def load(name: str):
    return hetrec_plays() if name == "hetrec" else lastfm360k_scale()


def objective(counts, X, Y, reg):
    C = counts.copy()
    C.data = confidence(C.data, PARAMS["alpha"], PARAMS["epsilon"])
    r_u = np.full(C.shape[0], reg, np.float32)
    r_i = np.full(C.shape[1], reg, np.float32)
    return float(weighted_loss(C.indptr, C.indices, C.data, np.ascontiguousarray(X, np.float32),
                               np.ascontiguousarray(Y, np.float32), r_u, r_i)) / C.nnz


def _fit(lib, counts, factors, iterations, threads, cg_steps, seed):
    """Fit one library; returns per-iteration seconds and the factors."""
    stamps = []
    if lib == "tastemaker":
        model = ImplicitALS(factors=factors, iterations=iterations, cg_steps=cg_steps, num_threads=threads,
                            random_state=seed, **PARAMS)
        # load the compiled kernels before timing
        ImplicitALS(factors=factors, iterations=1, num_threads=threads).fit(counts[:100], show_progress=False)
        t0 = time.perf_counter()
        model.fit(counts, show_progress=False, callback=lambda it, el, loss: stamps.append(time.perf_counter()))
        return np.diff([t0] + stamps), model.user_factors_, model.item_factors_
    from implicit.cpu.als import AlternatingLeastSquares

    C = counts.copy()
    C.data = confidence(C.data, PARAMS["alpha"], PARAMS["epsilon"])
    model = AlternatingLeastSquares(factors=factors, regularization=PARAMS["regularization"], alpha=1.0,
                                    iterations=iterations, use_cg=True,
                                    num_threads=threads, random_state=seed, calculate_training_loss=False)
    model.cg_steps = cg_steps  # implicit sets it in the constructor without a parameter
    with threadpool_limits(1, "blas"):
        t0 = time.perf_counter()
        model.fit(C, show_progress=False, callback=lambda it, el, loss: stamps.append(time.perf_counter()))
    return np.diff([t0] + stamps), model.user_factors, model.item_factors


def worker(args):
    """One measurement in a fresh process, so the two libraries' thread pools never meet."""
    counts = load(args.dataset[0])
    per_it, X, Y = _fit(args.worker, counts, args.factors[0], args.iterations, args.threads, args.cg_steps,
                        args.seed)
    loss = objective(counts, X, Y, PARAMS["regularization"]) if args.seed == 0 else None
    print(json.dumps({"per_iteration": per_it.tolist(), "loss": loss}))


def measure(lib, name, f, args, seed):
    cmd = [sys.executable, __file__, "--worker", lib, "--dataset", name, "--factors", str(f),
           "--threads", str(args.threads), "--cg-steps", str(args.cg_steps), "--iterations",
           str(args.iterations), "--seed", str(seed)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{lib} worker failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def speed(args):
    rows = []
    for name in args.dataset:
        load(name)  # generate and cache the data before timing anything
        for f in args.factors:
            times = {"tastemaker": [], "implicit": []}
            losses = {}
            for run in range(args.runs):
                # alternate the order so neither library always runs on a warmer machine
                order = ["tastemaker", "implicit"] if run % 2 == 0 else ["implicit", "tastemaker"]
                for lib in order:
                    res = measure(lib, name, f, args, run)
                    times[lib].extend(res["per_iteration"])
                    if res["loss"] is not None:
                        losses[lib] = res["loss"]
            theirs, ours = np.median(times["implicit"]), np.median(times["tastemaker"])
            counts = load(name)
            rows.append(dict(dataset=name, shape=f"{counts.shape[0]:,}x{counts.shape[1]:,}", nnz=counts.nnz,
                             factors=f, implicit_s=float(theirs), tastemaker_s=float(ours),
                             speedup=float(theirs / ours), loss_implicit=losses["implicit"],
                             loss_tastemaker=losses["tastemaker"]))
            print(json.dumps(rows[-1]), flush=True)
    print()
    print(f"ALS seconds per iteration, median over {args.runs} runs x {args.iterations} iterations, each run in "
          f"a fresh process; {args.threads} threads, CG steps {args.cg_steps}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print("objective: Hu et al.'s weighted loss per non-zero after the same iterations (lower is better)")
    print()
    print("| data | users x items | nnz | factors | implicit 0.7.3 (s/it) | tastemaker (s/it) | speed-up "
          "| objective implicit | objective tastemaker |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['shape']} | {r['nnz']:,} | {r['factors']} | {r['implicit_s']:.3f} "
              f"| {r['tastemaker_s']:.3f} | {r['speedup']:.2f}x | {r['loss_implicit']:.4f} | {r['loss_tastemaker']:.4f} |")


def memory(args):
    code = (
        "import sys, resource; sys.path.insert(0, 'benchmarks');"
        "from _datasets import lastfm360k_scale; from tastemaker.cf import ImplicitALS;"
        "m = lastfm360k_scale();"
        f"ImplicitALS(factors={args.factors[-1]}, iterations=2, num_threads={args.threads}, random_state=0)"
        ".fit(m, show_progress=False);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kb = int(out.stdout.strip().splitlines()[-1])
    print(f"peak RSS training {args.factors[-1]} factors on the 360K-scale matrix: {kb / 1024**2:.2f} GB "
          f"(target < 3 GB)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", nargs="+", default=["hetrec", "360k"], choices=["hetrec", "360k"])
    ap.add_argument("--factors", nargs="+", type=int, default=[64, 128])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cg-steps", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--worker", choices=["tastemaker", "implicit"], help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
    elif args.memory:
        memory(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
