#!/usr/bin/env bash
# The test suite as a Windows program: builds it for x86_64-pc-windows-gnu with MinGW-w64, runs
# it under Wine in a fresh prefix, with a test share at \\ci\logs$, then builds the release zip
# and runs its frebscope.exe. Called by .ci/run; runs alone too (bash .ci/windows/run.sh).
#
# Fails when a test fails. Prints SKIPPED, and succeeds, only when Wine or the Windows target
# cannot be installed on this machine at all.
#
# Writes the Windows test counts to $CARGO_TARGET_DIR/ci-windows-summary.txt, for CI's closing
# lines.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=x86_64-pc-windows-gnu
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")
summary="$target_dir/ci-windows-summary.txt"
mkdir -p "$target_dir"
rm -f "$summary"

# CPU seconds of the programs this script waited for (wineserver, started apart, is not
# counted): on a loaded machine they say more than the elapsed time does. `times` runs in this
# shell, not in a $(...) subshell, which would report its own.
cpu_file=$(mktemp)
trap 'rm -f "$cpu_file"' EXIT
step() {
    times >"$cpu_file"
    printf '\n== %s  [%d s, CPU %s s]\n' "$*" "$SECONDS" "$(awk 'NR == 2 {
        for (i = 1; i <= 2; i++) { split($i, t, "m"); total += t[1] * 60 + t[2] }
        printf "%d", total
    }' "$cpu_file")"
}
skip() {
    echo "SKIPPED: $*" | tee "$summary"
    exit 0
}

step "Windows: MinGW-w64 and Wine"
apt_packages=(gcc-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 wine wine64 zip unzip)
have_tools() {
    command -v x86_64-w64-mingw32-gcc && command -v wine && command -v wineboot \
        && command -v wineserver && command -v zip && command -v unzip
}
if ! have_tools >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        skip "Wine and MinGW-w64 are not installed, and this is not a Debian machine run as root"
    fi
    # Another apt run may hold the lock for a while: wait for it rather than fail.
    export DEBIAN_FRONTEND=noninteractive
    apt_log="$target_dir/ci-windows-apt.log"
    if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq \
        && apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
            "${apt_packages[@]}"; } >"$apt_log" 2>&1; then
        tail -n 20 "$apt_log" >&2
        skip "apt-get could not install ${apt_packages[*]} (log: $apt_log)"
    fi
fi
if ! rustup target list --installed 2>/dev/null | grep -qx "$target" \
    && ! rustup target add "$target"; then
    skip "the $target standard library could not be installed (rustup target add $target)"
fi
wine --version
x86_64-w64-mingw32-gcc --version | head -n 1

step "Windows: a fresh Wine prefix"
export WINEPREFIX="$target_dir/wine/prefix"
export WINEDEBUG=-all
export WINEARCH=win64
# No Mono or Gecko installer dialogs: nothing here needs .NET or a browser engine.
export WINEDLLOVERRIDES="mscoree,mshtml="
# Whatever happens next, no Wine process outlives this script.
trap 'wineserver -k >/dev/null 2>&1 || true; rm -f "$cpu_file"' EXIT
rm -rf "$WINEPREFIX"
mkdir -p "$WINEPREFIX"
wineboot -i >/dev/null 2>&1
# One server for the whole run: left to itself it exits a few seconds after its last program,
# and a test binary starting just then loses it ("recvmsg: Connection reset by peer").
wineserver -w
wineserver -p </dev/null >/dev/null 2>&1
# The first program under a new server also starts Wine's own services (winedevice.exe and the
# like), which live as long as the server and keep whatever standard output they were handed.
# Start them here, on /dev/null: handed a pipe, they would hold it open and whoever reads it
# (tee, $(...), CI itself) would wait for its end until the server is killed.
wine cmd /c exit </dev/null >/dev/null 2>&1
system32="$WINEPREFIX/drive_c/windows/system32"
# Rust's standard library (1.78 and later) imports ProcessPrng from bcryptprimitives.dll, which
# Wine ships from 8.13 on. For an older Wine, a stand-in built from .ci/windows.
if [ -e "$system32/bcryptprimitives.dll" ]; then
    echo "bcryptprimitives.dll: Wine's own"
else
    x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -shared -s -nostdlib -e DllMain \
        -o "$system32/bcryptprimitives.dll" \
        .ci/windows/bcryptprimitives.c .ci/windows/bcryptprimitives.def -ladvapi32
    echo "bcryptprimitives.dll: stand-in from .ci/windows/bcryptprimitives.c (this Wine lacks it)"
fi

