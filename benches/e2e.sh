#!/usr/bin/env bash
# End-to-end benchmark: frebscope against plain file reading and a Python ElementTree peer,
# on a generated share of at least 1 GB / 4,000 traces, page cache warm, in one run.
#
#   benches/e2e.sh [--traces N] [--out DIR] [--keep] [--runs N] [--peer-runs N]
#
#   --traces N     traces to generate (default 4500, about 1.1 GB)
#   --out DIR      corpus directory (default: $TMPDIR/frebscope-e2e-N); reused when it already
#                  holds N traces
#   --keep         keep a corpus this script created (default: delete it at the end)
#   --runs N       runs of read, scan and scan502, taken in turn (default 5)
#   --peer-runs N  runs of the peer (default 3)
#
# Each command runs several times and its median wall time counts: on a shared machine one run
# can be off by a third either way. Peak memory is the largest of the runs (/usr/bin/time -v,
# when available). Measured:
#   read   find DIR -name 'fr*.xml' -print0 | xargs -0 -P2 cat >/dev/null
#          (the floor: reading every byte with two readers, no parsing)
#   readrs benches/readfloor DIR: the same read as frebscope reads (256 KiB reads, two
#          threads, no processes or pipes), counting `<`: the tight floor
#   mmap   benches/readfloor DIR --mmap: the same through memory maps
#   scan   target/release/frebscope scan DIR
#   scan502  target/release/frebscope scan DIR --status 502
#   peer   python3 ../shared/bench/peer_etree.py DIR   (only when that file exists)
#   lxml   $PYTHON ../shared/bench/peer_lxml.py DIR    (only when $PYTHON, default python3,
#          imports lxml: `python3 -m venv /tmp/v && /tmp/v/bin/pip install lxml`, then
#          PYTHON=/tmp/v/bin/python benches/e2e.sh)
set -uo pipefail

traces=4500
out=""
keep=0
runs=5
peer_runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        --traces) traces="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        --runs) runs="$2"; shift 2 ;;
        --peer-runs) peer_runs="$2"; shift 2 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/release/frebscope"
peer="$root/../shared/bench/peer_etree.py"
peer_lxml="$root/../shared/bench/peer_lxml.py"
python="${PYTHON:-python3}"
[ -n "$out" ] || out="${TMPDIR:-/tmp}/frebscope-e2e-$traces"

echo "== build (release)"
cargo build --release --quiet --bin frebscope --bin gen_corpus || { echo "build failed" >&2; exit 1; }
gen="$target_dir/release/gen_corpus"
# The tight floor is a crate of its own (benches/readfloor, like benches/slowfs); without it,
# only the cat floor is measured.
floor_bin="$root/benches/readfloor/target/release/readfloor"
if ! cargo build --release --quiet --manifest-path "$root/benches/readfloor/Cargo.toml"; then
    echo "   note: benches/readfloor did not build: measuring the cat floor only" >&2
    floor_bin=""
fi

count_files() { find "$1" -name 'fr*.xml' -type f 2>/dev/null | wc -l; }

created=0
if [ -d "$out" ] && [ "$(count_files "$out")" -eq "$traces" ]; then
    echo "== reusing corpus $out"
else
    echo "== generating $traces traces into $out"
    rm -rf "$out"
    "$gen" --out "$out" --traces "$traces" --seed 1 || { echo "corpus generation failed" >&2; exit 1; }
    created=1
fi
files=$(count_files "$out")
bytes=$(find "$out" -name 'fr*.xml' -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
mib=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b/1048576}')
echo "   $files files, $mib MiB"
if [ "$files" -lt 4000 ] || [ "$bytes" -lt 1000000000 ]; then
    echo "   note: below the 1 GB / 4,000-trace size this benchmark is meant for" >&2
fi

echo "== warming the page cache"
find "$out" -name 'fr*.xml' -print0 | xargs -0 -P2 cat >/dev/null

have_time_v=0
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then have_time_v=1; fi

logdir="$(mktemp -d)"
declare -A walls secs rss status
# run NAME CMD...: times one run of CMD (output to $logdir/NAME.out), adds its wall time to
# walls[NAME], keeps the largest peak RSS in rss[NAME] and the worst exit status.
run() {
    local name="$1"; shift
    local tfile="$logdir/$name.time" start end code
    start=$(date +%s.%N)
    if [ "$have_time_v" -eq 1 ]; then
        /usr/bin/time -v -o "$tfile" "$@" >"$logdir/$name.out" 2>"$logdir/$name.err"
        code=$?
    else
        "$@" >"$logdir/$name.out" 2>"$logdir/$name.err"
        code=$?
    fi
    end=$(date +%s.%N)
    walls[$name]="${walls[$name]:-} $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.4f", b-a}')"
    if [ "$have_time_v" -eq 1 ]; then
        local kib
        kib=$(awk '/Maximum resident set size/ {print $NF}' "$tfile")
        rss[$name]=$(awk -v a="${rss[$name]:-0}" -v k="$kib" 'BEGIN {m=k/1024; printf "%.1f", (m>a)?m:a}')
    else
        rss[$name]="n/a"
    fi
    if [ "$code" -ne 0 ]; then
        status[$name]=$code
        echo "   $name: exit status $code; last lines of stderr:"
        tail -n 5 "$logdir/$name.err" | sed 's/^/   | /'
    else
        status[$name]=${status[$name]:-0}
    fi
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END {if (NR==0) exit; if (NR%2) printf "%.3f", v[(NR+1)/2]; else printf "%.3f", (v[NR/2]+v[NR/2+1])/2}'; }

