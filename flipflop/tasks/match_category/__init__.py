"""The match_category task: its trial generator (`task.py`) and its analysis spec (`analysis.py`)."""
from flipflop.tasks.match_category.task import MatchCategoryTask

__all__ = ["MatchCategoryTask"]
