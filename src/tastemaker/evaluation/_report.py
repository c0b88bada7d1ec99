"""A Markdown report with PNG plots of a model comparison (matplotlib is imported only here)."""

from __future__ import annotations

import os
from pathlib import Path

from tastemaker.evaluation._evaluate import BEYOND_ACCURACY_METRICS, ComparisonTable
from tastemaker.evaluation._metrics import ACCURACY_METRICS

__all__ = ["write_report"]

_LABELS = {"precision": "precision", "recall": "recall", "ndcg": "nDCG", "map": "MAP", "mrr": "MRR",
           "hit_rate": "hit rate", "coverage": "coverage", "novelty": "novelty (bits)",
           "diversity": "intra-list diversity"}


def write_report(results: ComparisonTable, out_dir: str | os.PathLike, title: str = "Model comparison") -> Path:
    """Write ``report.md`` and its plots for a :func:`compare` table.

    The folder gets ``report.md`` (all metrics at the cut-off closest to 10, then one per-k table
    per accuracy metric), ``metrics_vs_k.png`` (each accuracy metric against k, one line per
    model) and ``models_at_k.png`` (the models' bars side by side at that cut-off). Plots are
    drawn with matplotlib's Agg canvas, without pyplot, so no display or global backend is touched.

    Parameters
    ----------
    results : ComparisonTable
        What :func:`compare` returned.
    out_dir : str or PathLike
        Folder to write to (created if missing).
    title : str
        First heading of the report.

    Returns
    -------
    Path
        The path of ``report.md``.
    """
    if not results.rows:
        raise ValueError("the comparison table is empty: nothing to report")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    k = results.default_k()
    _plot_vs_k(results, out / "metrics_vs_k.png")
    _plot_bars(results, k, out / "models_at_k.png")
    users = int(results.rows[0].get("users", 0))
    parts = [
        f"# {title}\n",
        f"{len(results.rows)} models, {users:,} test users, full ranking of the catalogue with each "
        "user's training items filtered; binary relevance (a held-out play).\n",
        f"## All metrics at k={k}\n",
        results.to_markdown(k),
        f"![models at k={k}](models_at_k.png)\n",
        "## By cut-off\n",
        "![metrics against k](metrics_vs_k.png)\n",
    ]
    for metric in ACCURACY_METRICS:
        parts += [f"### {_LABELS[metric]}\n", results.per_k_markdown(metric)]
    parts += [
        "## Definitions\n",
        "- precision@k: hits / k. recall@k: hits / |relevant| (not capped at k).\n"
        "- nDCG@k: log2 discount, ideal DCG over min(k, |relevant|) hits. MAP@k: average precision "
        "normalised by min(k, |relevant|). MRR@k: 1 / rank of the first hit. hit rate@k: any hit.\n"
        "- coverage@k: share of the catalogue in at least one list. novelty@k: mean -log2 of the share "
        "of train users who played a recommended item. diversity@k: 1 - mean pairwise cosine of the "
        "listed items' columns of the binarised train matrix.\n",
    ]
    path = out / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _plot_vs_k(results: ComparisonTable, path: Path) -> None:
    fig = _figure(12, 6.5)
    axes = fig.subplots(2, 3).ravel()
    for ax, metric in zip(axes, ACCURACY_METRICS):
        for model in results.models:
            values = [results.value(model, metric, k) for k in results.ks]
            ax.plot(results.ks, values, marker="o", label=model)
        ax.set_title(_LABELS[metric])
        ax.set_xlabel("k")
        ax.set_xticks(list(results.ks))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    fig.savefig(path)


def _plot_bars(results: ComparisonTable, k: int, path: Path) -> None:
    metrics = ACCURACY_METRICS + BEYOND_ACCURACY_METRICS
    fig = _figure(13, 6.5)
    axes = fig.subplots(2, (len(metrics) + 1) // 2).ravel()
    models = results.models
    colors = [f"C{i}" for i in range(len(models))]
    for ax, metric in zip(axes, metrics):
        values = [results.value(m, metric, k) for m in models]
        bars = ax.bar(range(len(models)), values, color=colors)
        ax.bar_label(bars, fmt="%.3f", fontsize="x-small")
        ax.set_title(f"{_LABELS[metric]} @{k}")
        ax.set_xticks(range(len(models)), models, rotation=30, ha="right", fontsize="small")
        ax.margins(y=0.15)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    fig.savefig(path)