echo "== read: find | xargs -P2 cat;  readrs, mmap: benches/readfloor DIR [--mmap];  scan: $bin scan DIR;  scan502: the same with --status 502"
echo "   $runs runs each, in turn"
have_bin=0
[ -x "$bin" ] && have_bin=1 || echo "== $bin missing: skipping scan"
for _ in $(seq "$runs"); do
    run read bash -c "find '$out' -name 'fr*.xml' -print0 | xargs -0 -P2 cat >/dev/null"
    if [ -n "$floor_bin" ]; then
        run readrs "$floor_bin" "$out"
        run mmap "$floor_bin" "$out" --mmap
    fi
    if [ "$have_bin" -eq 1 ]; then
        run scan "$bin" scan "$out" --no-cache
        run scan502 "$bin" scan "$out" --status 502 --no-cache
    fi
done
if [ -f "$peer" ] && command -v python3 >/dev/null 2>&1; then
    echo "== peer: python3 $peer DIR, $peer_runs runs"
    for _ in $(seq "$peer_runs"); do
        run peer python3 "$peer" "$out"
    done
else
    echo "== peer script $peer not found: skipping"
fi
if [ -f "$peer_lxml" ] && "$python" -c 'import lxml' 2>/dev/null; then
    echo "== lxml peer: $python $peer_lxml DIR, $peer_runs runs"
    for _ in $(seq "$peer_runs"); do
        run lxml "$python" "$peer_lxml" "$out"
    done
else
    echo "== lxml peer skipped: $python cannot import lxml (set PYTHON to one that can)"
fi
for name in "${!walls[@]}"; do
    secs[$name]=$(echo "${walls[$name]}" | median)
done

echo
echo "Corpus: $files files, $mib MiB ($out)"
printf '%-9s %9s %10s %11s  %-5s %s\n' "run" "median s" "MB/s" "peak MiB" "exit" "every run (s)"
for name in read readrs mmap scan scan502 peer lxml; do
    [ -n "${secs[$name]:-}" ] || continue
    mbs=$(awk -v b="$bytes" -v s="${secs[$name]}" 'BEGIN {if (s>0) printf "%.0f", b/1e6/s; else print "-"}')
    all=$(echo "${walls[$name]}" | awk '{for (i=1;i<=NF;i++) printf "%s%.3f", (i>1?" ":""), $i}')
    printf '%-9s %9s %10s %11s  %-5s %s\n' "$name" "${secs[$name]}" "$mbs" "${rss[$name]}" "${status[$name]}" "$all"
done
ratio() { # ratio A B: A's time over B's
    if [ -n "${secs[$1]:-}" ] && [ -n "${secs[$2]:-}" ]; then
        awk -v a="${secs[$1]}" -v b="${secs[$2]}" 'BEGIN {if (a>0) printf "%.2f", b/a; else print "-"}'
    fi
}
echo
[ -n "$(ratio scan peer)" ] && echo "peer / scan time:        $(ratio scan peer)x  (how much faster frebscope is than the peer)"
[ -n "$(ratio scan lxml)" ] && echo "lxml / scan time:        $(ratio scan lxml)x  (how much faster frebscope is than the lxml peer)"
[ -n "$(ratio read scan)" ] && echo "scan / read time:        $(ratio read scan)x  (cost of scanning over just reading)"
[ -n "$(ratio readrs scan)" ] && echo "scan / readrs time:      $(ratio readrs scan)x  (the same, against the tight floor)"
[ -n "$(ratio readrs mmap)" ] && echo "mmap / readrs time:      $(ratio readrs mmap)x  (what mapping the files costs over reading them)"
[ -n "$(ratio scan502 scan)" ] && echo "scan / scan --status 502: $(ratio scan502 scan)x  (what the status filter saves)"

for name in scan scan502; do
    if [ -n "${secs[$name]:-}" ] && awk -v s="${secs[$name]}" 'BEGIN {exit !(s < 0.01)}'; then
        echo "note: $name took a median ${secs[$name]} s with $(wc -c <"$logdir/$name.out") bytes of output: this build's scan did no real work" >&2
    fi
done
for name in scan scan502 peer lxml; do
    if [ -n "${status[$name]:-}" ] && [ "${status[$name]}" -ne 0 ]; then
        echo "note: $name exited with ${status[$name]}; its time is not a valid measurement" >&2
    fi
done
rm -rf "$logdir"
if [ "$created" -eq 1 ] && [ "$keep" -eq 0 ]; then
    rm -rf "$out"
fi
