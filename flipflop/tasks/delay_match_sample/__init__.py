"""The delayed match-to-sample task: its trial generator (`task.py`), analysis spec and figure."""
from flipflop.tasks.delay_match_sample.task import DelayMatchSampleTask

__all__ = ["DelayMatchSampleTask"]
