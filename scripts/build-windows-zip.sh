#!/usr/bin/env bash
# Builds the Windows release: target/dist/frebscope-<version>-x86_64-pc-windows-gnu.zip, holding
# frebscope.exe, README.md, LICENSE-MIT and LICENSE-APACHE in one folder.
#
# The executable is linked statically (`+crt-static`: no libgcc or libwinpthread DLL beside it),
# so it runs on a bare Windows Server 2016 or later; the script refuses to package it if it
# imports anything but Windows' own DLLs.
#
# The zip is the same to the byte from one build of a commit to the next, wherever it is built
# with the same Rust and MinGW-w64: no build path and no link time reach the executable, and the
# zip's file times are the commit's. The one random input was the temporary folder in which
# rustc has dlltool make the import libraries of raw-dylib imports (the standard library, and
# windows-sys through windows-link, import that way): dlltool names a library's symbols after
# the path it is given (`_head__tmp_rustcAbC123_kernel32_dll_imports_lib`), those names reach
# the rlibs and the executable, and the linker orders the import tables by them. While this
# script builds, scripts/dlltool/x86_64-w64-mingw32-dlltool stands in for dlltool and hands it
# paths relative to that folder, so the names no longer depend on it. And GNU ld orders the
# import tables by the paths of the archives they come from, so the executable depended on
# where the build folder and the Rust toolchain are: scripts/mingw-link/x86_64-w64-mingw32-gcc,
# the linker here, hands ld those paths relative to the build folder. Check it with two builds
# from nothing, in two folders:
#   for d in /tmp/zip-a /tmp/zip-b; do CARGO_TARGET_DIR=$d scripts/build-windows-zip.sh; done
#   cmp /tmp/zip-a/dist/*.zip /tmp/zip-b/dist/*.zip
#
# Needs: rustup or the x86_64-pc-windows-gnu standard library, the MinGW-w64 toolchain
# (Debian: apt-get install gcc-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64) and zip.
# Prints the path of the zip on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
name=frebscope
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
stem="$name-$version-$target"
target_dir=${CARGO_TARGET_DIR:-target}
dist="$target_dir/dist"
# A folder of its own: nothing built otherwise (without the dlltool stand-in below) is reused.
build_dir="$target_dir/dist-build"

for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump x86_64-w64-mingw32-dlltool zip; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build-windows-zip: $tool not found; on Debian or Ubuntu:" >&2
        echo "  apt-get install gcc-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 zip" >&2
        exit 1
    fi
done
if command -v rustup >/dev/null 2>&1; then
    rustup target add "$target" >/dev/null
fi

# The commit's time stands for every file time, so that rebuilding a commit gives the same zip.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
flags=(
    -C target-feature=+crt-static
    # GNU ld writes the link time into the PE header unless told not to.
    -C link-arg=-Wl,--no-insert-timestamp
    # Panic messages name source files: name them relative to stable roots, not this machine.
    "--remap-path-prefix=$PWD=$name"
    "--remap-path-prefix=$cargo_home=cargo"
    # Code that build scripts generate sits in the build folder, wherever CARGO_TARGET_DIR puts
    # it (the last matching prefix wins, so this one holds inside the clone too).
    "--remap-path-prefix=$(realpath -m "$build_dir")=target"
)
# rustc finds dlltool on the PATH: the stand-in first (see the top of this file).
FREBSCOPE_DLLTOOL=$(command -v x86_64-w64-mingw32-dlltool)
export FREBSCOPE_DLLTOOL
export PATH="$PWD/scripts/dlltool:$PATH"
# The linker: MinGW's gcc, run from the build folder (see the top of this file).
FREBSCOPE_MINGW_GCC=$(command -v x86_64-w64-mingw32-gcc)
FREBSCOPE_LINK_ROOT=$(realpath -m "$build_dir")/$target/release
FREBSCOPE_SYSROOT=$(rustc --print sysroot)
mkdir -p "$FREBSCOPE_LINK_ROOT"
export FREBSCOPE_MINGW_GCC FREBSCOPE_LINK_ROOT FREBSCOPE_SYSROOT
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER="$PWD/scripts/mingw-link/x86_64-w64-mingw32-gcc"
# The encoded form keeps paths with spaces whole; with --target it applies to the target only.
CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; printf '%s' "${flags[*]}")" \
    cargo build --locked --release --target "$target" --target-dir "$build_dir" --bin "$name"
exe="$build_dir/$target/release/$name.exe"

# Only Windows' own DLLs may be imported: a MinGW runtime DLL (libgcc_s_seh-1, libwinpthread-1,
# libstdc++-6) would be missing on a server.
# combase.dll is Windows' own COM base since Windows 8 and Server 2012 (windows-sys links
# CoTaskMemFree from it, for the cache folder's known-folder lookup).
imports=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p' | sort -uf)
echo "imports of $name.exe:" $imports
for dll in $imports; do
    case "$(printf '%s' "$dll" | tr '[:upper:]' '[:lower:]')" in
        kernel32.dll | ntdll.dll | advapi32.dll | bcrypt.dll | bcryptprimitives.dll | userenv.dll \
            | ws2_32.dll | msvcrt.dll | ucrtbase.dll | shell32.dll | ole32.dll | oleaut32.dll \
            | user32.dll | secur32.dll | synchronization.dll | combase.dll | api-ms-win-*.dll) ;;
        *)
            echo "build-windows-zip: $name.exe imports $dll, which a bare Windows lacks" >&2
            exit 1
            ;;
    esac
done

staging="$dist/$stem"
rm -rf "$staging" "$dist/$stem.zip"
mkdir -p "$staging"
cp "$exe" README.md LICENSE-MIT LICENSE-APACHE "$staging/"
touch -d "@$SOURCE_DATE_EPOCH" "$staging" "$staging"/*
# -X: no extra attributes (owner ids, access times); -D: no directory entries; names in order.
(cd "$dist" && TZ=UTC LC_ALL=C zip -q -X -D "$stem.zip" "$stem/$name.exe" "$stem/LICENSE-APACHE" \
    "$stem/LICENSE-MIT" "$stem/README.md")
rm -rf "$staging"
echo "$dist/$stem.zip"
