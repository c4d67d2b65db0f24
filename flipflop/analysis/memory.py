"""A remembered variable read out over a delay: states of a period, decoded step by step.

A linear decoder (:func:`flipflop.analysis.manifold.fit_decoder`) fitted on the states of a
delay of trained length is read on trials with longer delays, at every step of the delay:
how the memory decays or drifts. Arrays in (hidden states (trials, T, units), the trials'
``periods``), arrays or dicts of numbers out.
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression


def period_states(hidden: np.ndarray, periods: dict, period: str, skip: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The states of every step of ``period`` (from its ``skip``-th step on, at most half-way)
    of every trial, stacked (m, units), and the trial of each row (m,)."""
    t = np.arange(hidden.shape[1])[None, :]
    span = periods[period]
    skip_each = np.minimum(skip, (span[:, 1:] - span[:, :1]) // 2)
    on = (t >= span[:, :1] + skip_each) & (t < span[:, 1:])
    trial, step = np.nonzero(on)
    return np.asarray(hidden[trial, step], np.float64), trial


def decoded_trace(predict, hidden: np.ndarray, periods: dict, period: str) -> np.ndarray:
    """``predict`` (states (m, units) -> values (m,)) at every step of ``period`` of each trial,
    (trials, longest period) with NaN after a trial's period ends."""
    span = periods[period]
    steps = int(np.max(span[:, 1] - span[:, 0]))
    out = np.full((len(span), steps), np.nan)
    for i, (start, stop) in enumerate(span):
        if stop > start:
            out[i, :stop - start] = predict(np.asarray(hidden[i, start:stop], np.float64))
    return out


def drift(trace: np.ndarray, labels: np.ndarray, start: int = 5) -> dict:
    """How far the decoded value moves from step ``start`` of the delay to its last step, per
    label (mean over the label's trials; the value's units): ``by_label`` [{label, start,
    end, drift}], and ``max_abs`` (the largest |drift|)."""
    labels = np.asarray(labels)
    last = np.array([np.flatnonzero(np.isfinite(row))[-1] for row in trace])
    rows = []
    for value in np.unique(labels):
        pick = labels == value
        begin = float(np.mean(trace[pick, start]))
        end = float(np.mean(trace[np.flatnonzero(pick), last[pick]]))
        rows.append({"label": float(value), "start": begin, "end": end, "drift": end - begin})
    return {"by_label": rows, "max_abs": float(max(abs(r["drift"]) for r in rows))}


def category_decoder(states: np.ndarray, categories: np.ndarray) -> LogisticRegression:
    """A logistic decoder of a binary category from states (m, units)."""
    return LogisticRegression(max_iter=2000).fit(np.asarray(states, np.float64), np.asarray(categories))


def delay_memory(model, trained, long: dict, period: str, variable: str, u: np.ndarray, n_init: int = 512,
                 categorical: bool = False, seed: int = 0, max_points: int = 64, max_iters: int = 3000) -> dict:
    """The memory of condition ``variable`` through ``period`` (the delay), JSON-able.

    ``trained``: fresh trials with the trained delays; ``long``: {delay ms: trials with that
    delay}; ``u``: the delay's input. A decoder (linear for a continuous variable, logistic for
    a ``categorical`` one) is fitted on the trained trials' delay states (from the 6th step);
    the slow points at ``u`` are searched from those states
    (:func:`flipflop.analysis.manifold.slow_points`) and described
    (:func:`~flipflop.analysis.manifold.manifold`). For each long delay: the decoder's
    reading at every delay step (mean per label: ``traces``), and at the delay's end the
    R^2 (continuous) or accuracy (categorical) and, continuous, the drift
    (:func:`drift`). ``points``: up to ``max_points`` line points (state coordinates) with
    their decoded value and stability, for figures."""
    from flipflop.analysis.manifold import fit_decoder, manifold, r_squared, slow_points
    from flipflop.dynamics.step import hidden_states

    hidden = hidden_states(model, trained.inputs)
    states, trial = period_states(hidden, trained.periods, period, skip=5)
    labels = np.asarray(trained.conditions[variable], np.float64)[trial]
    sp = slow_points(model, u, states, n_init=n_init, seed=seed, max_iters=max_iters)
    out = {"manifold": manifold(sp, states, labels)} if not categorical else {}
    decoder = category_decoder(states, labels.astype(int)) if categorical else fit_decoder(states, labels)
    read = (lambda x: decoder.predict_proba(x)[:, 1]) if categorical else decoder.predict
    line = sp.on_line
    keep = np.flatnonzero(line)[:max_points]
    out["points"] = {"states": np.round(sp.points[keep], 5).tolist(), "decoded": read(sp.points[keep]).tolist(),
                     "stable": sp.stable[keep].tolist(), "fixed": sp.fixed[keep].tolist()}
    out["slow"] = {"n_line": int(line.sum()), "n_fixed": int(sp.fixed.sum()),
                   "n_stable_fixed": int((sp.fixed & sp.stable).sum()),
                   "slowest": np.abs(sp.slowest[keep]).tolist()}
    out["delays"] = []
    for delay_ms, trials in sorted(long.items()):
        h = hidden_states(model, trials.inputs)
        trace = decoded_trace(read, h, trials.periods, period)
        truth = np.asarray(trials.conditions[variable], np.float64)
        end = trace[np.arange(len(trace)), [np.flatnonzero(np.isfinite(r))[-1] for r in trace]]
        row = {"delay_ms": float(delay_ms), "n": int(len(trials))}
        if categorical:
            row["end_accuracy"] = float(np.mean((end > 0.5) == (truth > 0.5)))
        else:
            row["end_r2"] = r_squared(end, truth)
            row["drift"] = drift(trace, truth)
        step = max(1, trace.shape[1] // 50)
        row["traces"] = [{"label": float(v), "mean": np.nanmean(trace[truth == v], axis=0)[::step].tolist()}
                         for v in np.unique(truth)]
        row["trace_step"] = step
        out["delays"].append(row)
    return out
