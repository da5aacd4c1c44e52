"""Server-side SVG charts for the economic figures: geometry here, markup in templates/content/charts/.

Drawn by the portal itself so that a chart needs no script, no outside font and no outside file, and so
that every label is escaped by the template like any other text.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string

PALETTE = ("#b0161b", "#0b4f9c", "#1b7f3b", "#b35c00", "#6b3fa0", "#00838f")


@dataclass
class Bar:
    label: str
    text: str
    y: str
    text_y: str
    x: str
    width: str
    value_x: str
    value_anchor: str
    negative: bool


def _n(number: float) -> str:
    return f"{number:.1f}"


def plain(number: Decimal) -> str:
    """A figure as the report writes it: 302.3, 38.68, 7.5 (no trailing zeros, no exponent)."""
    return format(number.normalize(), "f") if number is not None else ""


def signed(number: Decimal) -> str:
    return f"+{plain(number)}" if number > 0 else plain(number)


def _nice_step(raw: float) -> float:
    """A round axis step (1, 2 or 5 times a power of ten) of at least ``raw``."""
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def bar_chart(title: str, items: list[tuple[str, Decimal, str]], *, width: int = 720) -> str:
    """Horizontal bars for (label, value, text shown) items; negative values grow left of zero."""
    label_width, value_room, row, bar_height, top = 190, 90, 34, 22, 8
    plot = width - label_width - value_room
    values = [float(v) for _label, v, _text in items]
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0
    zero_x = label_width + plot * (-low / span)
    bars = []
    for index, (label, value, text) in enumerate(items):
        length = max(plot * abs(float(value)) / span, 1.0)
        negative = float(value) < 0
        y = top + index * row
        bars.append(
            Bar(
                label=label,
                text=text,
                y=_n(y),
                text_y=_n(y + bar_height / 2 + 5),
                x=_n(zero_x - length if negative else zero_x),
                width=_n(length),
                value_x=_n(zero_x - length - 6 if negative else zero_x + length + 6),
                value_anchor="end" if negative else "start",
                negative=negative,
            )
        )
    context = {
        "title": title,
        "width": width,
        "height": top * 2 + row * len(items),
        "label_x": label_width - 10,
        "zero_x": _n(zero_x),
        "bar_height": bar_height,
        "bars": bars,
    }
    return render_to_string("content/charts/bar.svg", context)


@dataclass
class Series:
    name: str
    color: str
    points: list[tuple[str, str, str]]  # x, y, value text
    path: str
    legend_x: str


def line_chart(
    title: str, categories: list[str], series: dict[str, list[Decimal | None]], *, unit: str
) -> str:
    """One line per series over the category axis (periods), from zero up to the largest value."""
    width, height, left, right, top, bottom = 720, 300, 70, 70, 20, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for vs in series.values() for v in vs if v is not None]
    tick = _nice_step(max(values or [1.0]) / 4)
    high = tick * max(math.ceil(max(values or [1.0]) / tick), 1)
    count = round(high / tick)
    step = plot_w / max(len(categories) - 1, 1)
    xs = [left + (i * step if len(categories) > 1 else plot_w / 2) for i in range(len(categories))]
    ticks = [(_n(top + plot_h - plot_h * k / count), f"{tick * k:,g}") for k in range(count + 1)]
    drawn = []
    for index, (name, vs) in enumerate(series.items()):
        coords = [
            (xs[i], top + plot_h - plot_h * float(v) / high, plain(v))
            for i, v in enumerate(vs)
            if v is not None
        ]
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _t) in enumerate(coords))
        points = [(_n(x), _n(y), text) for x, y, text in coords]
        drawn.append(Series(name, PALETTE[index % len(PALETTE)], points, path, _n(left + index * 150)))
    context = {
        "title": title,
        "unit": unit,
        "width": width,
        "height": height,
        "left": left,
        "right_x": width - right,
        "top": top,
        "base_y": top + plot_h,
        "ticks": ticks,
        "categories": [(_n(x), label) for x, label in zip(xs, categories, strict=True)],
        "series": drawn,
        "legend_y": height - 22,
    }
    return render_to_string("content/charts/line.svg", context)
