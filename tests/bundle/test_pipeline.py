"""The training pipeline: its steps in order, the settings it refuses, what it records."""

from __future__ import annotations

import pytest

from tastemaker.bundle import ModelBundle
from tastemaker.data import Store
from tastemaker.errors import InputError
from tastemaker.pipeline import STEPS, TrainingPipeline, TrainSettings

from bundle_support import SMALL


def test_steps_run_in_order_and_are_recorded(tiny, tmp_path):
    seen = []
    result = TrainingPipeline(TrainSettings(params=SMALL), on_step=lambda name, s, d: seen.append(name)).run(
        tiny[0], tmp_path / "models")
    assert seen == list(STEPS)
    meta = ModelBundle.load(tmp_path / "models").metadata
    assert [name for name, _ in meta["pipeline"]["steps"]] == [s for s in STEPS if s != "save"]
    assert meta["pipeline"]["placed"] == {"culture": 1} == result.placed
    assert set(meta["blend"]["weights"]) >= {"cf"} and meta["interactions"] > 0


def test_no_place_no_blend_is_collaborative_filtering_alone(tiny, tmp_path):
    result = TrainingPipeline(TrainSettings(params=SMALL, place=False, blend=False)).run(tiny[0], tmp_path / "m")
    bundle = result.bundle
    assert bundle.placed_items() == {} and not bundle.hybrid
    assert all(set(r.signals) == {"cf"} for r in bundle.recommend("u100", n=3))


def test_plan_says_what_each_step_will_do():
    plan = TrainingPipeline(TrainSettings(algorithm="ease")).plan()
    assert [line.split(":")[0] for line in plan] == list(STEPS)
    assert "skipped" in plan[STEPS.index("place")]


@pytest.mark.parametrize("settings, setting", [
    (TrainSettings(algorithm="nope"), "algorithm"),
    (TrainSettings(algorithm="ease", index="voyager"), "index"),
    (TrainSettings(algorithm="ease", params={"factors": 3}), "factors"),
    (TrainSettings(algorithm="sgd", params={"iterations": 3}), "iterations"),
    (TrainSettings(engine="spark", algorithm="sgd"), "engine"),
    (TrainSettings(spark_master="local[2]"), "spark_master"),
])
def test_settings_that_do_not_fit_name_the_setting(tiny, tmp_path, settings, setting):
    with pytest.raises(InputError) as info:
        TrainingPipeline(settings).run(tiny[0], tmp_path / "m")
    assert info.value.setting == setting
    assert not (tmp_path / "m").exists(), "nothing written"


def test_an_empty_store_is_a_clear_error(tmp_path):
    with Store(tmp_path / "empty.duckdb") as store:  # an item, no events
        store.con.execute("INSERT INTO items (item_id, kind, name) VALUES ('a', 'artist', 'A')")
    with pytest.raises(InputError, match="no play, save, playlist_add or skip events"):
        TrainingPipeline().run(tmp_path / "empty.duckdb", tmp_path / "m")
    with pytest.raises(InputError, match="no store at"):
        TrainingPipeline().run(tmp_path / "missing.duckdb", tmp_path / "m")
