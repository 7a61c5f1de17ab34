"""The perplexity curve of a run as a PNG (matplotlib, no display needed)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ragkb.extras import require


def plot_perplexity(log: list[dict[str, Any]], path: Path, title: str) -> Path:
    require("matplotlib", "the perplexity plot")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6, 3.6), dpi=100)
    axes.plot([e["step"] for e in log], [math.exp(min(e["loss"], 20)) for e in log], lw=0.8, alpha=0.6, label="train (batch)")
    validated = [e for e in log if e.get("val_perplexity") is not None]
    axes.plot([e["step"] for e in validated], [e["val_perplexity"] for e in validated], "o-", ms=3, label="validation")
    axes.set(xlabel="optimizer step", ylabel="perplexity", yscale="log", title=title)
    axes.grid(alpha=0.3, which="both")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    return path
