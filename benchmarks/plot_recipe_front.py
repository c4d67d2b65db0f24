"""The recipes' front: batches to the accuracy bars against the spread (std) of |λ| of W_rec.

Reads ``benchmarks/results/recipes.jsonl`` (written by ``bench_recipes.py``) and draws one
point per recipe and seed (open markers: the bars were not met in the runs' epochs; the
point is where they stopped), with the paper's published network as a reference line.
Batches are the load-independent measure of time (64 batches = one epoch, ~8 s on two idle
cores); the seconds measured, on shared cores, are in ``results/recipes.md``.

    python benchmarks/plot_recipe_front.py [--out figures/recipes_front.png]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results" / "recipes.jsonl")
    parser.add_argument("--out", type=Path, default=HERE.parent / "figures" / "recipes_front.png")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    recipes = sorted({r["recipe"] for r in rows if not r["recipe"].startswith("paper")})
    colors = dict(zip(recipes, plt.get_cmap("tab10").colors))
    for r in rows:
        if r["recipe"].startswith("paper"):
            ax.axhline(r["std"], color="0.3" if "20" in r["recipe"] else "0.7", ls="--", lw=1)
            ax.annotate(f"{r['recipe']} network (std {r['std']:.3f})", (1, r["std"]), xycoords=("axes fraction", "data"),
                        ha="right", va="bottom", fontsize=8, color="0.3")
            continue
        ax.scatter(r["batches"], r["std"], s=45, color=colors[r["recipe"]], label=r["recipe"],
                   facecolors=colors[r["recipe"]] if r["reached"] else "none", zorder=3)
    ax.axhline(0.025, color="tab:red", lw=0.8, ls=":")
    ax.annotate("bar: std |λ| ≤ 0.025", (0.01, 0.025), xycoords=("axes fraction", "data"), fontsize=8,
                color="tab:red", va="bottom")
    ax.axvline(7 * 64, color="tab:red", lw=0.8, ls=":")
    ax.annotate("≈ 60 s on 2 idle cores", (7 * 64, 0.98), xycoords=("data", "axes fraction"), fontsize=8,
                color="tab:red", ha="right", va="top", rotation=90)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_xlabel("batches of 32 trials to the accuracy bars (open: not reached)")
    ax.set_ylabel("std of |λ| of W_rec")
    ax.set_title("Recipes: time to the bars against the spread of the eigenvalue ring", fontsize=10)
    fig.savefig(args.out, dpi=150)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
