#!/usr/bin/env bash
# Peak memory of frebscope at 100,000 traces: hard links of a few generated traces, spread
# over 100 folders (a farm's share shape), so the tree costs no disk space.
#
#   benches/memory.sh [--traces N] [--distinct N] [--out DIR] [--keep]
#
#   --traces N    traces in the tree (default 100000)
#   --distinct N  distinct generated traces the links point to (default 50)
#   --out DIR     where to build the tree (default: $TMPDIR/frebscope-memory-N)
#   --keep        keep the tree
#
# Measured with /usr/bin/time -v (peak resident set size): scan, scan --status 502 and
# requests --csv, each with --no-cache. The target is 64 MiB for 100,000 traces.
set -uo pipefail

traces=100000
distinct=50
out=""
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --traces) traces="$2"; shift 2 ;;
        --distinct) distinct="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet --bin frebscope --bin gen_corpus || exit 1
bin="$target_dir/release/frebscope"
[ -n "$out" ] || out="${TMPDIR:-/tmp}/frebscope-memory-$traces"

if [ "$(find "$out" -name 'fr*.xml' 2>/dev/null | wc -l)" -ne "$traces" ]; then
    echo "== building $traces links to $distinct generated traces in $out"
    rm -rf "$out"
    mkdir -p "$out/src"
    "$target_dir/release/gen_corpus" --out "$out/src" --traces "$distinct" --seed 7 >/dev/null || exit 1
    mapfile -t sources < <(find "$out/src" -name 'fr*.xml' | sort)
    per_dir=$(( (traces + 99) / 100 ))
    n=0
    while [ "$n" -lt "$traces" ]; do
        dir="$out/tree/SRV$(( n / per_dir ))/W3SVC1"
        mkdir -p "$dir"
        ln "${sources[$(( n % ${#sources[@]} ))]}" "$dir/fr$(printf '%06d' $(( n % per_dir ))).xml"
        n=$(( n + 1 ))
    done
    # The sources are links too now; leave only the tree to scan.
    rm -rf "$out/src"
fi
echo "== warming the page cache"
find "$out" -name 'fr*.xml' -print0 | xargs -0 cat >/dev/null 2>&1

peak() { # peak NAME ARGS...: peak RSS in MiB and wall time of one run
    local name="$1"; shift
    local t; t="$(mktemp)"
    /usr/bin/time -v -o "$t" "$bin" "$@" --no-cache --no-progress >/dev/null 2>&1
    printf '%-22s %8.1f MiB %8s\n' "$name" \
        "$(awk '/Maximum resident set size/ {print $NF/1024}' "$t")" \
        "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t")"
    rm -f "$t"
}
echo "$traces traces ($distinct distinct), peak resident memory and wall time:"
peak "scan" scan "$out"
peak "scan --status 502" scan "$out" --status 502
peak "requests --csv" requests "$out" --csv -
[ "$keep" -eq 1 ] || rm -rf "$out"
