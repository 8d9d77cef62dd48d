"""The architecture comparison chart: accuracy against multiply-accumulates, bubble area the
parameter count, one colour per family. The portal reuses :func:`plot_comparison` to place
mentees' points over the reference ones."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FAMILY_COLORS = {
    "alexnet": "#d62728",
    "vgg": "#1f77b4",
    "resnet": "#2ca02c",
    "googlenet": "#9467bd",
    "mobilenet": "#ff7f0e",
    "simple_cnn": "#7f7f7f",
}
OTHER_COLOR = "#17becf"


@dataclass(frozen=True)
class ComparisonPoint:
    label: str
    family: str
    accuracy: float             # in [0, 1]
    macs: int                   # per image, at the training input size
    params: int
    training_time_s: float | None = None
    throughput_ips: float | None = None


def _bubble_area(params: int) -> float:
    # Area proportional to the parameter count, clamped so 60 M and 60 k are both visible.
    return max(20.0, min(2500.0, 12.0 * math.sqrt(params / 1e3) * 4))


def _scatter(ax: object, points: Sequence[ComparisonPoint], faded: bool) -> None:
    for p in points:
        color = FAMILY_COLORS.get(p.family, OTHER_COLOR)
        ax.scatter(p.macs, 100 * p.accuracy, s=_bubble_area(p.params), color=color,  # type: ignore[attr-defined]
                   alpha=0.25 if faded else 0.65, edgecolors="black" if not faded else color,
                   linewidths=0.8, zorder=2 if faded else 3)
        ax.annotate(p.label, (p.macs, 100 * p.accuracy), fontsize=7,  # type: ignore[attr-defined]
                    alpha=0.5 if faded else 1.0, xytext=(4, 4), textcoords="offset points")


def plot_comparison(points: Sequence[ComparisonPoint], out_path: str | Path,
                    reference: Sequence[ComparisonPoint] | None = None,
                    title: str = "Accuracy against compute") -> Path:
    """Draw ``points`` (and, faded behind them, ``reference``) into ``out_path``.

    The format follows the suffix (``.png``, ``.svg``, ``.pdf``).
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on workers and servers
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(9.5, 5.5), dpi=120)
    if reference:
        _scatter(ax, reference, faded=True)
    _scatter(ax, points, faded=False)
    ax.set_xscale("log")
    # Room on the log axis for the bubbles and labels at both ends (a factor of 1.6 each side).
    macs = [p.macs for p in [*points, *(reference or [])] if p.macs > 0]
    if macs:
        ax.set_xlim(min(macs) / 1.6, max(macs) * 1.6)
    ax.set_xlabel("multiply-accumulates per image (log scale)")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    families = sorted({p.family for p in [*points, *(reference or [])]})
    handles = [Line2D([], [], marker="o", linestyle="", markersize=8,
                      color=FAMILY_COLORS.get(f, OTHER_COLOR), label=f) for f in families]
    ax.set_ylim(0, 105)
    # Outside the axes, so no bubble hides under it.
    ax.legend(handles=handles, title="family\n(bubble area:\nparameters)", fontsize=8,
              title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
