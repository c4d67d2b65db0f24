"""Selectivity of single units: choice preference (Song et al. 2016's sort) and category
tuning over time (Freedman & Assad 2006), arrays in, arrays out."""
from __future__ import annotations

import numpy as np

from flipflop.errors import FlipFlopError


def choice_selectivity(activity: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """Per unit (units,): mean activity on choice-0 trials minus choice-1 trials, over their
    pooled standard deviation (a d'; 0 for a unit that does not vary). ``activity`` (trials, units)."""
    a, b = activity[choice == 0], activity[choice == 1]
    if not len(a) or not len(b):
        raise FlipFlopError("choice selectivity needs trials of both choices")
    sd = np.sqrt((a.var(axis=0) + b.var(axis=0)) / 2)
    diff = a.mean(axis=0) - b.mean(axis=0)
    return np.where(sd > 1e-9, diff / np.maximum(sd, 1e-9), 0.0)


def selectivity_order(selectivity: np.ndarray, signs: np.ndarray | None = None) -> np.ndarray:
    """Unit order by decreasing selectivity, excitatory units (sign +1) first when ``signs``."""
    if signs is None:
        return np.argsort(-selectivity, kind="stable")
    exc, inh = np.flatnonzero(signs > 0), np.flatnonzero(signs < 0)
    return np.concatenate([exc[np.argsort(-selectivity[exc], kind="stable")],
                           inh[np.argsort(-selectivity[inh], kind="stable")]])


def category_selectivity(rates: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Freedman & Assad's category tuning index over time, per unit: (between-category
    minus within-category mean absolute difference of the direction means) over their sum.
    ``rates`` (directions, T, units) mean activity per sample direction; returns (T, units)."""
    diff = np.abs(rates[:, None] - rates[None, :])  # (d, d, T, units)
    same = category[:, None] == category[None, :]
    off = ~np.eye(len(category), dtype=bool)
    within, between = diff[same & off].mean(axis=0), diff[~same].mean(axis=0)
    total = within + between
    return np.where(total > 1e-9, (between - within) / np.maximum(total, 1e-9), 0.0)


def selectivity_onsets(index: np.ndarray, start: int, threshold: float = 0.5, hold: int = 5) -> np.ndarray:
    """Per unit (units,): the first step from ``start`` at which ``index`` (T, units) exceeds
    ``threshold`` for ``hold`` consecutive steps, counted from ``start``; NaN if never."""
    above = index[start:] > threshold
    steps = above.shape[0] - hold + 1
    if steps < 1:
        return np.full(index.shape[1], np.nan)
    run = np.all(np.stack([above[i:i + steps] for i in range(hold)]), axis=0)  # (steps, units)
    first = np.argmax(run, axis=0).astype(np.float64)
    return np.where(run.any(axis=0), first, np.nan)
