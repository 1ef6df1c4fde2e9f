"""Inline SVG charts for the HTML reports, drawn in Python.

Why not a charting library: the report must open offline in any browser and in a mail client,
with no JavaScript and nothing fetched. A few SVG primitives cover what a manager needs: a
sparkline, a line chart of scores over runs, horizontal bars, and a heat map.

Every function returns a complete `<svg>` element as a string with explicit width/height and a
`viewBox`, a `<title>` for screen readers, and values HTML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

#: Colour-blind friendly series colours (Okabe-Ito).
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
GRID = "#d9d9d9"
MUTED = "#6b6b6b"
MISSING_FILL = "#eeeeee"

Formatter = Callable[[float], str]


def _default_fmt(value: float) -> str:
    return f"{value:.0f}"


def _svg_open(width: int, height: int, title: str, css_class: str) -> str:
    return (
        f'<svg class="chart {escape(css_class)}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>"
    )


def text_width(text: str, font_size: float = 12.0, bold: bool = False) -> float:
    """A generous estimate of rendered text width (no font metrics offline): labels never clip."""
    return len(text) * font_size * (0.64 if bold else 0.58)


def score_colour(value: float | None) -> str:
    """Red (0) -> amber (50) -> green (100): the heat-map and score colour scale."""
    if value is None:
        return MISSING_FILL
    v = max(0.0, min(100.0, value)) / 100.0
    stops = ((0.0, (215, 48, 39)), (0.5, (254, 224, 139)), (1.0, (26, 152, 80)))
    for (p0, c0), (p1, c1) in zip(stops, stops[1:], strict=False):
        if v <= p1:
            t = (v - p0) / (p1 - p0)
            r, g, b = (round(a + (b_ - a) * t) for a, b_ in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#1a9850"


def _text_colour(fill: str) -> str:
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 140 else "#ffffff"


def nice_ceiling(value: float, ticks: int) -> float:
    """The smallest "round" maximum >= value whose `ticks` steps are 1, 2, 2.5 or 5 x 10^k."""
    if value <= 0:
        return float(ticks)
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * magnitude >= raw:
            return factor * magnitude * ticks
    return 10.0 * magnitude * ticks


def sparkline(values: Sequence[float | None], width: int = 120, height: int = 32, title: str = "") -> str:
    """A tiny trend line of the last runs; the last point is marked."""
    svg = [_svg_open(width, height, title, "sparkline")]
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if points:
        lo = min(v for _, v in points)
        hi = max(v for _, v in points)
        span = (hi - lo) or 1.0
        n = max(len(values) - 1, 1)
        pad = 4

        def xy(i: int, v: float) -> tuple[float, float]:
            x = pad + (width - 2 * pad) * (i / n if len(values) > 1 else 0.5)
            y = height - pad - (height - 2 * pad) * ((v - lo) / span if hi != lo else 0.5)
            return x, y

        coords = [xy(i, v) for i, v in points]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        svg.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
        lx, ly = coords[-1]
        svg.append(f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="3" fill="{PALETTE[0]}"/>')
    else:
        svg.append(f'<line x1="4" y1="{height / 2}" x2="{width - 4}" y2="{height / 2}" stroke="{GRID}"/>')
    svg.append("</svg>")
    return "".join(svg)


def line_chart(
    series: Mapping[str, Sequence[float | None]],
    x_labels: Sequence[str],
    title: str,
    width: int = 720,
    height: int = 300,
    y_max: float | None = 100.0,
    fmt: Formatter = _default_fmt,
) -> str:
    """Several series over the same runs (x), with a legend on the right."""
    left, right, top, bottom = 44, 170, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    all_values = [v for vals in series.values() for v in vals if v is not None]
    hi = y_max if y_max is not None else nice_ceiling(max(all_values, default=0.0) * 1.05, 4)
    lo = 0.0
    n = max(len(x_labels) - 1, 1)

    def x_at(i: int) -> float:
        return left + (plot_w * i / n if len(x_labels) > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h - plot_h * (v - lo) / ((hi - lo) or 1.0)

    svg = [_svg_open(width, height, title, "line-chart")]
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        y = y_at(v)
        svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>')
        svg.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{escape(fmt(v))}</text>'
        )
    step = max(1, len(x_labels) // 8)
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == len(x_labels) - 1:
            svg.append(
                f'<text x="{x_at(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        pts = [(x_at(i), y_at(v)) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            svg.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
                f'data-series="{escape(name)}"/>'
            )
        for x, y in pts:
            svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        ly = top + 10 + s * 20
        lx = left + plot_w + 16
        svg.append(f'<rect x="{lx}" y="{ly - 9}" width="12" height="12" rx="2" fill="{colour}"/>')
        svg.append(f'<text x="{lx + 18}" y="{ly + 1}">{escape(name)}</text>')
    svg.append("</svg>")
    return "".join(svg)


def bar_chart(
    items: Sequence[tuple[str, float]],
    title: str,
    width: int = 720,
    bar_height: int = 22,
    fmt: Formatter = _default_fmt,
    colour: str = PALETTE[0],
) -> str:
    """Horizontal bars, largest first as given; the value is printed at the end of each bar."""
    value_w, gap = 70, 6
    label_w = int(max((text_width(label) for label, _ in items), default=60.0)) + 16
    height = max(1, len(items)) * (bar_height + gap) + gap
    hi = max((v for _, v in items), default=0.0) or 1.0
    plot_w = width - label_w - value_w
    svg = [_svg_open(width, height, title, "bar-chart")]
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        w = max(1.0, plot_w * value / hi)
        svg.append(
            f'<text x="{label_w - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">{escape(label)}</text>'
        )
        svg.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" rx="3" fill="{colour}" '
            f'data-value="{value:g}"/>'
        )
        svg.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_height * 0.7:.1f}">{escape(fmt(value))}</text>'
        )
    if not items:
        svg.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{MUTED}">-</text>')
    svg.append("</svg>")
    return "".join(svg)


def heat_map(
    rows: Sequence[tuple[str, str]],
    cols: Sequence[tuple[str, str]],
    values: Mapping[tuple[str, str], float | None],
    title: str,
    missing_label: str,
    fmt: Formatter = _default_fmt,
    cell_w: int = 64,
    cell_h: int = 34,
) -> str:
    """Rows x columns of coloured cells; `rows`/`cols` are (key, label). Absent cells are grey."""
    label_w = int(max((text_width(label, bold=True) for _, label in rows), default=60.0)) + 18
    longest_head = max((text_width(label) for _, label in cols), default=40.0)
    head_h = int(longest_head * 0.71) + 24  # headings are rotated by 45 degrees
    width = label_w + cell_w * max(1, len(cols)) + int(longest_head * 0.71) + 8
    height = head_h + cell_h * max(1, len(rows)) + 8
    svg = [_svg_open(width, height, title, "heat-map")]
    for j, (_key, label) in enumerate(cols):
        x = label_w + j * cell_w + cell_w / 2
        svg.append(
            f'<text transform="translate({x + 4:.1f},{head_h - 8}) rotate(-45)" text-anchor="start">'
            f"{escape(label)}</text>"
        )
    for i, (row_key, row_label) in enumerate(rows):
        y = head_h + i * cell_h
        svg.append(
            f'<text x="{label_w - 10}" y="{y + cell_h * 0.62:.1f}" text-anchor="end" '
            f'font-weight="600">{escape(row_label)}</text>'
        )
        for j, (col_key, _label) in enumerate(cols):
            x = label_w + j * cell_w
            value = values.get((row_key, col_key))
            fill = score_colour(value)
            text = missing_label if value is None else fmt(value)
            data = "" if value is None else f' data-value="{value:.4f}"'
            svg.append(
                f'<rect class="cell" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'rx="3" fill="{fill}" data-scope="{escape(row_key)}" data-field="{escape(col_key)}"{data}>'
                f"<title>{escape(row_label)} / {escape(_label)}: {escape(text)}</title></rect>"
            )
            svg.append(
                f'<text x="{x + cell_w / 2:.1f}" y="{y + cell_h * 0.62:.1f}" text-anchor="middle" '
                f'fill="{_text_colour(fill) if value is not None else MUTED}">{escape(text)}</text>'
            )
    svg.append("</svg>")
    return "".join(svg)
