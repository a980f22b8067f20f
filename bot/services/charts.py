"""Charts drawn on the server as SVG: no script, no font or library fetched, readable on a phone.

Both charts scale to their container (`viewBox`, width 100 %) and carry a title and a text
alternative for screen readers; a value of None ("no data") draws no bar or point, never a zero.
"""

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH, FIGURE_WIDTH = 20, 6, 150, 160, 110
LINE_WIDTH, LINE_HEIGHT, PAD = 420, 170, 30


@dataclass(frozen=True)
class Point:
    """One bar or one point: its label, its value (None: no data) and the text shown for it."""

    label: str
    value: int | None
    shown: str


def _svg(width: int, height: int, title: str, body: list[str], css: str) -> Markup:
    return Markup(
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>')


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def bars(title: str, points: list[Point]) -> Markup:
    """Horizontal bars, one per unit, longest = the largest value; "no data" rows keep their label."""
    top = max([p.value for p in points if p.value is not None] + [1])
    body = []
    for i, point in enumerate(points):
        y = i * (BAR_HEIGHT + BAR_GAP)
        mid = y + BAR_HEIGHT * 0.7
        body.append(f'<text x="{LABEL_WIDTH - 6}" y="{mid:.1f}" text-anchor="end" class="label">'
                    f'<title>{escape(point.label)}</title>{escape(_short(point.label))}</text>')
        if point.value is not None:
            width = max(1.0, BAR_WIDTH * point.value / top) if point.value else 0
            body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" rx="2" '
                        f'class="bar"/>')
            x = LABEL_WIDTH + width + 4
        else:
            x = LABEL_WIDTH + 4
        css = "figure" if point.value is not None else "figure none"
        body.append(f'<text x="{x:.1f}" y="{mid:.1f}" class="{css}">{escape(point.shown)}</text>')
    height = max(1, len(points)) * (BAR_HEIGHT + BAR_GAP)
    return _svg(LABEL_WIDTH + BAR_WIDTH + FIGURE_WIDTH, height, title, body, "bars")


def line(title: str, points: list[Point]) -> Markup:
    """A line over the months (one point per month with data, gaps where there is none), axis labels below."""
    top = max([p.value for p in points if p.value is not None] + [1])
    step = (LINE_WIDTH - 2 * PAD) / max(1, len(points) - 1)

    def xy(i: int, value: int) -> tuple[float, float]:
        return PAD + i * step, LINE_HEIGHT - PAD - (LINE_HEIGHT - 2 * PAD) * value / top

    body = [f'<line x1="{PAD}" y1="{LINE_HEIGHT - PAD}" x2="{LINE_WIDTH - PAD}" y2="{LINE_HEIGHT - PAD}" '
            f'class="axis"/>',
            f'<text x="{PAD - 4}" y="{PAD + 4}" text-anchor="end" class="label">{escape(_top_label(points, top))}'
            f'</text>']
    segment: list[str] = []
    for i, point in enumerate(points):
        x = PAD + i * step
        body.append(f'<text x="{x:.1f}" y="{LINE_HEIGHT - PAD + 16}" text-anchor="middle" class="label">'
                    f'{escape(point.label)}</text>')
        if point.value is None:
            body.append(_polyline(segment))
            segment = []
            continue
        px, py = xy(i, point.value)
        segment.append(f"{px:.1f},{py:.1f}")
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" class="dot"><title>{escape(point.label)}: '
                    f'{escape(point.shown)}</title></circle>')
    body.append(_polyline(segment))
    return _svg(LINE_WIDTH, LINE_HEIGHT, title, body, "line")


def _polyline(segment: list[str]) -> str:
    return f'<polyline points="{" ".join(segment)}" class="stroke"/>' if len(segment) > 1 else ""


def _top_label(points: list[Point], top: int) -> str:
    """The shown text of the largest value (so the axis speaks the page's number format)."""
    return next((p.shown for p in points if p.value == top), str(top))
