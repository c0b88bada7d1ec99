"""Workflows in one place: the training pipeline (read -> train -> signals -> place -> weigh ->
index -> save) that every command and benchmark runs, the audio CNN's (read -> fit -> place ->
index -> save), whose placements the training pipeline applies again at every training, and the
weekly job around them (ingest -> train -> Discover Weekly -> BaRT -> export -> swap;
:class:`WeeklyJob`, ``tastemaker pipeline``).

>>> from tastemaker.pipeline import TrainingPipeline, TrainSettings
>>> result = TrainingPipeline(TrainSettings()).run("tastemaker.duckdb", "models")   # doctest: +SKIP
>>> result.bundle.version                                                           # doctest: +SKIP
'20261203T104512Z-ab12cd34'
"""

from tastemaker.pipeline._audio import AudioTrainResult, place_by_audio_model, train_audio_model
from tastemaker.pipeline._train import STEPS, TrainingPipeline, TrainResult, TrainSettings, audio_model_path
from tastemaker.pipeline._weekly import WEEKLY_STEPS, StepRecord, WeeklyJob, WeeklySettings, inbox_files

__all__ = ["TrainingPipeline", "TrainSettings", "TrainResult", "STEPS", "audio_model_path", "train_audio_model",
           "AudioTrainResult", "place_by_audio_model", "WeeklyJob", "WeeklySettings", "WEEKLY_STEPS", "StepRecord",
           "inbox_files"]
