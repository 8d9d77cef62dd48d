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


COLUMN_PLOT_HEIGHT = 120
COLUMN_AREA_WIDTH = 480
AXIS_ROOM = 34  # under the columns: the first and last labels


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    width: int
    height: int
    plot_height: int
    largest: int

    @property
    def first_label(self) -> str:
        return self.columns[0].label if self.columns else ""

    @property
    def last_label(self) -> str:
        return self.columns[-1].label if self.columns else ""


def column_chart(values: list[tuple[str, int]]) -> ColumnChart:
    """Vertical columns over time (one per day, say), scaled to the largest value."""
    largest = max((value for _, value in values), default=0) or 1
    step = max(2, COLUMN_AREA_WIDTH // max(1, len(values)))
    columns = []
    for i, (label, value) in enumerate(values):
        height = round(COLUMN_PLOT_HEIGHT * value / largest)
        columns.append(
            Column(label, value, i * step, COLUMN_PLOT_HEIGHT - height, max(1, step - 2), height)
        )
    width = max(COLUMN_AREA_WIDTH, len(values) * step)
    return ColumnChart(columns, width, COLUMN_PLOT_HEIGHT + AXIS_ROOM, COLUMN_PLOT_HEIGHT, largest)
