#!/bin/sh
# Runs the benchmark and draws the plot: bench/results/{results.md,results.json,
# measurements.csv,growth.png}. Arguments go to the bench, e.g. `bench/run.sh --quick`
# or `bench/run.sh --runs 3 --only cloned`. Needs ../shared/corpus beside the repository.
set -eu
cd "$(dirname "$0")/.."
case " $* " in
*" --help "* | *" -h "*) exec cargo bench --locked --bench msapp -- --help ;;
esac
cargo bench --locked --bench msapp -- "$@"
if python3 -c "import matplotlib" 2>/dev/null; then
    python3 bench/plot.py
else
    echo "bench/run.sh: matplotlib missing (pip install matplotlib); tables written, plot skipped" >&2
fi
