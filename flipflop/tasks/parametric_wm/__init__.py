"""The parametric_wm task: its trial generator (`task.py`) and its analysis spec (`analysis.py`)."""
from flipflop.tasks.parametric_wm.task import ParametricWMTask

__all__ = ["ParametricWMTask"]
