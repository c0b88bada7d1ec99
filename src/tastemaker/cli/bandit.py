"""``tastemaker bandit``: simulate, evaluate off-policy, retrain and export BaRT."""

from __future__ import annotations

from pathlib import Path

import click

from tastemaker.cli._common import Context, cli, pass_ctx, table


def _floats(value: str, name: str, low: float = 0.0, high: float = 1.0) -> list[float]:
    try:
        out = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of numbers", param_hint=name) from None
    if not out or any(not low <= v <= high for v in out):
        raise click.BadParameter(f"give values in [{low:g}, {high:g}], e.g. 0.05,0.1", param_hint=name)
    return out


def _ints(value: str, name: str) -> list[int]:
    try:
        out = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of integers", param_hint=name) from None
    if not out:
        raise click.BadParameter("give at least one seed", param_hint=name)
    return out


@cli.group("bandit")
def bandit() -> None:
    """BaRT, the home-screen bandit: simulate it, evaluate policies on logs, retrain it."""


@bandit.command("simulate")
@click.option("--rounds", type=click.IntRange(1), default=40, show_default=True,
              help="Rounds of visits; learning policies retrain after each.")
@click.option("--pages", "pages_per_round", type=click.IntRange(1), default=300, show_default=True,
              help="Home screens shown per round.")
@click.option("--users", type=click.IntRange(1), default=500, show_default=True,
              help="Listeners taking part (drawn with the seed).")
@click.option("--seeds", default="0", show_default=True, help="Comma-separated; one simulation each.")
@click.option("--epsilon", "epsilons", default="0.1", show_default=True,
              help="BaRT's exploration rates, comma-separated (one BaRT per value).")
@click.option("--logistic/--no-logistic", default=False, show_default=True,
              help="Also run BaRT with logistic regression as its reward model.")
@click.option("--ope/--no-ope", default=True, show_default=True,
              help="Check off-policy estimates from BaRT's logs against simulated online values.")
@click.option("--ope-pages", type=click.IntRange(8), default=2000, show_default=True,
              help="Logged pages (and online pages per target) for that check.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/bandit"),
              show_default=True, help="Folder for report.md and the plots.")
@click.option("--logs", "logs_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write BaRT's logged pages (last seed) as JSON lines, for `bandit evaluate`.")
@pass_ctx
def simulate_cmd(ctx: Context, rounds: int, pages_per_round: int, users: int, seeds: str, epsilons: str,
                 logistic: bool, ope: bool, ope_pages: int, out: Path, logs_path: Path | None) -> None:
    """Online experiments on HetRec: random, popularity, greedy CF and BaRT.

    Held-out plays decide what simulated listeners stream (with a position bias); writes the
    cumulative stream rate and regret plots and a Markdown report to --out.
    """
    from tqdm import tqdm

    from tastemaker.bandit import BaRTAgent, HetRecSimulator
    from tastemaker.bandit._experiment import (OPE_HEADERS, SUMMARY_HEADERS, format_markdown_table,
                                               off_policy_check, ope_rows, plot_run, run_seeds, summary_rows)

    seed_list = _ints(seeds, "--seeds")
    eps_list = _floats(epsilons, "--epsilon")
    with ctx.store(read_only=True) as store:
        sims = {}

        def sim_for(seed: int) -> HetRecSimulator:
            sims[seed] = HetRecSimulator(store, n_users=users, random_state=seed)
            return sims[seed]

        with tqdm(total=rounds * len(seed_list), desc="simulate", unit="round", leave=False) as bar:
            results, agents = run_seeds(sim_for, seed_list, rounds, pages_per_round, eps_list, logistic,
                                        progress=bar.update)
    summary = summary_rows(results)
    lines = ["# BaRT on simulated HetRec listeners\n",
             f"{users} listeners, {rounds} rounds x {pages_per_round} pages, layout "
             f"{sims[seed_list[-1]].layout.rows}x{sims[seed_list[-1]].layout.cols}, seeds {seed_list}; "
             "mean ± sd over seeds.\n", format_markdown_table(summary, SUMMARY_HEADERS), ""]
    click.echo(f"{users} listeners, {rounds} rounds x {pages_per_round} pages, seeds {seed_list}:")
    click.echo(table(summary, SUMMARY_HEADERS))
    plots = plot_run(results, out)
    last = sims[seed_list[-1]]
    bart_index = next(i for i, a in enumerate(agents) if isinstance(a, BaRTAgent))
    bart_agent = agents[bart_index]
    if ope:
        click.echo(f"\noff-policy check: {ope_pages} pages logged by a frozen BaRT, targets run online "
                   f"on {ope_pages} fresh visits (streams per page)", err=True)
        logging_name, rows = off_policy_check(last, bart_agent.bart, results[-1].states[bart_index],
                                              n_log=ope_pages, n_online=ope_pages, seed=seed_list[-1])
        ope_table = ope_rows(rows)
        click.echo(f"\noff-policy estimates from {ope_pages} pages logged by {logging_name}, "
                   "against each policy run online:")
        click.echo(table([r[:3] + [r[6]] for r in ope_table], ["target policy", "online [95% CI]", "truth",
                                                                 "DR [95% CI]"]))
        inside = [r.policy for r in rows if r.online.covers(r.estimates["DR"].value)]
        click.echo(f"DR inside the online 95% CI for: {', '.join(inside) or 'none'}")
        lines += ["## Off-policy estimates against online values\n",
                  f"Logs: {ope_pages} pages of {logging_name} (model frozen after the run). Each target "
                  f"also runs online on {ope_pages} fresh visits from the same state.\n",
                  format_markdown_table(ope_table, OPE_HEADERS), ""]
    lines += ["## Plots\n"] + [f"![{p.stem}]({p.name})" for p in plots]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo(f"report and plots: {report}")
    if logs_path is not None:
        from tastemaker.bandit._logs import write_jsonl

        n = write_jsonl(_sim_records(last, bart_agent.logs), logs_path)
        click.echo(f"wrote {n:,} logged pages of {bart_agent.name} to {logs_path}")