step 'Windows: test share \\ci\logs$'
# Wine serves \\server\share\... from dosdevices/unc/server/share.
share="$target_dir/wine/share-logs"
rm -rf "$share"
mkdir -p "$share" "$WINEPREFIX/dosdevices/unc/ci"
cp -R samples/. "$share/"
ln -s "$share" "$WINEPREFIX/dosdevices/unc/ci/logs\$"
echo "\\\\ci\\logs\$ -> $share ($(find "$share" -name 'fr*.xml' | wc -l) traces in a copy of samples/)"
export FREBSCOPE_TEST_SHARE='\\ci\logs$'
# The share tests skip when the share is missing; here that is a failure.
export FREBSCOPE_REQUIRE_SHARE=1

step "Windows: cargo test --no-run ($target)"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
# The same static C runtime as the release build, so the tests run what users run; warnings in
# code only Windows compiles are errors, as clippy makes them for the rest.
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS="-C target-feature=+crt-static -D warnings"
# No debug information in the test programs: with it, the linker writes some 35 statically
# linked test programs of about 60 MB each (2 GB), and nothing here reads it (a failing test
# prints its message and line without it).
export CARGO_PROFILE_DEV_DEBUG=0
test_args=(--locked --no-fail-fast --target "$target" --workspace --exclude xtask)
build_log="$target_dir/ci-windows-build.log"
started=$SECONDS
# xtask generates the man page and completions on the build machine: not a Windows program.
if ! cargo test "${test_args[@]}" --no-run </dev/null >"$build_log" 2>&1; then
    cat "$build_log"
    echo "the Windows tests did not build; the log is $build_log" | tee "$summary" >&2
    exit 1
fi
tail -n 1 "$build_log"
build_seconds=$((SECONDS - started))

step "Windows: cargo test under Wine ($target)"
log="$target_dir/ci-windows-test.log"
# The suite writes to a file, not through a pipe (a Wine process that outlives its test would
# hold a pipe open), and is printed when it ends. A hung test ends the run after 25 minutes
# instead of holding CI until its own limit.
windows_tests() {
    local status=0
    timeout --kill-after=30 1500 cargo test "${test_args[@]}" </dev/null >"$log" 2>&1 \
        || status=$?
    cat "$log"
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        echo "the Windows tests did not end within 25 minutes (exit $status)" | tee -a "$summary" >&2
    fi
    return "$status"
}
status=0
started=$SECONDS
windows_tests || status=$?
# Wine 8.0 now and then fails to start a process (Windows error 1359, "wine client error"):
# a fault of the emulator, not of the tests. Only then is the suite run once more; any other
# failure stands, and so does a second failure.
if [ "$status" != 0 ] && grep -qE 'os error 1359|wine client error' "$log"; then
    echo "Wine failed to start a process; running the Windows tests once more" | tee -a "$summary"
    status=0
    windows_tests || status=$?
fi
test_seconds=$((SECONDS - started))
counts=$(awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) ~ /^passed/) p += $i
            if ($(i + 1) ~ /^failed/) f += $i
            if ($(i + 1) ~ /^ignored/) g += $i
        }
        n++
    }
    END { printf "%d passed, %d failed, %d ignored, in %d test runs", p, f, g, n }' "$log")
echo "Windows tests under Wine: $counts (build: $build_seconds s, run: $test_seconds s)" \
    | tee "$summary"
if [ "$status" != 0 ]; then
    echo "Windows tests failed (exit $status); the log is $log" | tee -a "$summary" >&2
    exit "$status"
fi

step "Windows: release zip, run under Wine"
started=$SECONDS
scripts/build-windows-zip.sh | tee "$target_dir/ci-windows-zip.log"
zip_path=$(realpath "$(tail -n 1 "$target_dir/ci-windows-zip.log")")
unpacked="$target_dir/wine/zip"
rm -rf "$unpacked"
mkdir -p "$unpacked"
unzip -q "$zip_path" -d "$unpacked"
exe=$(find "$unpacked" -name frebscope.exe)
# Through a file, not $(...): see the note on Wine's services above.
wine "$exe" --version </dev/null >"$target_dir/ci-windows-version.txt"
version_line=$(tr -d '\r' <"$target_dir/ci-windows-version.txt")
echo "$version_line"
expected="frebscope $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
if [ "$version_line" != "$expected" ]; then
    echo "frebscope.exe --version printed '$version_line', not '$expected'" >&2
    exit 1
fi
scan_out="$target_dir/ci-windows-scan.txt"
wine "$exe" scan 'samples\' --no-progress </dev/null >"$scan_out"
head -n 3 "$scan_out"
if ! grep -q "WEB01" "$scan_out"; then
    echo "frebscope.exe scan samples\\ did not name WEB01; output in $scan_out" >&2
    exit 1
fi
echo "$(basename "$zip_path"): frebscope.exe --version and scan samples\\ ran under Wine" \
    "(build and run: $((SECONDS - started)) s); the Windows step took $SECONDS s" | tee -a "$summary"
