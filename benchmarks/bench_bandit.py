"""BaRT against greedy CF (and random, popularity) on the HetRec home-screen simulator.

Protocol: `tastemaker.bandit.HetRecSimulator` (held-out plays decide stream probabilities,
position bias by device); 500 listeners, ``--rounds`` rounds of ``--pages`` home screens, every
policy on the same visits; BaRT (factorization machine, epsilon 0.1) retrains on its own logs
after every round; greedy CF (ALS score order, no learning) is the reference. Reported: the
cumulative stream rate (streams per card shown) over the whole horizon and over its last
quarter, mean ± sd over seeds.

Then, per seed, the off-policy check: BaRT's final model is frozen and logs ``--ope-log-pages``
pages at its own epsilon (0.1); the doubly robust estimate of greedy BaRT (epsilon 0) and of BaRT
at epsilon 0.05 is compared with those policies run online on ``--ope-online-pages`` fresh visits
(95% CIs), and with their exact expected value (the simulator knows it).

    python benchmarks/bench_bandit.py [--seeds 0 1 2] [--rounds 60] [--pages 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import HETREC  # noqa: E402

from tastemaker.bandit import BaRTAgent, HetRecSimulator  # noqa: E402
from tastemaker.bandit._experiment import default_agents, off_policy_check, plot_run  # noqa: E402
from tastemaker.data import Store, ingest_hetrec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--ope-log-pages", type=int, default=6000)
    parser.add_argument("--ope-online-pages", type=int, default=3000)
    parser.add_argument("--db", type=Path, default=Path("benchmarks/results/hetrec-bandit.duckdb"))
    parser.add_argument("--plots", type=Path, default=Path("benchmarks/results/bandit"))
    args = parser.parse_args()

    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        with Store(args.db) as store:
            ingest_hetrec(store, HETREC, progress=False)

    results, checks = [], []
    for seed in args.seeds:
        started = time.perf_counter()
        with Store(args.db, read_only=True) as store:
            sim = HetRecSimulator(store, n_users=args.users, random_state=seed)
        agents = default_agents(sim.space, (0.1,), seed, logistic=True)
        result = sim.run(agents, args.rounds, args.pages, seed=seed)
        results.append(result)
        bart_at = next(i for i, a in enumerate(agents) if isinstance(a, BaRTAgent))
        logging, rows = off_policy_check(sim, agents[bart_at].bart, result.states[bart_at],
                                         n_log=args.ope_log_pages, n_online=args.ope_online_pages, seed=seed,
                                         baselines=False)
        checks.append((seed, logging, rows))
        print(f"seed {seed}: {time.perf_counter() - started:.0f}s "
              f"({', '.join(f'{k} {v:.0f}s' for k, v in result.seconds.items())})", file=sys.stderr)

    names = results[0].names
    quarter = max(1, args.rounds // 4)
    total = np.stack([r.stream_rate()[:, -1] for r in results])
    late = np.stack([r.streams[:, -quarter:].sum(axis=1) / r.cards[:, -quarter:].sum(axis=1) for r in results])
    regret = np.stack([r.regret()[:, -1] for r in results])
    ref = names.index("greedy CF")
    print(f"\n**Home-screen simulator** (HetRec, {args.users} listeners, {args.rounds} rounds x {args.pages} pages, "
          f"layout 3x4, seeds {args.seeds}; mean ± sd over seeds)\n")
    print("| policy | stream rate, whole horizon | stream rate, last quarter | vs greedy CF (whole) | "
          "cumulative regret |")
    print("|---|---|---|---|---|")
    for a, name in enumerate(names):
        gain = total[:, a] / total[:, ref] - 1
        print(f"| {name} | {total[:, a].mean():.4f} ± {total[:, a].std():.4f} | {late[:, a].mean():.4f} ± "
              f"{late[:, a].std():.4f} | {gain.mean():+.1%} | {regret[:, a].mean():,.0f} ± {regret[:, a].std():,.0f} |")
    print(f"\n**Doubly robust vs online** ({args.ope_log_pages} pages logged by the frozen final BaRT at eps=0.1; "
          f"{args.ope_online_pages} fresh visits online; streams per page, 95% CI)\n")
    print("| seed | target | online value | exact value | DR estimate | DR inside online CI | exact inside DR CI |")
    print("|---|---|---|---|---|---|---|")
    for seed, _, rows in checks:
        for r in rows:
            dr = r.estimates["DR"]
            print(f"| {seed} | {r.policy} | {r.online} | {r.truth:.4f} | {dr} | "
                  f"{'yes' if r.online.covers(dr.value) else 'no'} | {'yes' if dr.covers(r.truth) else 'no'} |")
    paths = plot_run(results, args.plots)
    print(f"\nplots: {', '.join(str(p) for p in paths)}", file=sys.stderr)


if __name__ == "__main__":
    main()
