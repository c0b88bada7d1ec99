"""The real console script, end to end: ``tastemaker demo`` on HetRec, then commands on its store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli_support import assert_clean_error

pytestmark = pytest.mark.slow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(run_tastemaker, hetrec_path: Path):
    """One ``tastemaker demo`` run, its report in a temporary folder."""
    out = run_tastemaker.home.parent / "report"
    result = run_tastemaker("demo", "--hetrec", hetrec_path, "--out", out)
    return result, out


def markdown_table(text: str, first_header: str) -> dict[str, dict[str, str]]:
    """The Markdown table whose header starts with ``first_header``: {first cell: {header: cell}}."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    headers = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(headers, cells))
    return rows


def text_table(text: str, header_start: str) -> list[list[str]]:
    """The rows of the aligned text table (columns two or more spaces apart) after ``header_start``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    assert set(lines[start + 1].replace(" ", "")) == {"-"}, lines[start + 1]
    rows = []
    for line in lines[start + 2:]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def test_demo_exits_cleanly(demo, run_tastemaker):
    result, _ = demo
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err
    assert "92,834 play events written" in result.out
    assert "1,892 listeners x 17,632 artists" in result.out
    # the model went next to the store TASTEMAKER_DB points at, nothing into the working directory
    assert (run_tastemaker.db.parent / "models" / "CURRENT").is_file()
    assert list(run_tastemaker.cwd.iterdir()) == []


def test_demo_evaluation_table(demo):
    result, _ = demo
    table = markdown_table(result.out, "model")
    assert list(table) == ["als", "sgd", "ease", "itemknn", "popularity"]
    ndcg = {model: float(row["ndcg@10"]) for model, row in table.items()}
    assert ndcg["als"] >= 0.25, ndcg
    assert ndcg["als"] > ndcg["popularity"] + 0.1, ndcg


def test_demo_recommends_for_listener_2_with_reasons(demo):
    result, _ = demo
    assert "4. listener 2" in result.out
    assert "plays most: Duran Duran (13,883)" in result.out
    rows = text_table(result.out, "#   recommended artist")
    assert [r[0] for r in rows] == [str(i) for i in range(1, 11)]
    for number, artist, score, signals, because in rows:
        assert float(score) > 0 and signals.startswith("cf ")
        # "Duran Duran (10%), Depeche Mode (9%), New Order (7%)": named artists with their shares
        reasons = re.findall(r"([^,]+?) \((\d+)%\)", because)
        assert len(reasons) == 3 and all(name.strip() for name, _ in reasons), because
    assert any("Duran Duran" in because for *_, because in rows)
    assert "because you listened to" in result.out
    assert "artists like Duran Duran:" in result.out


def test_demo_report_and_plots(demo):
    _, out = demo
    report = out / "report.md"
    assert report.is_file() and report.stat().st_size > 0
    text = report.read_text(encoding="utf-8")
    assert markdown_table(text, "model")["als"]["ndcg@10"]
    for name in ("models_at_k.png", "metrics_vs_k.png"):
        png = out / name
        assert png.is_file(), name
        assert png.stat().st_size > 1000, name
        assert png.read_bytes()[:8] == PNG_SIGNATURE, name
        assert f"]({name})" in text


def test_script_recommends_from_the_demo_model(demo, run_tastemaker):
    """TASTEMAKER_DB alone finds the store and the model saved next to it."""
    assert demo[0].code == 0
    result = run_tastemaker("recommend", "2", "-n", "3", "--no-explain")
    assert result.code == 0, result.err
    assert result.out.startswith("recommendations for user 2 (model ")
    rows = text_table(result.out, "#  item")
    assert [r[0] for r in rows] == ["1", "2", "3"] and all(r[3].startswith("cf ") for r in rows)
    assert "Pet Shop Boys" in result.out


def test_script_bad_input_is_one_line_and_exit_1(demo, run_tastemaker):
    assert demo[0].code == 0
    assert_clean_error(run_tastemaker("recommend", "nosuchuser"), "unknown user", "nosuchuser")


def test_script_usage_error_is_exit_2(run_tastemaker):
    assert_clean_error(run_tastemaker("recommend", "2", "-n", "0"), "--n", code=2)


def test_demo_shows_culture_discover_weekly_and_home(demo, run_tastemaker):
    result, _ = demo
    assert "5. what people say about Duran Duran" in result.out
    assert re.search(r"^Duran Duran: .*new wave", result.out, re.M), result.out[-3000:]
    assert "6. this week's Discover Weekly for listener 2" in result.out
    playlist = text_table(result.out[result.out.index("6. this week"):], "#   item")
    assert [r[0] for r in playlist] == [str(i) for i in range(1, 31)]
    played = {"Duran Duran", "Morcheeba", "Air", "Hooverphonic", "Kylie Minogue"}
    assert not played & {r[1] for r in playlist}
    assert all(len(r) == 3 and r[2] for r in playlist), playlist
    home = result.out[result.out.index("7. listener 2's home screen"):]
    assert "page " in home and "logged" in home
    assert "Because you listened to" in home
    stored = run_tastemaker("discover-weekly", "--stored", "--user", "2", "-o", run_tastemaker.home.parent / "dw.json")
    assert stored.code == 0, stored.err
