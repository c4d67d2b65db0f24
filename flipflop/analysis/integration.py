"""Evidence integration: the psychophysical kernel and accuracy against stimulus duration.

The psychophysical kernel (e.g. Kiani, Hanks & Shadlen 2008) is the weight that each time
bin's evidence fluctuation carries in the choice: a logistic regression of the choice on the
stimulus's evidence in consecutive bins, on trials where the mean evidence is zero or small.
A perfect integrator weighs every bin alike; a leaky one weighs late bins more, a network that
commits early weighs early bins more.
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression


def binned_evidence(evidence: np.ndarray, span: np.ndarray, n_bins: int) -> np.ndarray:
    """The evidence (trials, T) of each trial's ``[start, stop)`` (trials, 2) averaged in
    ``n_bins`` equal bins (trials, n_bins); every trial's span must hold >= n_bins steps."""
    out = np.zeros((len(evidence), n_bins))
    for i, (start, stop) in enumerate(span):
        out[i] = [chunk.mean() for chunk in np.array_split(np.asarray(evidence[i, start:stop], np.float64), n_bins)]
    return out


def psychophysical_kernel(bins: np.ndarray, chose_1: np.ndarray, signed_strength: np.ndarray | None = None) -> dict:
    """Logistic-regression weights of ``chose_1`` (trials,) on the binned evidence (trials,
    n_bins), each bin's evidence centred on its mean for its ``signed_strength`` (the
    condition, so that only the noise is regressed). Returns ``weights`` (n_bins,), their
    ``mean``, and ``min_ratio``: the smallest weight over the mean weight."""
    x = np.asarray(bins, np.float64).copy()
    if signed_strength is not None:
        for value in np.unique(signed_strength):
            pick = signed_strength == value
            x[pick] -= x[pick].mean(axis=0)
    fit = LogisticRegression(C=1e6, max_iter=5000).fit(x, np.asarray(chose_1, int))
    w = fit.coef_[0]
    mean = float(np.mean(w))
    return {"weights": w.tolist(), "mean": mean, "min_ratio": float(np.min(w) / mean) if mean > 0 else float("nan")}


def rises_to_plateau(durations: np.ndarray, accuracy: np.ndarray, rise: float = 0.03, flat: float = 0.02) -> dict:
    """Does accuracy rise with duration and then level off? ``rise``: the best accuracy
    exceeds the shortest duration's by at least this; ``flat``: the last two durations
    differ by at most this. Returns both tests and the numbers."""
    order = np.argsort(durations)
    acc = np.asarray(accuracy, np.float64)[order]
    gain, last_step = float(acc.max() - acc[0]), float(abs(acc[-1] - acc[-2]))
    return {"gain": gain, "last_step": last_step, "rises": gain >= rise, "plateau": last_step <= flat}
