"""NeuroGym's environments as tasks (``neurogym:<EnvId>``): the adapter (``task.py``), its
analysis spec and figures. Only :mod:`flipflop.tasks.neurogym.envs` imports ``neurogym``,
and only when a name is used (the ``[neurogym]`` extra)."""
from flipflop.tasks.neurogym.envs import PREFIX

__all__ = ["PREFIX"]
