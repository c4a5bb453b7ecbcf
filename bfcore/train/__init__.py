"""The trainer: ``TrainConfig`` and ``train(config, on_report=None, should_stop=None) -> run_dir``."""

from bfcore.train.config import TrainConfig
from bfcore.train.loop import TrainError, Trainer, train

__all__ = ["TrainConfig", "TrainError", "Trainer", "train"]
