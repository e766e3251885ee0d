#!/usr/bin/env bash
# Set up a Debian/Ubuntu machine for the kiosk and run it.
#
#   tools/bootstrap.sh demo [kiosk demo options]   install, then play one session against the simulators
#   tools/bootstrap.sh test [pytest options]       install, then run every check and the whole test suite
#   tools/bootstrap.sh bench [--strict]            install (and Chromium, the baseline), then the benchmarks
#   tools/bootstrap.sh install                     install only
#   tools/bootstrap.sh wheel                       install, then build the kiosk's wheel into dist/
#
# Idempotent: a second run installs nothing and only re-installs the Python package when
# pyproject.toml changed. Needs root or sudo for apt-get on the first run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${KIOSK_VENV:-$ROOT/.venv}
cd "$ROOT"

# What a fresh Debian 12 / Ubuntu 24.04 lacks (see docs/setup.md for why each is here).
APT_PACKAGES=(
    python3 python3-venv python3-dev gcc             # venv and pyscard's C extension
    swig libpcsclite-dev                             # pyscard build
    pcscd vsmartcard-vpcd                            # PC/SC daemon and the virtual reader driver
    xvfb xauth                                       # a virtual screen for tests that need X
    libegl1 libgl1 libdbus-1-3 libglib2.0-0 libfontconfig1 libfreetype6 libxkbcommon0
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-randr0 libx11-xcb1   # Qt's xcb plugin
    fonts-wqy-microhei                               # a system CJK font (the app bundles its own)
    libusb-1.0-0                                     # USB receipt printers (pyusb)
    poppler-utils                                    # pdftoppm: tests read the PDF's QR codes back
    espeak-ng                                        # voice prompts (Mandarin pinyin voice, English)
    ca-certificates
)

# The benchmark's baseline only (tools/bench_startup.py): a web kiosk's browser.
BENCH_PACKAGES=(chromium)

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@";
    else log "need root (or sudo) to run: $*"; exit 1; fi
}

install_system_packages() {
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
    # A systemd machine starts pcscd from its socket; one that ran before vpcd was installed
    # does not see the virtual readers until it restarts.
    if [ -d /run/systemd/system ] && systemctl is-active --quiet pcscd.service 2>/dev/null; then
        as_root systemctl restart pcscd.service || true
    fi
}

install_python_package() {
    local stamp="$VENV/.kiosk-installed" want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtualenv $VENV"
        /usr/bin/python3 -m venv "$VENV"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing the kiosk and its test tools into $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[test]"
        echo "$want" >"$stamp"
    fi
    "$VENV/bin/python" -m tools.fetch_face_models   # face models, SHA-256 pinned; no-op when present
}

build_wheel() {
    # The build-system requirements of pyproject.toml in the venv (a venv made by Debian's
    # python3 -m venv has setuptools 66 and no bdist_wheel), then the wheel, built in place
    # from the checkout: with the face models when they were fetched (install_python_package).
    local requires
    mapfile -t requires < <("$VENV/bin/python" -c 'import tomllib; print(*tomllib.load(
        open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")')
    "$VENV/bin/python" -m pip install -q "${requires[@]}"
    rm -rf build   # setuptools' staging folder: a module deleted since the last build would stay
    mkdir -p dist
    "$VENV/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w dist .
    log "built $(ls -t dist/credit_kiosk-*.whl | head -n 1)"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    install) install_system_packages; install_python_package ;;
    demo)
        install_system_packages; install_python_package
        exec "$VENV/bin/kiosk" demo "$@" ;;
    test)
        install_system_packages; install_python_package
        exec "$VENV/bin/python" -m tools.check "$@" ;;
    bench)
        install_system_packages "${BENCH_PACKAGES[@]}"; install_python_package
        exec "$VENV/bin/python" -m tools.bench "$@" ;;
    wheel) install_system_packages; install_python_package; build_wheel ;;
    *) echo "usage: $0 demo|test|bench|install|wheel [options]" >&2; exit 2 ;;
esac
