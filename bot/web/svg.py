"""Charts as server-side SVG: no JavaScript library, nothing from another host (county intranets often have no
internet), and no ``style`` attributes (the pages' CSP forbids inline styles): sizes and colours are presentation
attributes. Every label is escaped; every chart has a ``<title>`` per mark (a tooltip) and an ``aria-label``.

    bars([("已交小结", 120), ...], total=130)               horizontal bars (counts or percentages)
    bars_against([("县财政局·一般干事", 3, 2), ...])          a value against a limit (好 count against its quota)
    grouped(["好", "较好", ...], [("2025年", [..]), ("2026年", [..])])   vertical grouped bars (year on year)
"""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#8f1d16", "#2f6db5", "#d98c1f", "#3f8f4f", "#7a5aa6", "#6b6b6b")
TEXT, GRID, OVER = "#1f2328", "#d9d9d9", "#c62828"
FONT = 'font-family="sans-serif" font-size="12"'


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
                  f'height="{height}" role="img" aria-label="{escape(label)}" {FONT}>'
                  f'<title>{escape(label)}</title>{"".join(body)}</svg>')


def stack(charts: list[Markup], *, label: str, gap: int = 16) -> Markup:
    """Charts drawn by this module, one under another, as one drawing (to be served as one image)."""
    import re

    body, y, width = [], 0, 0
    for chart in charts:
        w, h = (int(x) for x in re.search(r'width="(\d+)" height="(\d+)"', chart).groups())
        body.append(f'<g transform="translate(0,{y})">{chart}</g>')
        y, width = y + h + gap, max(width, w)
    return _svg(width, max(y - gap, 1), label, body)


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"


def bars(items: list[tuple[str, float]], *, label: str, total: float | None = None, suffix: str = "",
         width: int = 640, label_chars: int = 12) -> Markup:
    """One horizontal bar per item; ``total`` (e.g. the people to evaluate) is the full length and each bar
    shows its share of it."""
    left, right, bar_h, gap = 14 + label_chars * 12, 70, 18, 8
    top = max(total or 0, *(v for _, v in items), 1) if items else 1
    span = width - left - right
    height = max(len(items), 1) * (bar_h + gap) + gap
    body = []
    for i, (name, value) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = span * (value / top) if top else 0
        share = f"（{value * 100 / total:.0f}%）" if total else ""
        tip = escape(f"{name}：{_n(value)}{suffix}{share}")
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" fill="{TEXT}">{escape(_clip(name, label_chars))}'
                    f'</text><rect x="{left}" y="{y}" width="{_n(span)}" height="{bar_h}" fill="#f1f1f1"/>'
                    f'<rect x="{left}" y="{y}" width="{_n(w)}" height="{bar_h}" fill="{PALETTE[i % 2]}">'
                    f'<title>{tip}</title></rect>'
                    f'<text x="{_n(left + w + 4)}" y="{y + 13}" fill="{TEXT}">{escape(_n(value) + suffix)}</text>')
    if not items:
        body.append(f'<text x="{left}" y="20" fill="{TEXT}">暂无数据</text>')
    return _svg(width, height, label, body)


def bars_against(items: list[tuple[str, float, float]], *, label: str, value_name: str, limit_name: str,
                 width: int = 640, label_chars: int = 14) -> Markup:
    """A bar per item with its limit drawn as a dark tick; a bar over its limit is red."""
    left, right, bar_h, gap = 14 + label_chars * 12, 90, 18, 8
    top = max([1, *(max(v, lim) for _, v, lim in items)])
    span = width - left - right
    height = max(len(items), 1) * (bar_h + gap) + gap + 18
    body = [f'<rect x="{left}" y="2" width="10" height="10" fill="{PALETTE[1]}"/>'
            f'<text x="{left + 14}" y="11" fill="{TEXT}">{escape(value_name)}</text>'
            f'<rect x="{left + 90}" y="0" width="3" height="14" fill="{TEXT}"/>'
            f'<text x="{left + 98}" y="11" fill="{TEXT}">{escape(limit_name)}</text>']
    for i, (name, value, lim) in enumerate(items):
        y = 18 + gap + i * (bar_h + gap)
        over = value > lim
        w, x_lim = span * value / top, left + span * lim / top
        tip = escape(f"{name}：{value_name}{_n(value)}，{limit_name}{_n(lim)}{'（超出）' if over else ''}")
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" fill="{TEXT}">{escape(_clip(name, label_chars))}'
                    f'</text><rect x="{left}" y="{y}" width="{_n(w)}" height="{bar_h}" '
                    f'fill="{OVER if over else PALETTE[1]}"><title>{tip}</title></rect>'
                    f'<rect x="{_n(x_lim - 1)}" y="{y - 3}" width="3" height="{bar_h + 6}" fill="{TEXT}"/>'
                    f'<text x="{_n(max(left + w, x_lim) + 6)}" y="{y + 13}" fill="{OVER if over else TEXT}">'
                    f'{escape(f"{_n(value)}/{_n(lim)}")}</text>')
    if not items:
        body.append(f'<text x="{left}" y="40" fill="{TEXT}">暂无数据</text>')
    return _svg(width, height, label, body)


def grouped(categories: list[str], series: list[tuple[str, list[float]]], *, label: str, width: int = 640,
            height: int = 240) -> Markup:
    """Vertical bars, one group per category, one colour per series (with a legend)."""
    left, bottom, top_pad = 40, 26, 28
    plot_h = height - bottom - top_pad
    top = max([1, *(v for _, values in series for v in values)])
    group_w = (width - left - 10) / max(len(categories), 1)
    bar_w = max(4.0, (group_w - 16) / max(len(series), 1))
    body = []
    for k, (name, _) in enumerate(series):
        body.append(f'<rect x="{left + k * 110}" y="4" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
                    f'<text x="{left + k * 110 + 14}" y="13" fill="{TEXT}">{escape(name)}</text>')
    for step in range(5):  # horizontal grid with values
        v = top * step / 4
        y = top_pad + plot_h - plot_h * step / 4
        body.append(f'<line x1="{left}" x2="{width - 10}" y1="{_n(y)}" y2="{_n(y)}" stroke="{GRID}"/>'
                    f'<text x="{left - 4}" y="{_n(y + 4)}" text-anchor="end" fill="{TEXT}">{_n(round(v, 1))}</text>')
    for i, cat in enumerate(categories):
        x0 = left + i * group_w + 8
        for k, (name, values) in enumerate(series):
            v = values[i] if i < len(values) else 0
            h = plot_h * v / top
            body.append(f'<rect x="{_n(x0 + k * bar_w)}" y="{_n(top_pad + plot_h - h)}" width="{_n(bar_w - 2)}" '
                        f'height="{_n(h)}" fill="{PALETTE[k % len(PALETTE)]}">'
                        f'<title>{escape(f"{name} {cat}：{_n(v)}")}</title></rect>')
        body.append(f'<text x="{_n(x0 + (group_w - 16) / 2)}" y="{height - 8}" text-anchor="middle" '
                    f'fill="{TEXT}">{escape(_clip(cat, 8))}</text>')
    return _svg(width, height, label, body)
