"""The plots, drawn with matplotlib (Debian's python3-matplotlib).

Each metric is a cluster of bars, one per side: the side's median as a
ratio to native on a log scale (an emulated VM figure can be 1000x off),
a whisker for min–max, the absolute median written at the bar's end, and
under the cluster the unit and whether higher or lower is better. One PNG
and one SVG per workload group, and an overview of every group at 1100 px.
"""

import math
import textwrap

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from .host import emulated, one_line  # noqa: E402
from .mode import banner, one_line_mode  # noqa: E402
from .report import fmt  # noqa: E402

COLOURS = {"native": "#4c72b0", "container": "#55a868", "vm": "#c44e52", "vmm": "#c44e52",
           "qemu": "#8c8c8c", "runc": "#8c8c8c", "crun": "#b0b0b0", "unshare": "#d5d5d5"}
DPI = 100
OVERVIEW_IN = 11.0  # 1100 px at DPI
GROUP_IN = 8.0
OTHERS = ("#8172b3", "#937860", "#da8bc3", "#ccb974", "#64b5cd")


def colour(name):
    """Fixed colours for the sides and peers; a stable one for any other contender."""
    return COLOURS.get(name) or OTHERS[sum(map(ord, name)) % len(OTHERS)]


plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "isolab", "font.size": 9})


def on_tmpfs(row, side):
    """Whether this side's figure was taken on a tmpfs: the container's writable layer
    under --rm, or any side's files in the nested lab host, whose / is a tmpfs overlay."""
    return any("tmpfs" in n for n in row["notes"].get(side, []))


def _ratio(row, side, key):
    base = (row["sides"].get(row.get("base", "native")) or {}).get("median")
    s = row["sides"].get(side)
    if not s or not base or s[key] <= 0:
        return None
    return s[key] / base


def _limits(rows, sides):
    """The data's decades, and a top with room for the labels over the tallest bar."""
    vals = [1.0] + [v for r in rows for s in sides for k in ("min", "max", "median")
                    for v in [_ratio(r, s, k)] if v]
    lo = 10 ** math.floor(math.log10(min(vals) / 1.5))
    hi = max(10 ** math.ceil(math.log10(max(vals) * 1.2)), lo * 10)
    top = hi * (hi / lo) ** 0.25
    return lo, hi, top


def _ticks(lo, hi):
    """1-2-5 steps over up to two decades, decades beyond that."""
    steps = (1, 2, 5) if hi / lo <= 100 else (1,)
    ticks, d = [], lo
    while d <= hi * 1.001:
        ticks += [d * m for m in steps if lo <= d * m <= hi]
        d *= 10
    return ticks


def draw_group(ax, rows, sides, host, title):
    """One workload's metrics as bar clusters on ax."""
    width = 0.8 / len(sides)
    lo, hi, top = _limits(rows, sides)
    ax.set_yscale("log")
    ax.set_ylim(lo, top)
    ax.yaxis.set_major_locator(FixedLocator(_ticks(lo, hi)))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.axhline(1.0, color="#777", linewidth=0.8)
    ax.grid(axis="y", color="#e4e4e4", linewidth=0.6)
    ax.set_axisbelow(True)
    for i, r in enumerate(rows):
        for j, s in enumerate(sides):
            _bar(ax, i + (j - (len(sides) - 1) / 2) * width, width, r, s, host, lo)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([textwrap.fill(r["label"], 18) + f"\n{r['unit']}\n{r['better']} is better"
                        for r in rows], fontsize=7)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ram = [s for s in sides if any(on_tmpfs(r, s) for r in rows)]
    if ram:
        title = (title + "\n" if title else "") + f"hatched {'/'.join(ram)} bars: files on a tmpfs = RAM, not a disk"
    ax.set_title(title, fontsize=9, loc="left")


def _bar(ax, x, width, row, side, host, lo):
    ratio = _ratio(row, side, "median")
    if ratio is None:
        ax.text(x, lo * 1.15, "n/a", ha="center", va="bottom", fontsize=6.5, rotation=90)
        return
    dagger = side == "vm" and row["kernel_bound"] and emulated(host)
    tmpfs = on_tmpfs(row, side)
    ax.bar(x, ratio - lo, bottom=lo, width=width * 0.9, color=colour(side),
           alpha=0.45 if dagger else 0.9, hatch="///" if tmpfs else None,
           edgecolor="#1d4a27" if tmpfs else colour(side), linewidth=0.5)
    rmin, rmax = _ratio(row, side, "min"), _ratio(row, side, "max")
    if rmin and rmax:
        ax.vlines(x, rmin, rmax, color="black", linewidth=0.8)
    label = fmt(row["sides"][side]["median"]) + (" †" if dagger else "") + (" tmpfs" if tmpfs else "")
    ax.annotate(label, (x, max(ratio, rmax or ratio)), xytext=(0, 2), textcoords="offset points",
                ha="center", va="bottom", rotation=90, fontsize=6.5)


def peer_rows(t):
    """A peer table's rows that both the subject and the reference measured, as
    plot rows whose ratio is to the reference (QEMU, runc) instead of native."""
    return [{"label": r["label"], "unit": r["unit"], "better": r["better"], "kernel_bound": False,
             "notes": {}, "sides": r["by"], "base": t["base"]}
            for r in t["rows"] if r["by"].get(t["subject"]) and r["by"].get(t["base"])]


def draw_peer(ax, t, host, title):
    cols = [c for c in t["contenders"] if any(r["by"].get(c) for r in t["rows"])]
    rows = peer_rows(t)
    if rows:
        draw_group(ax, rows, cols, host, title)
    else:
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, f"{t['subject']} and {t['base']} have no figure in common: see the "
                "table's notes", transform=ax.transAxes, ha="center", fontsize=8)
    return cols


