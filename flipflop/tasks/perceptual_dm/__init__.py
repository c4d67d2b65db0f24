"""The perceptual_dm task: its trial generator (`task.py`) and its analysis spec (`analysis.py`)."""
from flipflop.tasks.perceptual_dm.task import PerceptualDMTask

__all__ = ["PerceptualDMTask"]
