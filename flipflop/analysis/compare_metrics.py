"""The table of comparison metrics (names, what they need, how figures label them), read by
the command line's parser without loading any numerical library."""
from __future__ import annotations

from flipflop.errors import Constraint, FlipFlopError, check_value

METRICS = ("procrustes", "svcca", "dsa", "spectral", "jacobian", "cross")
WITHOUT_EXTRA = tuple(m for m in METRICS if m != "dsa")  # dsa needs the [compare] extra
LABELS = {"procrustes": "Procrustes (condition means)", "svcca": "1 − SVCCA", "dsa": "DSA (angular, rad)",
          "spectral": "W(eig W_rec)", "jacobian": "W(eig Jacobians)", "cross": "1 − cross-prediction R²"}
ALIASES = {"all": METRICS, "nodsa": WITHOUT_EXTRA, "none": ()}


def parse_metrics(text: str, allow_none: bool = False) -> tuple[str, ...]:
    """``all``, ``nodsa`` (, ``none``) or a comma-separated list of :data:`METRICS`, in the
    order given; anything else is a one-line error."""
    if isinstance(text, tuple):
        return text
    key = str(text).strip()
    if key in ALIASES and (key != "none" or allow_none):
        return ALIASES[key]
    names = tuple(dict.fromkeys(n.strip() for n in key.split(",") if n.strip()))
    if not names:
        raise FlipFlopError("--metric is empty")
    for n in names:
        check_value("metric", n, Constraint("str", choices=METRICS))
    return names
