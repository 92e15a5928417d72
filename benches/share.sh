#!/usr/bin/env bash
# frebscope over a simulated file share: a FUSE file system (benches/slowfs) that adds a
# network round trip to every metadata call, open and read, and serialises reads over a link
# of given bandwidth, as an SMB share does. Linux only; needs /dev/fuse and fusermount3
# (Debian: apt-get install fuse3).
#
#   benches/share.sh [--traces N] [--out DIR] [--rtt "1 10"] [--mbps 110] [--threads "LIST"]
#                    [--runs N] [--keep]
#
#   --traces N     traces to generate (default 1200, about 290 MB)
#   --out DIR      corpus directory (default: $TMPDIR/frebscope-share-N), reused when it holds N
#   --rtt LIST     round trips to measure, in milliseconds (default "1 10")
#   --mbps N       link bandwidth in megabytes per second (default 110: 1 GbE)
#   --threads LIST frebscope --threads values to measure (default: frebscope's own default)
#   --runs N       runs of each command; the median counts (default 3)
#   --keep         keep a corpus this script created
#
# For each round trip and thread count, three runs are measured against their floor:
#   scan       frebscope scan SHARE: must move every byte; floor = bytes / bandwidth, or the
#              round trips it must make (per folder: lookup, open, one per 512 entries; per
#              trace: lookup, open, one per MiB read) / requests in flight, whichever is more
#   scan502    frebscope scan SHARE --status 502: must move the 502 traces whole and, of every
#              other trace, its head up to the request headers (X-ARR-LOG-ID links front ends
#              to backends); round trips: lookup, open and one read per rejected trace
#   rescan     frebscope scan SHARE again with a warm --cache: must list the folders and look
#              at each trace's size and time (one round trip each here; none on SMB, where the
#              listing carries them)
# Requests in flight are frebscope's reader threads. Bytes and round trips moved are read
# from the file system's own counters; --stats of the last run of each is printed.
set -uo pipefail

traces=1200
out=""
rtts="1 10"
mbps=110
threads_list=""
runs=3
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --traces) traces="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --rtt) rtts="$2"; shift 2 ;;
        --mbps) mbps="$2"; shift 2 ;;
        --threads) threads_list="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null 2>&1; then
    echo "share.sh needs /dev/fuse and fusermount3 (apt-get install fuse3)" >&2
    exit 1
fi
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/release/frebscope"
echo "== build (release): frebscope, gen_corpus, slowfs"
cargo build --release --quiet --bin frebscope --bin gen_corpus || exit 1
cargo build --release --quiet --manifest-path benches/slowfs/Cargo.toml || exit 1
slowfs="$root/benches/slowfs/target/release/slowfs"
gen="$target_dir/release/gen_corpus"

[ -n "$out" ] || out="${TMPDIR:-/tmp}/frebscope-share-$traces"
count_files() { find "$1" -name 'fr*.xml' -type f 2>/dev/null | wc -l; }
created=0
if [ -d "$out" ] && [ "$(count_files "$out")" -eq "$traces" ]; then
    echo "== reusing corpus $out"
else
    echo "== generating $traces traces into $out"
    rm -rf "$out"
    "$gen" --out "$out" --traces "$traces" --seed 1 >/dev/null || exit 1
    created=1
fi

