"""Turns result entries into figures: median, min and max per side, ratios
to native, and the JSON and Markdown files."""

import json
import statistics

from .host import emulated, one_line
from .mode import banner, one_line_mode
from .workloads import DENSITY, IMAGE, START

SIDES = ("native", "container", "vm")


def metric_table(plan):
    """(workload id, title, metric) for every figure, in report order."""
    rows = []
    for wid in plan["workloads"]:
        if wid == "start":
            rows += [(wid, "Startup and footprint", m) for m in START]
        elif wid == "density":
            rows += [(wid, f"Density: {plan['density']} at once (VM: {plan['vm_density']})", m)
                     for m in DENSITY]
        elif wid == "image":
            rows += [(wid, "Image size", m) for m in IMAGE]
        elif wid in plan["catalogue"]:
            wl = plan["catalogue"][wid]
            rows += [(wid, wl.title, m) for m in wl.metrics]
    return rows


def summarise(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "values": values}


def contender_table(pid, title, short, contenders, base, subject, rows, notes):
    """A table of contenders: rows (key, label, unit, better, {contender: [values]}), each
    summarised, with subject's median over base's as its ratio."""
    out = []
    for key, label, unit, better, values in rows:
        by = {c: summarise(values.get(c, [])) for c in contenders}
        row = {"metric": key, "label": label, "unit": unit, "better": better, "by": by}
        if by.get(subject) and by.get(base) and by[base]["median"]:
            row["ratio"] = by[subject]["median"] / by[base]["median"]
        out.append(row)
    return {"id": pid, "title": title, "short": short, "contenders": contenders, "base": base,
            "subject": subject, "rows": out, "notes": notes}


def vm_distortion(host, metric, entries):
    notes = []
    if metric.kernel and emulated(host):
        notes.append("distorted: guest kernel code is emulated on this host (PVM)")
    ratios = [e["clock_ratio"] for e in entries if "clock_ratio" in e]
    if ratios:
        r = statistics.median(ratios)
        if abs(r - 1) > 0.1:
            notes.append(f"guest clock off: host saw {r:.2f}x the guest's elapsed time")
    return notes


def aggregate(plan, host, entries):
    results = []
    for wid, title, m in metric_table(plan):
        row = {"workload": wid, "title": title, "metric": m.key, "label": m.label, "unit": m.unit,
               "better": m.better, "kernel_bound": m.kernel, "sides": {}, "ratio_to_native": {},
               "notes": {}}
        for side in plan["sides"]:
            runs = [e for e in entries if e["side"] == side and e["workload"] == wid]
            vals = [e["values"][m.key] for e in runs
                    if not e.get("error") and e["values"].get(m.key) is not None]
            errors = sorted({e["error"] for e in runs if e.get("error")})
            row["sides"][side] = summarise(vals)
            if errors:
                row["notes"][side] = errors
            where = sorted({f"file system: {e['raw']['fs']}, O_DIRECT: {e['raw'].get('direct')}"
                            for e in runs if e.get("raw", {}).get("fs")})
            where += sorted({e["note"] for e in runs if e.get("note")})
            if where:
                row["notes"].setdefault(side, []).extend(where)
            if side == "vm":
                row["notes"].setdefault("vm", []).extend(vm_distortion(host, m, runs))
        base = row["sides"].get("native")
        for side in plan["sides"]:
            s = row["sides"].get(side)
            if base and s and base["median"]:
                row["ratio_to_native"][side] = s["median"] / base["median"]
        row["notes"] = {k: v for k, v in row["notes"].items() if v}
        results.append(row)
    return results


def peer_markdown(t):
    """A peer table: one column per contender, the subject's ratio to the reference."""
    names = {"qemu": "QEMU microvm"}
    cols = t["contenders"]
    head = ["metric", "unit", "better"] + [names.get(c, c) for c in cols]
    head.append(f"{t['subject']}/{names.get(t['base'], t['base'])}")
    out = ["", f"## {t['title']}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in t["rows"]:
        if not any(r["by"].values()):
            continue
        ratio = f"**{r['ratio']:.2f}x**" if "ratio" in r else "–"
        out.append("| " + " | ".join([r["label"], r["unit"], r["better"]] +
                                     [cell(r["by"].get(c)) for c in cols] + [ratio]) + " |")
    out += [""] + [f"- {n}" for n in t["notes"]]
    return out


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=False, default=str)
        f.write("\n")


def fmt(x):
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def cell(s):
    if not s:
        return "n/a"
    if s["n"] == 1:
        return fmt(s["median"])
    return f"{fmt(s['median'])} ({fmt(s['min'])}–{fmt(s['max'])})"


