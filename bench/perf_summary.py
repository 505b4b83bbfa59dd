#!/usr/bin/env python3
"""Summarizes `perf script` output of an msapp-merge run recorded with
`perf record --call-graph dwarf`: time per merge phase and the innermost msapp_merge function
of each sample (library code such as memcmp, malloc or page faults is charged to its caller).
Usage: perf script -i perf.data | python3 bench/perf_summary.py"""

import re
import sys
from collections import Counter

PHASES = [
    ("verify (re-read + re-unpack merged app)", "msapp_merge::merge::app::verify"),
    ("unpack of the three sides", "msapp_merge::merge::app::unpack_side"),
    ("merge trees", "msapp_merge::merge::tree::merge_trees"),
    ("pack merged tree", "msapp_merge::source::pack::pack"),
    ("serialize + deflate merged app", "msapp_merge::app::msapp_bytes"),
    ("write workspace / output", "msapp_merge::fsio::"),
]



def strip_generics(name):
    previous = None
    while previous != name:
        previous = name
        name = re.sub(r"<[^<>]*>", "", name)
    return name


samples = []
stack = []
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        if stack:
            samples.append(stack)
        stack = []
        continue
    if line.startswith((" ", "\t")):
        parts = line.strip().split(" ", 1)
        if len(parts) == 2:
            stack.append(re.sub(r"\s+\(\S+\)$", "", parts[1]))
if stack:
    samples.append(stack)

total = len(samples)
phase_count = Counter()
hot = Counter()
leaf = Counter()
faults = Counter()
for frames in samples:
    phase = "other (process start, reading files, thread joins)"
    for name, marker in PHASES:
        if any(marker in f for f in frames):
            phase = name
            break
    phase_count[phase] += 1
    where = None
    for f in frames:
        name = re.sub(r"\+0x[0-9a-f]+$", "", f)
        if name.startswith("msapp_merge::"):
            where = strip_generics(name)
            break
        closure = re.search(r"(msapp_merge::[\w:{}#]+?)::\{closure", name)
        if closure and not name.startswith(("std::", "core::", "alloc::")):
            where = closure.group(1) + " (closure)"
            break
    if where is None:
        where = frames[0] if frames else "?"
    hot[where[:150]] += 1
    lib = re.sub(r"\+0x[0-9a-f]+$", "", frames[0]) if frames else "?"
    leaf[strip_generics(lib)[:80]] += 1
    if any("page_fault" in f for f in frames):
        faults[where[:150]] += 1

print(f"{total} samples\n\nby phase:")
for name, n in phase_count.most_common():
    print(f"  {100 * n / total:5.1f}%  {name}")
print("\ninnermost msapp_merge function (callees such as memcmp, malloc, page faults included):")
for name, n in hot.most_common(25):
    print(f"  {100 * n / total:5.1f}%  {name}")
print("\nleaf functions (where the CPU actually was):")
for name, n in leaf.most_common(15):
    print(f"  {100 * n / total:5.1f}%  {name}")
nfault = sum(faults.values())
print(f"\npage faults (the kernel zeroing fresh memory): {100 * nfault / max(total, 1):.1f}% of samples, under:")
for name, n in faults.most_common(8):
    print(f"  {100 * n / total:5.1f}%  {name}")
