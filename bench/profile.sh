#!/bin/sh
# Where merge time goes: records one merge under perf with call graphs and prints the
# time per phase and the hottest functions (bench/perf_summary.py).
# Usage: bench/profile.sh BASE OURS THEIRS   (for example the inputs the bench keeps with
# MSAPP_BENCH_KEEP=1: /tmp/msapp-bench-*/base.msapp ours-1.msapp theirs-1.msapp)
set -eu
[ $# -eq 3 ] || { echo "usage: bench/profile.sh BASE OURS THEIRS" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
# The release profile keeps line tables, enough for perf to name inlined frames.
(cd "$root" && cargo build --locked --release --bin msapp-merge)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
perf record -F 199 --call-graph dwarf,32768 -o "$work/perf.data" -- \
    "$root/target/release/msapp-merge" merge "$1" "$2" "$3" -o "$work/merged.msapp" >/dev/null
perf script -i "$work/perf.data" 2>/dev/null | python3 "$root/bench/perf_summary.py"
