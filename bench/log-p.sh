#!/bin/sh
# What `git log -p` costs on an app's history: VERSIONS commits of an app, each with one formula
# changed on a screen (a different screen each time), shown by `git log -p` without textconv's
# store of renderings, then with it (its first run fills the store, the second finds it
# full). git's own textconv cache is off for those, so every version is rendered; the last
# figure is git with its own cache filled, which runs no textconv at all (git's part alone).
# Usage: bench/log-p.sh [APP.msapp] [VERSIONS]
set -eu
case "${1:-}" in
-h | --help)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
app="${1:-$root/../shared/corpus/apps/EmptyLocalDBRefsHashMismatchProperties.msapp}"
versions="${2:-10}"
(cd "$root" && cargo build --locked --release --bin msapp-merge >/dev/null 2>&1)
bin="$root/target/release/msapp-merge"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
git init -q "$repo"
cd "$repo"
git config user.name bench
git config user.email bench@example.invalid
git config commit.gpgsign false
"$bin" install --local >/dev/null
"$bin" unpack "$app" "$work/tree" >/dev/null 2>&1
screens="$(cd "$work/tree/Src" && ls ./*.fx.yaml | grep -v '^./App.fx.yaml$' || true)"
count="$(printf '%s\n' "$screens" | grep -c . || true)"
[ "$count" -gt 0 ] || { echo "no screens in $app" >&2; exit 2; }
i=0
while [ "$i" -lt "$versions" ]; do
    if [ "$i" -gt 0 ]; then
        pick=$(( (i - 1) % count + 1 ))
        file="$work/tree/Src/$(printf '%s\n' "$screens" | sed -n "${pick}p")"
        # The first X formula of the screen moves one pixel further.
        sed -i '0,/^\( *\)X: =\(.*\)$/s//\1X: =\2 + 1/' "$file"
    fi
    "$bin" pack "$work/tree" App.msapp >/dev/null
    git add App.msapp
    git commit -q -m "version $i"
    i=$((i + 1))
done
log() {
    /usr/bin/time -f "%e s" git -c diff.msapp.cachetextconv="${cache:-false}" \
        log -p --format=%h -- App.msapp 2>&1 >"$work/out-$1.txt" | tail -1
}
echo "$(basename "$app"), $versions versions, git log -p:"
printf '  without the store:            %s\n' "$(MSAPP_MERGE_NO_CACHE=1 log fresh)"
printf '  with the store, first run:    %s\n' "$(log first)"
printf '  with the store, again:        %s\n' "$(log again)"
cache=true log notes >/dev/null
printf "  git's own cache, no rendering: %s\n" "$(cache=true log notes)"
cmp -s "$work/out-fresh.txt" "$work/out-first.txt" && cmp -s "$work/out-fresh.txt" "$work/out-again.txt" \
    && echo "  (the three outputs are identical)" || { echo "  the outputs differ!" >&2; exit 1; }
printf '  store: %s\n' "$(du -sh .git/msapp-merge/textconv | cut -f1)"
