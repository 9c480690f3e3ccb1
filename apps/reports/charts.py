"""Server-side SVG charts (line, bar, sparkline): plain markup built with escaping, no JavaScript, no CDN. Text is
escaped with the standard library's html.escape, as django.utils.html.escape does it without its lazy-string wrapper
(ten years of weekly points draw thousands of labels)."""

from html import escape

from django.utils.safestring import SafeString, mark_safe

PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 62, 12, 34, 46


def _num(x: float) -> str:
    return f"{x:.1f}"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "no data"
    text = f"{value:g}" if isinstance(value, int) else f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}{'%' if unit == '%' else ' ' + unit if unit else ''}"


def _scale_max(values: list[float], y_max: float | None) -> float:
    if y_max is not None:
        return y_max
    top = max(values, default=0)
    return top * 1.1 if top > 0 else 1.0


def chart(
    points: list[tuple[str, float | None]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    unit: str = "",
    kind: str = "line",
    y_max: float | None = None,
    width: int = 640,
    height: int = 220,
    testid: str = "chart",
) -> SafeString:
    """A line or bar chart of labelled values (None = no data: a gap): its title on top, the axes named (the y axis
    with its unit) and an accessible summary."""
    known = [v for _, v in points if v is not None]
    top = _scale_max(known, y_max)
    plot_w, plot_h = width - PAD_LEFT - PAD_RIGHT, height - PAD_TOP - PAD_BOTTOM
    n = max(len(points), 1)
    step = plot_w / n

    def x(i: int) -> float:
        return PAD_LEFT + step * (i + 0.5)

    def y(v: float) -> float:
        return PAD_TOP + plot_h * (1 - min(v, top) / top)

    summary = "; ".join(f"{label}: {_fmt(v, unit)}" for label, v in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" data-testid="{escape(testid)}">',
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>",
        f'<text class="kpi-title" x="{width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600" '
        f'fill="#212529">{escape(title)}</text>',
        f'<text class="kpi-axis-label" data-axis="x" x="{_num(PAD_LEFT + plot_w / 2)}" y="{height - 6}" '
        f'text-anchor="middle" font-size="11" fill="#495057">{escape(x_label)}</text>',
        f'<text class="kpi-axis-label" data-axis="y" x="14" y="{_num(PAD_TOP + plot_h / 2)}" text-anchor="middle" '
        f'font-size="11" fill="#495057" transform="rotate(-90 14 {_num(PAD_TOP + plot_h / 2)})">'
        f"{escape(y_label + (f' ({unit})' if unit else ''))}</text>",
    ]
    for frac in (0, 0.5, 1):  # grid lines with their values
        gy = PAD_TOP + plot_h * (1 - frac)
        parts.append(
            f'<line class="kpi-grid" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{_num(gy)}" y2="{_num(gy)}" '
            'stroke="#dee2e6" stroke-width="1"/>'
            f'<text class="kpi-axis" x="{PAD_LEFT - 6}" y="{_num(gy + 4)}" text-anchor="end" font-size="11" '
            f'fill="#6c757d">{escape(_fmt(round(top * frac, 1), ""))}</text>'
        )
    label_every = max(1, n // 8)
    for i, (label, value) in enumerate(points):
        if i % label_every == 0:
            parts.append(
                f'<text class="kpi-axis" x="{_num(x(i))}" y="{height - 26}" text-anchor="middle" font-size="11" '
                f'fill="#6c757d">{escape(label)}</text>'
            )
        if value is None:
            continue
        tip = f"<title>{escape(label)}: {escape(_fmt(value, unit))}</title>"
        if kind == "bar":
            bw = max(step * 0.6, 1)
            parts.append(
                f'<rect class="kpi-bar" x="{_num(x(i) - bw / 2)}" y="{_num(y(value))}" width="{_num(bw)}" '
                f'height="{_num(PAD_TOP + plot_h - y(value))}" fill="#0d6efd">{tip}</rect>'
            )
        else:
            parts.append(
                f'<circle class="kpi-dot" cx="{_num(x(i))}" cy="{_num(y(value))}" r="3" fill="#0d6efd">{tip}</circle>'
            )
    if kind != "bar":
        for segment in _segments(points):
            coords = " ".join(f"{_num(x(i))},{_num(y(v))}" for i, v in segment)
            parts.append(
                f'<polyline class="kpi-line" points="{coords}" fill="none" stroke="#0d6efd" stroke-width="2"/>'
            )
    if not known:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="13" fill="#6c757d">'
            "No data in this period</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every text and attribute value above is escaped or numeric


def _segments(points: list[tuple[str, float | None]]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive known values: a line is not drawn across a bucket without data."""
    runs, run = [], []
    for i, (_, v) in enumerate(points):
        if v is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append((i, v))
    if run:
        runs.append(run)
    return runs


def sparkline(
    values: list[float | None], *, label: str, width: int = 120, height: int = 32, y_max: float | None = None
) -> SafeString:
    """A small trend line for a dashboard tile; gaps where a bucket has no data."""
    known = [v for v in values if v is not None]
    top = _scale_max(known, y_max)
    n = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> str:
        return f"{_num(2 + (width - 4) * i / n)},{_num(2 + (height - 4) * (1 - min(v, top) / top))}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-sparkline" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for segment in _segments([("", v) for v in values]):
        if len(segment) == 1:
            i, v = segment[0]
            cx, cy = xy(i, v).split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="1.5" fill="#0d6efd"/>')
        else:
            coords = " ".join(xy(i, v) for i, v in segment)
            parts.append(f'<polyline points="{coords}" fill="none" stroke="#0d6efd" stroke-width="1.5"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — the label is escaped, the rest is numeric
