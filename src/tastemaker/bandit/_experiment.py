"""The experiments behind ``tastemaker bandit simulate`` and ``tastemaker bandit evaluate``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tastemaker.bandit._bart import BaRT, LoggedPage
from tastemaker.bandit._features import FeatureSpace
from tastemaker.bandit._ope import ESTIMATORS, Estimate, _clt, off_policy_estimates
from tastemaker.bandit._policy import Layout, greedy_cf_policy, popularity_policy, random_policy
from tastemaker.bandit._simulator import BaRTAgent, HetRecSimulator, RunResult, StaticAgent

__all__ = ["default_agents", "OffPolicyRow", "off_policy_check", "compare_policies", "plot_run",
           "format_markdown_table", "summary_rows", "ope_rows", "run_seeds", "SUMMARY_HEADERS", "OPE_HEADERS"]


def default_agents(space: FeatureSpace, epsilons: Sequence[float] = (0.1,), seed: int = 0,
                   logistic: bool = False) -> list:
    """Random, popularity, greedy CF and BaRT (one per epsilon; plus BaRT-LR if ``logistic``)."""
    agents = [StaticAgent(random_policy()), StaticAgent(popularity_policy()), StaticAgent(greedy_cf_policy())]
    agents += [BaRTAgent(BaRT(space, epsilon=e, random_state=seed)) for e in epsilons]
    if logistic:
        agents.append(BaRTAgent(BaRT(space, epsilon=epsilons[0], model="logistic", random_state=seed)))
    return agents


@dataclass
class OffPolicyRow:
    """One target policy: its simulated online value and the off-policy estimates from logs."""

    policy: str
    online: Estimate  # sampled streams per page, run online
    truth: float  # the exact expected streams per page of those online visits
    estimates: dict[str, Estimate]


def off_policy_check(sim: HetRecSimulator, bart: BaRT, state: dict, n_log: int = 3000, n_online: int = 3000,
                     logging_epsilon: float = 0.1, target_epsilons: Sequence[float] = (0.0, 0.05),
                     seed: int = 0, baselines: bool = True) -> tuple[str, list[OffPolicyRow]]:
    """Log pages of a frozen BaRT (``logging_epsilon``), estimate other policies off-policy, and
    run the same policies online on fresh visits from the same state.

    Targets: BaRT at each of ``target_epsilons`` and, with ``baselines``, random, popularity and
    greedy CF. Returns the logging policy's name and one row per target.
    """
    rng = np.random.default_rng([seed, 7])
    logging = bart.policy(logging_epsilon)
    logs: list[LoggedPage] = []
    for u, c in sim.visits(n_log, rng):
        lp, _ = sim.show(logging, sim.page_input(u, c, state), rng)
        logs.append(lp)
    targets = [random_policy(), popularity_policy(), greedy_cf_policy()] if baselines else []
    targets += [bart.policy(e) for e in target_epsilons]
    estimates = off_policy_estimates(logs, targets, sim.layout, sim.space, random_state=seed)
    rows = []
    visits = sim.visits(n_online, np.random.default_rng([seed, 8]))
    for t in targets:
        t_rng = np.random.default_rng([seed, 9])
        sampled, expected = np.zeros(n_online), np.zeros(n_online)
        for i, (u, c) in enumerate(visits):
            lp, exp = sim.show(t, sim.page_input(u, c, state), t_rng)
            sampled[i], expected[i] = lp.rewards.sum(), exp
        rows.append(OffPolicyRow(t.name, _clt(sampled), float(expected.mean()), estimates[t.name]))
    return logging.name, rows


def compare_policies(pages: Sequence[LoggedPage], space: FeatureSpace, layout: Layout,
                     epsilons: Sequence[float] = (0.0, 0.1, 0.2), seed: int = 0) -> tuple[Estimate, list]:
    """Off-policy values of random, popularity, greedy CF and BaRT from logged ``pages``.

    BaRT is trained on the older half of the logs and every policy is evaluated on the newer
    half. Returns the logged policy's own value (mean streams per page of that half) and
    ``[(policy name, {estimator: Estimate})]``.
    """
    if len(pages) < 8:
        raise ValueError(f"need at least 8 logged pages to compare policies, got {len(pages)}")
    half = len(pages) // 2
    bart = BaRT(space, random_state=seed).fit(pages[:half], version="first-half")
    targets = [random_policy(), popularity_policy(), greedy_cf_policy()] + [bart.policy(e) for e in epsilons]
    test = list(pages[half:])
    est = off_policy_estimates(test, targets, layout, space, random_state=seed)
    logged = _clt(np.array([p.rewards.sum() for p in test]))
    return logged, [(t.name, est[t.name]) for t in targets]


def format_markdown_table(rows: list[list[str]], headers: list[str]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def plot_run(results: Sequence[RunResult], out: Path) -> list[Path]:
    """Cumulative stream rate and cumulative regret per policy (mean over runs, band = ±1 sd)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    names = results[0].names
    pages = results[0].pages_per_round
    x = np.arange(1, results[0].expected.shape[1] + 1) * pages
    paths = []
    for what, fn, ylabel in (("stream_rate", lambda r: r.stream_rate(), "cumulative streams per card"),
                             ("regret", lambda r: r.regret(), "cumulative regret (expected streams)")):
        fig, ax = plt.subplots(figsize=(7, 4.2))
        curves = np.stack([fn(r) for r in results])  # runs x agents x rounds
        for a, name in enumerate(names):
            mean, sd = curves[:, a].mean(axis=0), curves[:, a].std(axis=0)
            ax.plot(x, mean, label=name)
            if len(results) > 1:
                ax.fill_between(x, mean - sd, mean + sd, alpha=0.2)
        ax.set_xlabel("pages shown")
        ax.set_ylabel(ylabel)
        ax.set_title(f"Simulated home screen on HetRec ({len(results)} seed{'s' if len(results) > 1 else ''})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"{what}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def summary_rows(results: Sequence[RunResult]) -> list[list[str]]:
    """Per policy: final cumulative stream rate and regret, mean ± sd over runs."""
    names = results[0].names
    rate = np.stack([r.stream_rate()[:, -1] for r in results])
    regret = np.stack([r.regret()[:, -1] for r in results])
    pages = results[0].expected.shape[1] * results[0].pages_per_round
    per_page = np.stack([r.expected.sum(axis=1) / pages for r in results])
    oracle = np.array([r.oracle.sum() / pages for r in results])
    rows = []
    for a, name in enumerate(names):
        rows.append([name, f"{rate[:, a].mean():.4f} ± {rate[:, a].std():.4f}",
                     f"{per_page[:, a].mean():.3f}", f"{regret[:, a].mean():,.0f} ± {regret[:, a].std():,.0f}"])
    rows.append(["oracle (true probabilities)", "", f"{oracle.mean():.3f}", "0"])
    return rows


SUMMARY_HEADERS = ["policy", "stream rate (cumulative)", "expected streams / page", "regret"]
OPE_HEADERS = ["target policy", "online value [95% CI]", "true value"] + [f"{e} [95% CI]" for e in ESTIMATORS]


def ope_rows(rows: Sequence[OffPolicyRow]) -> list[list[str]]:
    return [[r.policy, str(r.online), f"{r.truth:.4f}"] + [str(r.estimates[e]) for e in ESTIMATORS] for r in rows]


def run_seeds(sim_for_seed: Callable[[int], HetRecSimulator], seeds: Sequence[int], rounds: int,
              pages_per_round: int, epsilons: Sequence[float], logistic: bool = False,
              progress: Callable[[int], None] | None = None) -> tuple[list[RunResult], list]:
    """One simulation per seed; returns the results and the agents of the last seed."""
    results, agents = [], []
    for seed in seeds:
        sim = sim_for_seed(seed)
        agents = default_agents(sim.space, epsilons, seed, logistic)
        results.append(sim.run(agents, rounds, pages_per_round, seed=seed, progress=progress))
    return results, agents
