"""write_report: Markdown tables and real PNG plots; matplotlib only imported on demand."""

import subprocess
import sys

import numpy as np

from tastemaker.evaluation import ACCURACY_METRICS, BEYOND_ACCURACY_METRICS, ComparisonTable, write_report


def _table() -> ComparisonTable:
    rows = []
    for m, (name, level) in enumerate([("popularity", 0.08), ("item-kNN", 0.19), ("EASE", 0.23)]):
        row = {"model": name, "fit_seconds": 0.1 * m, "eval_seconds": 1.0, "users": 1877.0}
        for k in (5, 10, 20):
            for metric in ACCURACY_METRICS + BEYOND_ACCURACY_METRICS:
                row[f"{metric}@{k}"] = level * (1 + 0.01 * k) + 0.001 * len(metric)
        rows.append(row)
    return ComparisonTable(ks=(5, 10, 20), rows=rows)


def test_writes_markdown_and_plots(tmp_path):
    path = write_report(_table(), tmp_path / "out", title="HetRec")
    text = path.read_text()
    assert path.name == "report.md" and text.startswith("# HetRec")
    assert "| EASE | " in text and "ndcg@20" in text and "1,877 test users" in text
    assert "](models_at_k.png)" in text and "](metrics_vs_k.png)" in text
    for png in ("models_at_k.png", "metrics_vs_k.png"):
        data = (tmp_path / "out" / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_plots_are_not_blank(tmp_path):
    import matplotlib.image

    write_report(_table(), tmp_path)
    pixels = matplotlib.image.imread(tmp_path / "models_at_k.png")[..., :3]
    # three coloured bar series: well over a few percent of the pixels are neither white nor grey
    saturation = pixels.max(axis=-1) - pixels.min(axis=-1)
    assert np.mean(saturation > 0.3) > 0.05


def test_importing_evaluation_does_not_import_matplotlib():
    code = "import sys, tastemaker.evaluation; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
