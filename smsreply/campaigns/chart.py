"""A campaign's sends and replies over time as an SVG bar chart, drawn on the server.

Readable without JavaScript and under the manager's strict Content-Security-Policy (no
inline style: only SVG attributes, the colours from ``manager.css`` classes). Every bar
has a ``<title>`` (a tooltip and a text for screen readers), and the figure has a text
summary, so the numbers do not live in the picture only.

Example::

    svg = timeline_svg(detail["timeline"], {"title": "Envois et réponses", ...})
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from html import escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 40


def _ticks(peak: int) -> list[int]:
    if peak <= 0:
        return [0]
    step = max(1, 10 ** (len(str(peak)) - 1))
    while peak / step > 5:
        step *= 2
    return list(range(0, peak + step, step))


def timeline_svg(timeline: dict, labels: dict[str, str], zone: tzinfo = UTC) -> str:
    """``labels``: title, sent, replies, empty (and ``bucket`` with ``{minutes}``); times
    are written in ``zone``, named by ``labels["zone"]`` (default: UTC)."""
    buckets = timeline["buckets"]
    title = escape(labels["title"])
    if not buckets:
        return f'<p class="chart-empty">{escape(labels["empty"])}</p>'
    ticks = _ticks(max(max(b["sent"], b["replies"]) for b in buckets))
    top_value = ticks[-1] or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(buckets)
    bar = min(max(slot / 2 - 1, 1), 24)  # one bucket alone is no wall of colour

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top_value

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{title}</title>',
    ]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    every = max(1, len(buckets) // 6)
    for index, bucket in enumerate(buckets):
        x = LEFT + index * slot
        at = datetime.fromisoformat(bucket["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        for offset, key in ((0, "sent"), (bar, "replies")):
            value = bucket[key]
            parts.append(
                f'<rect class="bar-{key}" x="{x + offset + 1:.1f}" y="{y(value):.1f}" '
                f'width="{bar:.1f}" height="{y(0) - y(value):.1f}">'
                f"<title>{escape(at)} {escape(labels.get('zone', 'UTC'))}: {value} "
                f"{escape(labels[key])}</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text class="axis" x="{x + 1:.1f}" y="{HEIGHT - BOTTOM + 16}">'
                f"{escape(at[11:] if index else at)}</text>"
            )
    legend_y = HEIGHT - 8
    parts += [
        f'<rect class="bar-sent" x="{LEFT}" y="{legend_y - 9}" width="10" height="10"/>',
        f'<text class="axis" x="{LEFT + 14}" y="{legend_y}">{escape(labels["sent"])}</text>',
        f'<rect class="bar-replies" x="{LEFT + 140}" y="{legend_y - 9}" width="10" height="10"/>',
        f'<text class="axis" x="{LEFT + 154}" y="{legend_y}">{escape(labels["replies"])}</text>',
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{legend_y}" text-anchor="end">'
        f"{escape(labels['bucket'].format(minutes=timeline['bucket_minutes']))}</text>",
        "</svg>",
    ]
    return "".join(parts)
