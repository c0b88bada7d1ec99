"""The weekly job in one idempotent, resumable run: ingest -> train -> Discover Weekly -> BaRT ->
export -> swap.

* **ingest**: every file in the inbox not ingested yet (by content: a file seen before is skipped),
  events at the top level or in ``events/``, free text in ``texts/``, tags in ``tags/``, audio
  features in ``audio-features/``;
* **train**: the training pipeline (:class:`~tastemaker.pipeline.TrainingPipeline`: train, place,
  weigh, index, save a new model version);
* **discover-weekly**: this week's playlists for every listener of that model, stored;
* **bandit**: BaRT retrained on the home screens logged so far (skipped, and said, without logs);
* **export** (optional): every listener's top recommendations and playlists as Parquet;
* **swap**: tell a running server to load the new model now (``POST /admin/reload``); without a
  server address, servers watching the model directory swap on their own.

Every finished step is recorded in the store (``pipeline_runs``: week, step, model version, what
it did). A run for a week skips the steps already done for it, so rerunning a finished week does
nothing and a run killed at any step resumes from that step; each step is itself safe to repeat
(ingests are idempotent, a model version and the week's playlists are replaced whole). One run
at a time: a second one for the same model directory stops with one line.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tastemaker.data import Store
from tastemaker.errors import InputError, TastemakerError
from tastemaker.pipeline._train import TrainingPipeline, TrainSettings, peak_gib

__all__ = ["WeeklyJob", "WeeklySettings", "WEEKLY_STEPS", "StepRecord", "inbox_files"]

WEEKLY_STEPS = ("ingest", "train", "discover-weekly", "bandit", "export", "swap")
#: inbox sub-folders by what they hold (files at the top level are event logs)
INBOX_KINDS = {"events": "events", "texts": "texts", "tags": "tags", "audio-features": "audio-features"}
_SUFFIXES = (".csv", ".csv.gz", ".gz", ".parquet", ".tsv", ".jsonl", ".json", ".txt")
_LOCK = "pipeline.lock"


@dataclass(frozen=True)
class WeeklySettings:
    """What the weekly job does.

    Attributes
    ----------
    week : str or None
        ISO week (``2026-W49``); None: the current one.
    inbox : path or None
        Where new data arrives; None: ``inbox/`` next to the store, if it exists.
    train : TrainSettings
        How to train (engine ``spark`` runs the heavy steps on Spark).
    playlist_size : int
        Items per Discover Weekly playlist.
    export : path or None
        A directory for this week's Parquet exports; None: no export.
    server : str or None
        Base URL of a running ``tastemaker serve`` to tell about the new model.
    api_token : str or None
        The server's ``TASTEMAKER_API_TOKEN``.
    force : bool
        Run every step again even if the week is done.
    """

    week: str | None = None
    inbox: str | os.PathLike | None = None
    train: TrainSettings = field(default_factory=TrainSettings)
    playlist_size: int = 30
    export: str | os.PathLike | None = None
    server: str | None = None
    api_token: str | None = None
    force: bool = False


@dataclass
class StepRecord:
    """One step of a week: done or to do, and what it did."""

    step: str
    status: str  # done | pending | skipped
    detail: dict = field(default_factory=dict)
    model_version: str | None = None
    finished_at: str | None = None


def inbox_files(inbox: Path | None) -> list[tuple[str, Path]]:
    """``(kind, path)`` of every data file in the inbox, in a stable order."""
    if inbox is None or not inbox.is_dir():
        return []
    out = []
    for path in sorted(inbox.iterdir()):
        if path.is_file() and path.name.lower().endswith(_SUFFIXES):
            out.append(("events", path))
        elif path.is_dir() and path.name in INBOX_KINDS:
            out.extend((INBOX_KINDS[path.name], p) for p in sorted(path.iterdir())
                       if p.is_file() and p.name.lower().endswith(_SUFFIXES))
    return out


class WeeklyJob:
    """The weekly job over one store and one model directory (see the module docstring).

    Parameters
    ----------
    db_path, model_root : path
    settings : WeeklySettings
    say : callable, optional
        ``say(step, message)``: what each step did, as it happens.
    """

    def __init__(self, db_path, model_root, settings: WeeklySettings | None = None, *,
                 say: Callable[[str, str], None] | None = None):
        self.db_path = Path(db_path)
        self.model_root = Path(model_root)
        self.settings = settings if settings is not None else WeeklySettings()
        self.say = say or (lambda step, message: None)

    # --- the week and its state -------------------------------------------------------------------
    @property
    def week(self):
        from tastemaker.playlists import parse_week

        return parse_week(self.settings.week)

    @property
    def inbox(self) -> Path | None:
        if self.settings.inbox is not None:
            inbox = Path(self.settings.inbox)
            if not inbox.is_dir():
                raise InputError(f"no inbox folder at {inbox}", setting="inbox",
                                 hint="give the folder new data arrives in, or none")
            return inbox
        default = self.db_path.parent / "inbox"
        return default if default.is_dir() else None

    def steps(self) -> list[str]:
        """The steps this job runs, in order."""
        return [s for s in WEEKLY_STEPS if s != "export" or self.settings.export is not None]

    def status(self) -> list[StepRecord]:
        """Each step of the week, done (with what it did) or pending."""
        done = self._done()
        return [done.get(step, StepRecord(step, "pending")) for step in self.steps()]

    def _done(self) -> dict[str, StepRecord]:
        import duckdb

        if not self.db_path.exists():
            return {}
        with Store(self.db_path, read_only=True) as store:
            try:
                rows = store.con.execute(
                    "SELECT step, status, detail, model_version, finished_at FROM pipeline_runs WHERE week = ?",
                    [str(self.week)]).fetchall()
            except duckdb.CatalogException:  # a store from before the weekly job: nothing done yet
                rows = []
        return {step: StepRecord(step, status, json.loads(detail or "{}"), version,
                                 finished.isoformat(timespec="seconds") if finished else None)
                for step, status, detail, version, finished in rows}

    def plan(self) -> list[str]:
        """What a run would do now, step by step (``tastemaker pipeline --dry-run``)."""
        done = {} if self.settings.force else self._done()
        lines = [f"week {self.week}: store {self.db_path}, models {self.model_root}"]
        for step in self.steps():
            if step in done:
                record = done[step]
                lines.append(f"{step}: done {record.finished_at or ''}".rstrip()
                             + (f" (model {record.model_version})" if record.model_version else ""))
                continue
            lines.append(f"{step}: " + self._intent(step))
        return lines

    def _intent(self, step: str) -> str:
        s = self.settings
        if step == "ingest":
            files = inbox_files(self.inbox)
            if not files:
                return "nothing to ingest (no inbox)" if self.inbox is None else f"nothing in {self.inbox}"
            return f"{len(files)} file(s) from {self.inbox} (those ingested before are skipped): " + ", ".join(
                f"{kind} {path.name}" for kind, path in files[:5]) + (", ..." if len(files) > 5 else "")
        if step == "train":
            return "; ".join(TrainingPipeline(s.train).plan())
        if step == "discover-weekly":
            return f"{s.playlist_size} items for every listener of the new model" + (
                " (on Spark)" if s.train.engine == "spark" else "")
        if step == "bandit":
            return "retrain BaRT on the logged home screens (skipped if there are none)"
        if step == "export":
            return f"top recommendations and playlists of every listener as Parquet into {s.export}"
        return (f"tell the server at {s.server} to load the new model" if s.server else
                "no server address: servers watching the model directory swap on their own")

    # --- running --------------------------------------------------------------------------------
    def run(self) -> list[StepRecord]:
        """Run the steps not done yet for the week; returns every step's record."""
        week = str(self.week)
        with self._exclusive():
            done = {} if self.settings.force else self._done()
            if done and all(step in done for step in self.steps()):
                self.say("pipeline", f"week {week} is done (model {done['train'].model_version}); nothing to do")
                return self.status()
            for step in self.steps():
                if step in done:
                    self.say(step, f"done earlier ({done[step].finished_at})")
                    continue
                started = time.perf_counter()
                detail, version, status = getattr(self, "_" + step.replace("-", "_"))(done)
                detail = {**detail, "seconds": round(time.perf_counter() - started, 2), "peak_gib": peak_gib()}
                record = self._record(week, step, status, detail, version)
                done[step] = record
        return self.status()

    @contextmanager
    def _exclusive(self):
        self.model_root.mkdir(parents=True, exist_ok=True)
        path = self.model_root / _LOCK
        with open(path, "a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                raise InputError(f"another weekly pipeline run ({holder}) is using {self.model_root}",
                                 hint="wait for it to finish; a run killed meanwhile is resumed by the next one")
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}, week {self.week}")
            fh.flush()
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _record(self, week: str, step: str, status: str, detail: dict, version: str | None) -> StepRecord:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        with Store(self.db_path) as store, store.transaction() as con:
            con.execute("DELETE FROM pipeline_runs WHERE week = ? AND step = ?", [week, step])
            con.execute("INSERT INTO pipeline_runs VALUES (?, ?, ?, ?, ?, ?)",
                        [week, step, status, json.dumps(detail, sort_keys=True, default=str), version, now])
        return StepRecord(step, status, detail, version, now.isoformat(timespec="seconds"))

    def _bundle(self, done: dict):
        """The model this week's run trained (its version is recorded), else the current one."""
        from tastemaker.bundle import ModelBundle

        version = done.get("train").model_version if "train" in done else None
        path = self.model_root / version if version and (self.model_root / version).is_dir() else self.model_root
        return ModelBundle.load(path)

    # --- the steps --------------------------------------------------------------------------------
    def _ingest(self, done):
        from tastemaker.content import ingest_audio_features
        from tastemaker.data import ingest_events
        from tastemaker.text import ingest_texts

        files = inbox_files(self.inbox)
        readers = {"events": ingest_events, "texts": ingest_texts, "audio-features": ingest_audio_features}
        try:
            from tastemaker.data import ingest_tags
        except ImportError:  # pragma: no cover - depends on the build
            ingest_tags = None
        if ingest_tags is not None:
            readers["tags"] = ingest_tags
        ingested, skipped = [], []
        for kind, path in files:
            read = readers.get(kind)
            if read is None:
                raise InputError(f"this tastemaker cannot ingest {kind} files", path=path)
            with Store(self.db_path) as store:
                result = read(store, path)
            (skipped if result.skipped_duplicate else ingested).append(path.name)
            self.say("ingest", f"{path.name}: " + ("already ingested" if result.skipped_duplicate
                                                   else f"{result.rows:,} rows"))
        if not files:
            self.say("ingest", "nothing new to ingest")
        return {"ingested": ingested, "already": skipped}, None, "done"

    def _train(self, done):
        if not self.db_path.exists():
            raise InputError(f"no store at {self.db_path}", hint="ingest data first, e.g. `tastemaker ingest hetrec`")

        def on_step(name, seconds, detail):
            if name in ("train", "place", "weigh", "index", "save"):
                self.say("train", f"{name} ({seconds:.1f}s)" + (f": {_short(detail)}" if detail else ""))

        result = TrainingPipeline(self.settings.train, on_step=on_step).run(self.db_path, self.model_root)
        return ({"placed": result.placed, "index": result.index_kind, "steps": result.seconds,
                 "steps_peak_gib": result.peak_gib},
                result.bundle.version, "done")

    def _discover_weekly(self, done):
        bundle = self._bundle(done)
        if not bundle.cf.has_factors:
            self.say("discover-weekly", f"skipped: a {type(bundle.cf).__name__} model has no factors")
            return {"skipped": "no factors"}, bundle.version, "skipped"
        from tastemaker.playlists import DiscoverWeekly, discover_weekly, save_playlists

        generator = DiscoverWeekly(size=self.settings.playlist_size,
                                   candidates=max(200, 4 * self.settings.playlist_size))
        # the store is read, then written, never held while the playlists are made: a running
        # server keeps writing live events meanwhile
        with Store(self.db_path, read_only=True) as store:
            if self.settings.train.engine == "spark":  # candidates and re-ranking in the executors
                from tastemaker.spark import default_master, spark_session
                from tastemaker.spark import discover_weekly as discover_weekly_on_spark

                spark = spark_session(self.settings.train.spark_master or default_master())
                playlists = discover_weekly_on_spark(spark, store, bundle, self.week, generator=generator, save=False)
            else:
                playlists = discover_weekly(store, bundle, self.week, generator=generator, save=False)
        with Store(self.db_path) as store:
            save_playlists(store, playlists)
        count = len(playlists)
        self.say("discover-weekly", f"{count:,} playlists for {self.week} (model {bundle.version})")
        return {"playlists": count}, bundle.version, "done"

    def _bandit(self, done):
        from tastemaker.bandit._bart import save_bart
        from tastemaker.home import default_bart_path, retrain

        bundle = self._bundle(done)
        if not bundle.cf.has_factors:
            return {"skipped": "no factors"}, bundle.version, "skipped"
        try:
            with Store(self.db_path, read_only=True) as store:
                bart = retrain(store, bundle)
        except InputError as exc:
            if "no home-screen impressions" not in str(exc):
                raise
            self.say("bandit", "skipped: no home screens logged yet")
            return {"skipped": "no logs"}, bundle.version, "skipped"
        path = default_bart_path(self.model_root)
        save_bart(bart, path)
        self.say("bandit", f"BaRT retrained on {bart.n_trained_:,} card impressions; saved to {path}")
        return {"impressions": int(bart.n_trained_), "version": bart.version_}, bundle.version, "done"

    def _export(self, done):
        from tastemaker.pipeline._export import export_week

        bundle = self._bundle(done)
        out = Path(self.settings.export) / str(self.week)
        files = export_week(self.db_path, bundle, self.week, out, engine=self.settings.train.engine,
                            master=self.settings.train.spark_master)
        self.say("export", f"wrote {', '.join(str(f) for f in files)}")
        return {"files": [str(f) for f in files]}, bundle.version, "done"

    def _swap(self, done):
        bundle_version = done["train"].model_version if "train" in done else None
        if not self.settings.server:
            self.say("swap", "no server address given: servers watching the model directory swap on their own")
            return {"server": None}, bundle_version, "skipped"
        answer = _tell_server(self.settings.server, self.settings.api_token)
        served = answer.get("model_version")
        self.say("swap", f"{self.settings.server} serves model {served}")
        if bundle_version and served != bundle_version:
            raise TastemakerError(f"the server at {self.settings.server} serves model {served}, not {bundle_version}"
                                  + (f" ({answer['reload_error']})" if answer.get("reload_error") else ""))
        return {"server": self.settings.server, "served": served}, bundle_version, "done"


def _short(detail: dict) -> str:
    text = ", ".join(f"{k} {v}" for k, v in detail.items() if k not in ("path",) and v not in ({}, None, ""))
    return text[:160]


def _tell_server(server: str, token: str | None) -> dict:
    """``POST {server}/admin/reload``: the server loads the current model now; its answer."""
    import urllib.error
    import urllib.request

    url = server.rstrip("/") + "/admin/reload"
    request = urllib.request.Request(url, method="POST", data=b"",
                                     headers={"Authorization": f"Bearer {token or ''}"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise TastemakerError(f"the server at {server} refused the reload ({exc.code}: {detail})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise TastemakerError(f"cannot reach the server at {server} ({getattr(exc, 'reason', exc)}); the new "
                              "model is saved and the next run retries this step") from None
