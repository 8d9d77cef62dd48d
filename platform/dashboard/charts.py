"""A bar chart as inline SVG geometry, so the dashboard needs no JavaScript and no image files."""

from __future__ import annotations

from dataclasses import dataclass

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 70
PLOT_WIDTH = 360


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    plot_width: int = PLOT_WIDTH

    @property
    def width(self) -> int:
        return self.label_width + self.plot_width + 60


def bar_chart(values: list[tuple[str, int]]) -> BarChart:
    largest = max((value for _, value in values), default=0) or 1
    bars = [
        Bar(label, value, i * (BAR_HEIGHT + GAP), max(1, round(PLOT_WIDTH * value / largest)))
        for i, (label, value) in enumerate(values)
    ]
    return BarChart(bars, height=max(1, len(bars) * (BAR_HEIGHT + GAP)))
