#!/usr/bin/env bash
# Peak memory of frebscope at 100,000 traces: distinct small traces shaped as IIS writes them
# on an ARR farm, spread over 100 folders (a farm's share shape). Copies, not hard links:
# discovery reads a file reached by two links once. The shape is tests/scan_memory.rs's: one
# trace in ten an ARR front end's 502.3 with the X-ARR-LOG-ID it forwarded, one in ten the
# backend's 500 that received it, the rest 404s; each with its own URL, activity ID and log ID.
# The size of a trace does not matter (files are read in bounded windows), only their number.
#
#   benches/memory.sh [--traces N] [--out DIR] [--keep]
#
#   --traces N    traces in the tree (default 100000, about 430 MB)
#   --out DIR     where to build the tree (default: $TMPDIR/frebscope-memory-N)
#   --keep        keep the tree
#
# Measured with /usr/bin/time -v (peak resident set size): scan, scan --status 502 and
# requests --csv, each with --no-cache. The target is 64 MiB for `scan` at 100,000 traces.
set -uo pipefail

traces=100000
out=""
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --traces) traces="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet --bin frebscope || exit 1
bin="$target_dir/release/frebscope"
[ -n "$out" ] || out="${TMPDIR:-/tmp}/frebscope-memory-$traces"

if [ "$(find "$out" -name 'fr*.xml' 2>/dev/null | wc -l)" -ne "$traces" ]; then
    echo "== writing $traces traces in $out"
    rm -rf "$out"
    python3 - "$out/tree" "$traces" <<'PY' || exit 1
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
T = "987654321"  # replaced by each trace's number

def event(name, computer, data):
    return ('<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">\r\n <System>\r\n'
            '  <Provider Name="WWW Server" Guid="{3A2A4E84-4C21-4981-AE10-3FDA0D9B0F83}"/>\r\n'
            '  <EventID>0</EventID>\r\n  <Version>1</Version>\r\n  <Level>4</Level>\r\n'
            '  <Opcode>1</Opcode>\r\n  <Keywords>0x100</Keywords>\r\n'
            '  <TimeCreated SystemTime="2026-06-08T19:54:51.596Z"/>\r\n'
            '  <Correlation ActivityID="{80000006-0007-FF00-B63F-000%s}"/>\r\n'
            '  <Execution ProcessID="7120" ThreadID="2060"/>\r\n  <Computer>%s</Computer>\r\n'
            ' </System>\r\n <EventData>\r\n%s </EventData>\r\n <RenderingInfo Culture="en-US">\r\n'
            '  <Opcode>%s</Opcode>\r\n </RenderingInfo>\r\n</Event>\r\n' % (T, computer, data, name))

def data(name, value):
    return '  <Data Name="%s">%s</Data>\r\n' % (name, value)

def template(kind):
    log_id = "5c2a4e84-4c21-4981-ae10-000" + T
    if kind == 0:
        c, pool, site, pid, st, sub, mod, err, took = "ARR01", "ArrFront", 1, 5120, 502, 3, "ApplicationRequestRouting", 2147954402, 30000
        url = "http://shop.example.com:80/orders/api/cart?id=" + T
    elif kind == 1:
        c, pool, site, pid, st, sub, mod, err, took = "WEB01", "Orders", 2, 4312, 500, 0, "ManagedPipelineHandler", 0, 120
        url = "http://web01:80/orders/api/cart?id=" + T
    else:
        c, pool, site, pid, st, sub, mod, err, took = "WEB02", "Catalog", 2, 6044, 404, 0, "IIS Web Core", 2147942402, 120
        url = "http://web02:80/catalog/images/item-%s.png" % T
    ind = " " * 15
    head = ('<?xml version="1.0" encoding="UTF-8" ?>\r\n<?xml-stylesheet type=\'text/xsl\' href=\'freb.xsl\'?>\r\n'
            '<!-- saved from url=(0014)about:internet -->\r\n'
            f'<failedRequest url="{url}"\r\n{ind}siteId="{site}"\r\n{ind}appPoolId="{pool}"\r\n'
            f'{ind}processId="{pid}"\r\n{ind}verb="GET"\r\n{ind}activityId="{{80000006-0007-FF00-B63F-000{T}}}"\r\n'
            f'{ind}failureReason="STATUS_CODE"\r\n{ind}statusCode="{st}.{sub}"\r\n{ind}triggerStatusCode="{st}.{sub}"\r\n'
            f'{ind}timeTaken="{took}"\r\n{ind}xmlns:freb="http://schemas.microsoft.com/win/2006/06/iis/freb"\r\n{ind}>\r\n')
    headers = ("Accept: */*\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; "
               "Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)\r\n")
    if kind != 0:
        headers += "X-ARR-LOG-ID: " + log_id + "\r\n"
    body = event("GENERAL_REQUEST_START", c, data("SiteId", site) + data("AppPoolId", pool) + data("RequestURL", url) + data("RequestVerb", "GET"))
    body += event("GENERAL_REQUEST_HEADERS", c, data("Headers", headers))
    if kind == 0:
        body += event("GENERAL_SET_REQUEST_HEADER", c, data("HeaderName", "X-ARR-LOG-ID") + data("HeaderValue", log_id) + data("Replace", "false"))
    body += event("MODULE_SET_RESPONSE_ERROR_STATUS", c, data("ModuleName", mod) + data("Notification", 128) + data("HttpStatus", st) + data("HttpReason", "Error") + data("HttpSubStatus", sub) + data("ErrorCode", err))
    body += event("GENERAL_REQUEST_END", c, data("BytesSent", 1024) + data("BytesReceived", 512) + data("HttpStatus", st) + data("HttpSubStatus", sub))
    return head + body + "</failedRequest>"

templates = [template(k) for k in range(10)]
per = (n + 99) // 100
for i in range(n):
    d = os.path.join(top, "SRV%02d" % (i // per), "W3SVC2")
    if i % per == 0:
        os.makedirs(d, exist_ok=True)
    kind = i % 10
    number = i - 1 if kind == 1 else i  # the backend received its front end's log ID
    with open(os.path.join(d, "fr%06d.xml" % (i % per)), "w", newline="") as f:
        f.write(templates[kind].replace(T, "%09d" % number))
PY
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
echo "$traces traces, peak resident memory and wall time:"
peak "scan" scan "$out"
peak "scan --status 502" scan "$out" --status 502
peak "requests --csv" requests "$out" --csv -
[ "$keep" -eq 1 ] || rm -rf "$out"
