"""The flipflop task: its trial generator (`task.py`) and its analysis spec (`analysis.py`)."""
from flipflop.tasks.flipflop.task import FlipFlopTask

__all__ = ["FlipFlopTask"]