def _sim_records(sim, pages):
    from datetime import datetime, timedelta

    from tastemaker.bandit._logs import page_record

    start = datetime(2026, 1, 5)
    users, items = sim.catalog.users.ids, sim.catalog.items.ids
    for n, lp in enumerate(pages):
        lp.page_id = f"sim-{n}"
        yield page_record(lp, users[lp.page.user], items[lp.page.cands.items].tolist(), sim.layout,
                          start + timedelta(seconds=60 * n))


@bandit.command("evaluate")
@click.argument("logs", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--epsilon", "epsilons", default="0,0.1,0.2", show_default=True,
              help="BaRT exploration rates to evaluate, comma-separated.")
@click.option("--seed", type=int, default=0, show_default=True)
@pass_ctx
def evaluate_cmd(ctx: Context, logs: Path | None, epsilons: str, seed: int) -> None:
    """Compare policies off-policy on logged home screens (LOGS: a .jsonl export or a .duckdb store;
    default the store).

    BaRT is trained on the older half of the logs; every policy is then estimated on the newer
    half with IPS, self-normalised IPS, the direct method and doubly robust, with 95% CIs.
    """
    from tastemaker.bandit._experiment import compare_policies
    from tastemaker.bandit._logs import load_logs, pages_from_records
    from tastemaker.errors import InputError

    eps_list = _floats(epsilons, "--epsilon")
    if logs is None:
        with ctx.store(read_only=True) as store:
            records = load_logs(store)
        source = str(ctx.db_path)
    else:
        records = load_logs(logs)
        source = str(logs)
    pages, space, layout = pages_from_records(records)
    if len(pages) < 8:
        raise InputError(f"{len(pages)} logged home pages in {source}; need at least 8 to compare policies",
                         hint="show more home screens, or simulate some with `tastemaker bandit simulate --logs`")
    logged, rows = compare_policies(pages, space, layout, eps_list, seed)
    policies = sorted({p.policy for p in pages})
    click.echo(f"{len(pages):,} pages logged by {', '.join(policies)} ({source}); policies estimated on the "
               f"newest {len(pages) - len(pages) // 2:,}, streams per page, 95% CI:")
    click.echo(f"logged policy's own value: {logged}")
    click.echo(table([[name] + [str(est[e]) for e in ("IPS", "SNIPS", "DM", "DR")] for name, est in rows],
                     ["policy", "IPS", "SNIPS", "DM", "DR"]))


@bandit.command("train")
@click.option("--epsilon", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Exploration rate the home screen will use.")
@click.option("--reward-model", type=click.Choice(["fm", "logistic"]), default="fm", show_default=True)
@pass_ctx
def train_cmd(ctx: Context, epsilon: float, reward_model: str) -> None:
    """Retrain BaRT on the home screens logged in the store (saved as bart.npz in the model directory)."""
    from tastemaker.bandit._bart import save_bart
    from tastemaker.home import default_bart_path, retrain

    bundle = ctx.bundle(index=False)
    with ctx.store(read_only=True) as store:
        bart = retrain(store, bundle, epsilon=epsilon, model=reward_model)
    path = default_bart_path(ctx.model_root)
    save_bart(bart, path)
    click.echo(f"trained BaRT ({reward_model}) on {bart.n_trained_:,} card impressions; saved {bart.version_} "
               f"to {path}")


@bandit.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .jsonl file to write.")
@pass_ctx
def export_cmd(ctx: Context, output: Path) -> None:
    """Write the store's logged home screens as JSON lines (one page per line)."""
    from tastemaker.bandit._logs import read_records, write_jsonl

    with ctx.store(read_only=True) as store:
        n = write_jsonl(read_records(store), output)
    click.echo(f"wrote {n:,} logged pages to {output}")
