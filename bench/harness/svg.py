"""SVG bar charts written directly (no plotting library): for each metric,
one bar per side showing its median as a ratio to native on a log scale
(VM figures on emulated KVM can be 1000x off), with min–max whiskers and
the absolute median printed above the bar."""

import math
from xml.sax.saxutils import escape

from .host import emulated, one_line
from .report import fmt

COLOURS = {"native": "#4c72b0", "container": "#55a868", "vm": "#c44e52"}
BAR, GAP, LEFT, TOP, PLOT_H = 26, 34, 70, 92, 260


def _ratio_range(rows, sides):
    vals = [1.0]
    for r in rows:
        base = (r["sides"].get("native") or {}).get("median")
        for s in sides:
            st = r["sides"].get(s)
            if st and base:
                vals += [v / base for v in (st["min"], st["max"], st["median"]) if v > 0]
    lo = 10 ** math.floor(math.log10(min(vals) / 1.2))
    hi = 10 ** math.ceil(math.log10(max(vals) * 1.2))
    return lo, max(hi, lo * 10)


def _text(x, y, s, size=11, anchor="middle", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-family="sans-serif" {extra}>{escape(str(s))}</text>')


def chart(title, rows, sides, host):
    # Wide enough for the metric's label under the bars and for the host line.
    group_w = max(len(sides) * BAR + GAP, 130)
    width = int(max(LEFT + len(rows) * group_w + 40, 560, len(one_line(host)) * 5.6 + 40))
    height = TOP + PLOT_H + 110
    lo, hi = _ratio_range(rows, sides)
    span = math.log10(hi) - math.log10(lo)
    y_of = lambda r: TOP + PLOT_H - (math.log10(r) - math.log10(lo)) / span * PLOT_H
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<rect width="{width}" height="{height}" fill="white"/>',
           _text(width / 2, 22, title, 15, extra='font-weight="bold"'),
           _text(width / 2, 40, one_line(host), 10)]
    if emulated(host):
        out.append(_text(width / 2, 55, "KVM is EMULATED (PVM) here: VM bars marked † enter the "
                         "guest kernel and are distorted", 10, extra='fill="#b00"'))
    out.append(_text(width / 2, 70, "bar: median as a ratio to native (log scale); whisker: "
                     "min–max; label: median", 10))
    decade = lo
    while decade <= hi * 1.001:
        for m in (1, 2, 5):
            v = decade * m
            if lo <= v <= hi:
                y = y_of(v)
                out.append(f'<line x1="{LEFT}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" '
                           f'stroke="{"#888" if v == 1 else "#ddd"}"/>')
                out.append(_text(LEFT - 6, y + 4, f"{v:g}x", 10, "end"))
        decade *= 10
    for i, r in enumerate(rows):
        x0 = LEFT + 10 + i * group_w + (group_w - GAP - len(sides) * BAR) / 2
        base = (r["sides"].get("native") or {}).get("median")
        for j, s in enumerate(sides):
            st, x = r["sides"].get(s), int(x0 + j * BAR)
            if not st or not base or st["median"] <= 0:
                out.append(_text(x + BAR / 2 - 2, TOP + PLOT_H - 4, "n/a", 9))
                continue
            y, y1 = y_of(st["median"] / base), y_of(1.0)
            dagger = s == "vm" and r["kernel_bound"] and emulated(host)
            out.append(f'<rect x="{x}" y="{min(y, y1):.1f}" width="{BAR - 4}" '
                       f'height="{max(abs(y1 - y), 1):.1f}" fill="{COLOURS[s]}" '
                       f'fill-opacity="{0.45 if dagger else 0.9}"/>')
            if st["min"] > 0 and st["max"] > 0:
                ya, yb = y_of(st["min"] / base), y_of(st["max"] / base)
                xm = x + (BAR - 4) / 2
                out.append(f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="{ya:.1f}" y2="{yb:.1f}" stroke="black"/>')
            label = fmt(st["median"]) + (" †" if dagger else "")
            lx_, ly_ = x + (BAR - 4) / 2, min(y, y1) - 4
            out.append(_text(lx_, ly_, label, 8, "start",
                             extra=f'transform="rotate(-60 {lx_:.1f} {ly_:.1f})"'))
        out.append(_text(x0 + len(sides) * BAR / 2, TOP + PLOT_H + 16, r["label"], 10))
        out.append(_text(x0 + len(sides) * BAR / 2, TOP + PLOT_H + 29,
                         f"{r['unit']}, {r['better']} is better", 9, extra='fill="#555"'))
    lx = LEFT
    for s in sides:
        out.append(f'<rect x="{lx}" y="{height - 28}" width="12" height="12" fill="{COLOURS[s]}"/>')
        out.append(_text(lx + 16, height - 18, s, 11, "start"))
        lx += 110
    out.append("</svg>")
    return "\n".join(out) + "\n"
