"""Inline SVG charts for the HTML report: drawn as markup, so the report needs no script, no
font and no file besides itself."""
from __future__ import annotations

from grader.reports.clean import html as escape

BAR = "#3465a4"


def histogram_bins(scores: list[float], maximum: float) -> list[tuple[str, int]]:
    """(label, count) per bin: one bin per point up to 30 points, else 15 equal bins. A bonus
    above the maximum counts in the last bin; a grade is binned by its floor."""
    if maximum <= 0:
        return [("0", len(scores))]
    if maximum <= 30 and float(maximum).is_integer():
        edges = list(range(int(maximum) + 1))
        counts = [0] * len(edges)
        for score in scores:
            counts[min(max(int(score), 0), len(edges) - 1)] += 1
        labels = [str(e) for e in edges]
        if any(score > maximum for score in scores):
            labels[-1] += "+"
        return list(zip(labels, counts))
    bins = 15
    width = maximum / bins
    counts = [0] * bins
    for score in scores:
        counts[min(max(int(score / width), 0), bins - 1)] += 1
    return [(f"{i * width:.0f}-{(i + 1) * width:.0f}", c) for i, c in enumerate(counts)]


def histogram(scores: list[float], maximum: float, title: str) -> str:
    bins = histogram_bins(scores, maximum)
    width, height, left, bottom, top = 640, 220, 36, 34, 16
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max((c for _, c in bins), default=0) or 1
    slot = plot_w / len(bins)
    parts = [f'<svg class="histogram" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#555"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#555"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="axis">{peak}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="axis">0</text>']
    step = max(1, len(bins) // 16)
    for i, (label, count) in enumerate(bins):
        x = left + i * slot + 2
        h = plot_h * count / peak
        if count:
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{slot - 4:.1f}" '
                         f'height="{h:.1f}" fill="{BAR}"><title>{escape(label)}: {count}</title></rect>')
            parts.append(f'<text x="{x + (slot - 4) / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
                         f'text-anchor="middle" class="count">{count}</text>')
        if i % step == 0 or i == len(bins) - 1:
            parts.append(f'<text x="{x + (slot - 4) / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                         f'class="axis">{escape(label)}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 4}" text-anchor="middle" class="axis">'
                 f'score (out of {maximum:g})</text>')
    parts.append("</svg>")
    return "".join(parts)