# What the floors are made of, from the corpus itself.
read -r files dirs bytes bytes502 reads_full reads502 dir_pages <<<"$(python3 - "$out" <<'PY'
import os, re, sys
top = sys.argv[1]
files = dirs = total = need502 = reads_full = reads502 = pages = 0
MIB = 1 << 20
for d, subdirs, names in os.walk(top):
    dirs += 1
    pages += max(1, -(-(len(subdirs) + len(names) + 2) // 512))
    for n in names:
        if not (n.lower().startswith("fr") and n.lower().endswith(".xml")):
            continue
        data = open(os.path.join(d, n), "rb").read()
        files += 1
        total += len(data)
        reads_full += max(1, -(-len(data) // MIB))
        m = re.search(rb'statusCode="(\d+)', data[:8192])
        if m and m.group(1) == b"502":
            need502 += len(data)
            reads502 += max(1, -(-len(data) // MIB))
        else:
            at = data.find(b"GENERAL_REQUEST_HEADERS")
            end = data.find(b"</Event>", at) + 8 if at >= 0 else data.find(b"</Event>") + 8
            need502 += end if end > 8 else min(len(data), 65536)
            reads502 += 1
print(files, dirs, total, need502, reads_full, reads502, pages)
PY
)"
echo "   $files traces in $dirs folders, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b/1e6}') MB"

mnt="$(mktemp -d)"
cache="$(mktemp -d)"
logdir="$(mktemp -d)"
slowfs_pid=""
cleanup() {
    if mountpoint -q "$mnt" 2>/dev/null; then fusermount3 -u "$mnt" 2>/dev/null; fi
    [ -n "$slowfs_pid" ] && wait "$slowfs_pid" 2>/dev/null
    rmdir "$mnt" 2>/dev/null
    rm -rf "$cache" "$logdir"
    if [ "$created" -eq 1 ] && [ "$keep" -eq 0 ]; then rm -rf "$out"; fi
}
trap cleanup EXIT

mount_share() {
    "$slowfs" "$out" "$mnt" --rtt-ms "$1" --mbps "$mbps" --threads 256 &
    slowfs_pid=$!
    for _ in $(seq 100); do
        [ -e "$mnt/.slowfs-stats" ] && return 0
        sleep 0.1
    done
    echo "slowfs did not mount" >&2
    exit 1
}
unmount_share() {
    fusermount3 -u "$mnt"
    wait "$slowfs_pid" 2>/dev/null
    slowfs_pid=""
}
counter() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$mnt/.slowfs-stats" "$1"; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END {if (NR%2) printf "%.3f", v[(NR+1)/2]; else printf "%.3f", (v[NR/2]+v[NR/2+1])/2}'; }

# measure NAME CMD...: runs CMD $runs times, prints median wall time, MB and round trips per
# run (from the share's counters), and keeps the last run's stderr for its --stats.
measure() {
    local name="$1"; shift
    local walls="" trips0 bytes0 start end trips=0 moved=0
    for _ in $(seq "$runs"); do
        [ "$name" = rescan ] && "$@" >/dev/null 2>&1   # warms the cache
        trips0=$(counter round_trips); bytes0=$(counter bytes)
        start=$(date +%s.%N)
        "$@" >"$logdir/$name.out" 2>"$logdir/$name.err"
        end=$(date +%s.%N)
        walls="$walls $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.4f", b-a}')"
        trips=$(( $(counter round_trips) - trips0 ))
        moved=$(( $(counter bytes) - bytes0 ))
    done
    echo "$(echo "$walls" | median) $moved $trips"
}

has_cache=0
"$bin" scan --help | grep -q -- '--cache' && has_cache=1
[ -n "$threads_list" ] || threads_list="default"

results="$logdir/results"
: >"$results"
for rtt in $rtts; do
    echo "== share: round trip $rtt ms, $mbps MB/s"
    mount_share "$rtt"
    for t in $threads_list; do
        jflag=()
        [ "$t" = default ] || jflag=(--threads "$t")
        cacheflag=()
        [ "$has_cache" -eq 1 ] && cacheflag=(--no-cache)
        read -r s b r <<<"$(measure scan "$bin" scan "$mnt" --stats --no-progress "${cacheflag[@]}" "${jflag[@]}")"
        stats_scan="$(sed -n '/frebscope stats/,$p' "$logdir/scan.err")"
        # The threads the run used: frebscope's default depends on where the traces are, and
        # the mount is a FUSE file system, which it takes for a share.
        n=$(echo "$stats_scan" | awk '/threads/ {print $2}')
        [ -n "$n" ] || n="$t"
        echo "$rtt $n scan $s $b $r" >>"$results"
        read -r s b r <<<"$(measure scan502 "$bin" scan "$mnt" --status 502 --stats --no-progress "${cacheflag[@]}" "${jflag[@]}")"
        echo "$rtt $n scan502 $s $b $r" >>"$results"
        stats_502="$(sed -n '/frebscope stats/,$p' "$logdir/scan502.err")"
        if [ "$has_cache" -eq 1 ]; then
            rm -rf "${cache:?}"/*
            read -r s b r <<<"$(measure rescan "$bin" scan "$mnt" --stats --no-progress --cache "$cache" "${jflag[@]}")"
            echo "$rtt $n rescan $s $b $r" >>"$results"
            if ! cmp -s "$logdir/scan.out" "$logdir/rescan.out"; then
                # The elapsed time differs; everything else must not.
                if ! diff <(sed -E 's/ · [0-9.]+ s$//; /"elapsed"/d' "$logdir/scan.out") \
                          <(sed -E 's/ · [0-9.]+ s$//; /"elapsed"/d' "$logdir/rescan.out") >/dev/null; then
                    echo "   note: the rescan's report differs from the scan's" >&2
                fi
            fi
        fi
        echo "   threads $n: --stats of the last full scan:"; echo "$stats_scan" | sed 's/^/   | /'
        echo "   threads $n: --stats of the last --status 502 scan:"; echo "$stats_502" | sed 's/^/   | /'
    done
    unmount_share
done

echo
echo "Share: $files traces, $dirs folders, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b/1e6}') MB; link $mbps MB/s; median of $runs runs"
printf '%-4s %-7s %-8s %8s %8s %6s %9s %9s %9s\n' rtt threads run "median" floor ratio "MB moved" "trips" "trips/tr"
while read -r rtt n name s b r; do
    case "$name" in
        scan) need=$bytes; must=$(( dir_pages + 2 * dirs + 2 * files + reads_full )) ;;
        scan502) need=$bytes502; must=$(( dir_pages + 2 * dirs + 2 * files + reads502 )) ;;
        rescan) need=0; must=$(( dir_pages + 2 * dirs + files )) ;;
    esac
    floor=$(awk -v b="$need" -v bw="$mbps" -v m="$must" -v rtt="$rtt" -v n="$n" \
        'BEGIN {x=b/(bw*1e6); y=m*rtt/1000/n; printf "%.3f", (x>y)?x:y}')
    printf '%-4s %-7s %-8s %8s %8s %6s %9s %9s %9s\n' "${rtt}ms" "$n" "$name" "$s" "$floor" \
        "$(awk -v s="$s" -v f="$floor" 'BEGIN {printf "%.2f", (f>0)?s/f:0}')" \
        "$(awk -v b="$b" 'BEGIN {printf "%.1f", b/1e6}')" "$r" \
        "$(awk -v r="$r" -v f="$files" 'BEGIN {printf "%.2f", r/f}')"
done <"$results"