def markdown(doc):
    host, plan, results = doc["host"], doc["plan"], doc["results"]
    sides = plan["sides"]
    out = [f"# isolab bench: {doc['name']}", "",
           f"Host: {one_line(host)}.", "", one_line_mode(doc["mode"]) + ".", ""]
    if banner(doc):
        out += [f"**{banner(doc)}**", ""]
    out += [f"Each cell: median (min–max) of {plan['reps']} runs ({plan['size']} size); "
            "ratio = side median / native median. For 'higher' metrics a ratio below 1 is a "
            "loss; for 'lower' metrics a ratio above 1 is a loss.", ""]
    head = ["workload", "metric", "unit", "better"]
    for s in sides:
        head.append(s)
        if s != "native":
            head.append(f"{s}/native")
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [r["workload"], r["label"], r["unit"], r["better"]]
        for s in sides:
            c = cell(r["sides"].get(s))
            if s == "vm" and r["kernel_bound"] and emulated(host) and r["sides"].get(s):
                c += " †"
            cells.append(c)
            if s != "native":
                ratio = r["ratio_to_native"].get(s)
                cells.append(f"{ratio:.2f}x" if ratio is not None else "–")
        out.append("| " + " | ".join(cells) + " |")
    notes = [(r["workload"], r["label"], side, n) for r in results
             for side, ns in r["notes"].items() for n in ns if not n.startswith("distorted")]
    if notes:
        out += ["", "## Notes", ""]
        seen = set()
        for wid, label, side, n in notes:
            if (wid, side, n) not in seen:
                seen.add((wid, side, n))
                out.append(f"- {wid} on {side}: {n}")
    for t in doc.get("peers", []):
        out += peer_markdown(t)
    out += published_section(doc)
    out += ["", "## How each figure was taken", ""] + [f"- {line}" for line in doc["method"]]
    return "\n".join(out) + "\n"


# (claim, published figure, workload, metric, side, how to show the measurement)
PUBLISHED = [
    ("CPU in a KVM VM", "Felter et al. 2014: ≈ native; classic tables: ~5x slower",
     "cpu-1", "events_per_sec", "vm", "ratio"),
    ("CPU in a container", "Felter et al. 2014: ≈ native; Potdar et al. 2020 (sysbench): Docker near the host, ahead of the KVM VM",
     "cpu-1", "events_per_sec", "container", "ratio"),
    ("memory bandwidth in a VM (STREAM triad)", "Felter et al. 2014: ≈ native; classic: ~2x slower",
     "mem", "triad_mb_per_s", "vm", "ratio"),
    ("memory bandwidth in a container", "Felter et al. 2014: ≈ native",
     "mem", "triad_mb_per_s", "container", "ratio"),
    ("random 4K reads in a VM", "Felter et al. 2014: ~0.5x native IOPS; classic: ~2x slower",
     "disk", "rand_read_iops", "vm", "ratio"),
    ("random 4K reads in a container", "Felter et al. 2014: ≈ native",
     "disk", "rand_read_iops", "container", "ratio"),
    ("TCP round trip in a VM", "Felter et al. 2014: ~1.8x native latency",
     "net", "rr_latency_us", "vm", "ratio"),
    ("TCP round trip in a container", "Felter et al. 2014: ≈ native (host net), more with NAT",
     "net", "rr_latency_us", "container", "ratio"),
    ("VM boot to userspace", "Firecracker: ≤ 125 ms; classic tables: minutes",
     "start", "startup_ms", "vm", "value"),
    ("container start", "crun: ~17 ms; classic tables: seconds",
     "start", "startup_ms", "container", "value"),
    ("memory per VM", "Firecracker: ~3 MB VMM overhead (+ guest RAM used)",
     "start", "memory_kib", "vm", "value"),
    ("memory per container", "classic tables: MB",
     "start", "memory_kib", "container", "value"),
    ("VM image", "classic tables: GB", "image", "image_kib", "vm", "value"),
    ("container image", "classic tables: MB", "image", "image_kib", "container", "value"),
]


def published_section(doc):
    """The classic claims next to what this run measured, row by row."""
    by = {(r["workload"], r["metric"]): r for r in doc["results"]}
    out = ["", "## Against the published figures", "",
           "| claim | published | measured here |", "|---|---|---|"]
    for claim, pub, wid, key, side, how in PUBLISHED:
        r = by.get((wid, key))
        s = r and r["sides"].get(side)
        if not s:
            got = "not measured in this run"
        elif how == "ratio" and side in r["ratio_to_native"]:
            got = f"{r['ratio_to_native'][side]:.2f}x native ({fmt(s['median'])} {r['unit']})"
        else:
            got = f"{fmt(s['median'])} {r['unit']}"
        if s and side == "vm" and r["kernel_bound"] and emulated(doc["host"]):
            got += " † emulated KVM"
        out.append(f"| {claim} | {pub} | {got} |")
    return out
