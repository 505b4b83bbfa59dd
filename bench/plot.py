#!/usr/bin/env python3
"""Draws bench/results/growth.png from bench/results/measurements.csv (written by
`cargo bench --bench msapp`). Needs matplotlib (`pip install matplotlib`)."""

import csv
import os
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter
except ImportError:
    sys.exit("plot.py needs matplotlib: pip install matplotlib (the tables in results.md do not)")

rows = list(csv.DictReader(open(os.path.join(RESULTS, "measurements.csv"))))
MB = 1e6

fig, (ax_time, ax_change, ax_mem) = plt.subplots(1, 3, figsize=(17, 8))
fig.suptitle("msapp-merge: time and peak memory against app size and change size")

# 1. Time against app size, per command, for the generated series and the corpus.
styles = {"labels": ("--", "s"), "cloned": ("-", "o")}
colors = {
    "floor": "black",
    "merge": "tab:red",
    "merge-warm": "tab:orange",
    "textconv": "tab:blue",
    "unpack": "tab:green",
    "pack": "tab:olive",
    "check": "tab:purple",
    "inflate": "tab:gray",
}
series = defaultdict(list)
for r in rows:
    if r["series"] == "corpus":
        continue
    if r["op"] == "merge" and r["changes_per_side"] != "1":
        continue
    series[(r["series"], r["op"])].append(
        (float(r["uncompressed_bytes"]) / MB, float(r["median_s"]))
    )
for (name, op), points in sorted(series.items()):
    points.sort()
    line, marker = styles.get(name, (":", "x"))
    what = {"merge": "merge (1 change/side)", "merge-warm": "merge (1 change/side, warm cache)"}
    label = f"{what.get(op, op)}, {name}"
    ax_time.plot(
        [p[0] for p in points],
        [p[1] for p in points],
        line,
        marker=marker,
        color=colors.get(op, "tab:brown"),
        label=label,
        alpha=0.85,
    )
corpus_merge = [
    (float(r["uncompressed_bytes"]) / MB, float(r["median_s"]))
    for r in rows
    if r["series"] == "corpus" and r["op"] == "merge" and r["changes_per_side"] == "1"
]
corpus_warm = [
    (float(r["uncompressed_bytes"]) / MB, float(r["median_s"]))
    for r in rows
    if r["series"] == "corpus" and r["op"] == "merge-warm"
]
corpus_floor = [
    (float(r["uncompressed_bytes"]) / MB, float(r["median_s"]))
    for r in rows
    if r["series"] == "corpus" and r["op"] == "floor"
]
if corpus_merge:
    ax_time.scatter(*zip(*corpus_merge), marker="*", s=70, color="tab:red", label="merge (1 change/side), corpus apps")
if corpus_warm:
    ax_time.scatter(*zip(*corpus_warm), marker="*", s=70, color="tab:orange", label="merge (1 change/side, warm cache), corpus apps")
if corpus_floor:
    ax_time.scatter(*zip(*corpus_floor), marker="*", s=70, color="black", label="floor, corpus apps")
ax_time.set_xscale("log")
ax_time.set_yscale("log")
ax_time.set_xlabel("app size, uncompressed (MB)")
ax_time.set_ylabel("median wall time (s)")
ax_time.set_title("time against app size")
ax_time.grid(True, which="both", alpha=0.3)
# Below the axes: with every command of both series it would hide the lines.
ax_time.legend(fontsize=6.5, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14))

# 2. Merge time against the number of changes, on the largest app of each series.
sweeps = defaultdict(list)
floors = {}
for r in rows:
    if r["series"] == "corpus":
        continue
    if r["op"] == "merge":
        sweeps[r["name"]].append((int(r["changes_per_side"]), float(r["median_s"])))
    if r["op"] == "floor":
        floors[r["name"]] = float(r["median_s"])
for name, points in sorted(sweeps.items()):
    if len(points) <= 2:
        continue
    points.sort()
    (line, marker) = styles.get(name.split("-")[0], (":", "x"))
    drawn = ax_change.plot([p[0] for p in points], [p[1] for p in points], line, marker=marker, label=f"merge, {name}")
    if name in floors:
        ax_change.axhline(floors[name], linestyle=":", color=drawn[0].get_color(), label=f"floor, {name}")
ax_change.set_xscale("log")
ax_change.set_yscale("log")
ax_change.set_xlabel("changes per side")
ax_change.set_ylabel("median wall time (s)")
ax_change.set_title("merge time against change size (largest generated apps)")
ax_change.grid(True, which="both", alpha=0.3)
ax_change.legend(fontsize=7)

# 3. Peak memory of merge against app size, with the 4x target.
mem = defaultdict(list)
for r in rows:
    if r["op"] == "merge" and r["changes_per_side"] == "1" and r["peak_rss_bytes"]:
        mem[r["series"]].append((float(r["uncompressed_bytes"]) / MB, float(r["peak_rss_bytes"]) / MB))
for name, points in sorted(mem.items()):
    points.sort()
    if name == "corpus":
        ax_mem.scatter(*zip(*points), marker="*", s=70, color="tab:red", label="merge peak RSS, corpus apps")
    else:
        line, marker = styles.get(name, (":", "x"))
        ax_mem.plot([p[0] for p in points], [p[1] for p in points], line, marker=marker, label=f"merge peak RSS, {name}")
all_sizes = sorted(p[0] for points in mem.values() for p in points)
if all_sizes:
    xs = [all_sizes[0], all_sizes[-1]]
    ax_mem.plot(xs, [4 * x for x in xs], ":", color="black", label="target: 4× uncompressed size")
ax_mem.set_xscale("log")
ax_mem.set_yscale("log")
ax_mem.set_xlabel("app size, uncompressed (MB)")
ax_mem.set_ylabel("peak RSS (MB)")
ax_mem.set_title("merge peak memory against app size")
ax_mem.grid(True, which="both", alpha=0.3)
ax_mem.legend(fontsize=7)

for ax in (ax_time, ax_change, ax_mem):
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())

fig.tight_layout()
out = os.path.join(RESULTS, "growth.png")
fig.savefig(out, dpi=100)
print(f"wrote {out}")