RATIO_KEY = ("bar height: the median as a ratio to native (log scale; native = 1x); whisker: "
             "min–max; number: the median in the metric's unit")
PEER_KEY = ("bar height: the median as a ratio to {base} (log scale; {base} = 1x); whisker: "
            "min–max; number: the median in the metric's unit")


def _header(fig, title, doc, width_in, key):
    """Title, host, mode and (when it applies) the warning banner; returns its height in inches."""
    chars = int(width_in * DPI / 7.2)
    lines = [(ln, 13, "bold", "black") for ln in textwrap.wrap(title, int(chars / 1.6))]
    lines += [(ln, 8.5, "normal", "#333") for ln in textwrap.wrap(f"Host: {one_line(doc['host'])}", chars)]
    lines += [(ln, 8.5, "normal", "#333") for ln in textwrap.wrap(one_line_mode(doc["mode"]), chars)]
    warn = banner(doc)
    if warn:
        lines += [(ln, 8.5, "bold", "#b00000") for ln in textwrap.wrap(warn, chars)]
    lines.append((key, 8, "normal", "#555"))
    y = 0.12
    height_in = fig.get_figheight()
    for text, size, weight, colour in lines:
        fig.text(0.5, 1 - y / height_in, text, ha="center", va="top", fontsize=size,
                 fontweight=weight, color=colour)
        y += size / 72 * 1.5
    return y + 0.35


def _legend(fig, sides):
    """One entry per colour: the VM side and vmm share one, as QEMU and runc do."""
    by = {}
    for name in sides:
        by.setdefault(colour(name), []).append(name)
    fig.legend(handles=[Patch(color=c, label=" / ".join(n)) for c, n in by.items()],
               loc="lower center", ncol=min(len(by), 5), frameon=False, fontsize=9)


def _save(fig, stem):
    paths = []
    for ext in ("png", "svg"):
        path = f"{stem}.{ext}"
        fig.savefig(path, dpi=DPI, metadata={"Date": None} if ext == "svg" else None)
        paths.append(path)
    plt.close(fig)
    return paths


def _figure(width_in, plot_rows, plot_h, title, doc, key=RATIO_KEY):
    """A figure whose header is measured first, so the plots start below it."""
    probe = plt.figure(figsize=(width_in, 10))
    head = _header(probe, title, doc, width_in, key)
    plt.close(probe)
    bottom = 1.25  # the last row's three-line tick labels and the legend
    height = head + plot_rows * plot_h + bottom
    fig = plt.figure(figsize=(width_in, height))
    _header(fig, title, doc, width_in, key)
    fig.subplots_adjust(top=1 - head / height, bottom=bottom / height, left=0.07 * 11 / width_in,
                        right=0.99, hspace=0.9, wspace=0.18)
    return fig


def _group_width(rows):
    """Inches: room for each cluster's tick label, at least GROUP_IN."""
    return max(GROUP_IN, 1.25 * len(rows) + 1.0)


def _layout(sizes, wide=6):
    """(row, column, span) on a two-column grid: a group of `wide` or more bar
    clusters takes a whole row, so its tick labels stay readable at 1100 px."""
    cells, r, c = [], 0, 0
    for n in sizes:
        span = 2 if n >= wide or len(sizes) == 1 else 1
        if c + span > 2:
            r, c = r + 1, 0
        cells.append((r, c, span))
        r, c = (r + 1, 0) if c + span == 2 else (r, c + span)
    return cells


def groups(results):
    out = {}
    for r in results:
        out.setdefault((r["workload"], r["title"]), []).append(r)
    return out


def draw_all(doc, base):
    """Writes BASE-overview.{png,svg} and BASE-WORKLOAD.{png,svg}; returns the paths."""
    sides, host = doc["plan"]["sides"], doc["host"]
    by = groups(doc["results"])
    written = []
    for (wid, title), rows in by.items():
        fig = _figure(_group_width(rows), 1, 3.6, f"isolab bench: {title}", doc)
        draw_group(fig.add_subplot(1, 1, 1), rows, sides, host, "")
        _legend(fig, sides)
        written += _save(fig, f"{base}-{wid}")
    peers = doc.get("peers", [])
    for t in peers:
        fig = _figure(_group_width(peer_rows(t)), 1, 3.6, f"isolab bench: {t['title']}", doc,
                      PEER_KEY.format(base=t["base"]))
        _legend(fig, draw_peer(fig.add_subplot(1, 1, 1), t, host, ""))
        written += _save(fig, f"{base}-{t['id']}")
    items = [("group", rows, title) for (_, title), rows in by.items()]
    items += [("peer", t, t["short"]) for t in peers]
    if items:
        cells = _layout([len(x[1]) if x[0] == "group" else len(peer_rows(x[1])) for x in items])
        nrows = max(r for r, _, _ in cells) + 1
        fig = _figure(OVERVIEW_IN, nrows, 3.0, "isolab bench: all figures", doc)
        grid = fig.add_gridspec(nrows, 2)
        shown = list(sides)
        for (kind, what, title), (r, c, span) in zip(items, cells):
            ax = fig.add_subplot(grid[r, c:c + span])
            if kind == "group":
                draw_group(ax, what, sides, host, title)
            else:
                shown += [x for x in draw_peer(ax, what, host, title) if x not in shown]
        _legend(fig, shown)
        written = _save(fig, f"{base}-overview") + written
    return written
