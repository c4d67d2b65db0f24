"""The context_dm task: its trial generator (`task.py`) and its analysis spec (`analysis.py`)."""
from flipflop.tasks.context_dm.task import ContextDMTask

__all__ = ["ContextDMTask"]
