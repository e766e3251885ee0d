#!/usr/bin/env bash
# Install the kiosk on a Debian 12 machine from its wheel (docs/deploy.md). Run as root:
#
#   deploy/install.sh credit_kiosk-X.Y.Z-py3-none-any.whl [WHEELHOUSE]
#
# WHEELHOUSE: a folder with every dependency's wheel (`pip wheel -w wheelhouse THE.whl` on a
# build machine of the same architecture): the kiosk then installs with no index at all.
# Without it pip takes them from the configured index. Idempotent: run it again to upgrade.
set -euo pipefail

WHEEL=${1:?usage: deploy/install.sh credit_kiosk-*.whl [WHEELHOUSE]}
WHEELHOUSE=${2:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=/opt/credit-kiosk
KIOSK_USER=kiosk

[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 2; }
[ -f "$WHEEL" ] || { echo "install.sh: no wheel at $WHEEL" >&2; exit 2; }
say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

# What the kiosk needs from Debian: the compositor, PC/SC, speech, Python, and the libraries
# the PySide6 wheel loads for its Wayland platform. pyscard's build tools are here because
# PyPI has no Linux wheel of it for every Python (a wheelhouse built elsewhere skips the build).
PACKAGES=(
    cage xwayland
    pcscd libpcsclite1
    espeak-ng
    python3 python3-venv python3-dev gcc swig libpcsclite-dev
    libegl1 libgl1 libdbus-1-3 libglib2.0-0 libfontconfig1 libfreetype6 libxkbcommon0
    libwayland-client0 libwayland-cursor0 libwayland-egl1
    libusb-1.0-0 ca-certificates
)
say "Debian packages"
env DEBIAN_FRONTEND=noninteractive apt-get update -qq
env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${PACKAGES[@]}" >/dev/null

say "user $KIOSK_USER (no password, no shell: it logs in only through the unit)"
if ! id "$KIOSK_USER" >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/credit-kiosk --no-create-home \
        --shell /usr/sbin/nologin --groups dialout "$KIOSK_USER"
fi

say "the kiosk in $PREFIX/venv"
[ -x "$PREFIX/venv/bin/python" ] || python3 -m venv "$PREFIX/venv"
if [ -n "$WHEELHOUSE" ]; then
    "$PREFIX/venv/bin/pip" install -q --no-index --find-links "$WHEELHOUSE" --upgrade "$WHEEL"
else
    "$PREFIX/venv/bin/pip" install -q --upgrade "$WHEEL"
fi
install -d -m 0755 "$PREFIX/docs"
install -m 0644 "$HERE/../docs/deploy.md" "$PREFIX/docs/deploy.md" 2>/dev/null || true

say "systemd unit, PAM stack, logind settings"
install -m 0644 "$HERE/credit-kiosk@.service" /etc/systemd/system/credit-kiosk@.service
install -m 0644 "$HERE/pam.d/credit-kiosk" /etc/pam.d/credit-kiosk
install -D -m 0644 "$HERE/logind.conf.d/credit-kiosk.conf" /etc/systemd/logind.conf.d/credit-kiosk.conf
install -d -m 0755 /etc/credit-kiosk
install -d -m 0700 /etc/credstore.encrypted
if [ ! -f /etc/credit-kiosk/kiosk.toml ]; then
    install -m 0644 "$HERE/../config/kiosk.example.toml" /etc/credit-kiosk/kiosk.toml
    say "wrote /etc/credit-kiosk/kiosk.toml from the example: edit it (docs/deploy.md step 3)"
fi

say "the offline cache's keys, as encrypted credentials (made once: queued items need them)"
systemd-creds has-tpm2 >/dev/null 2>&1 && SEAL=tpm2+host || SEAL=host
for key in offline-outbox-key offline-report-buffer-key; do
    target=/etc/credstore.encrypted/credit-kiosk-$key
    [ -f "$target" ] && continue
    head -c 32 /dev/urandom | base64 |
        systemd-creds encrypt --with-key=$SEAL --name="credit-kiosk-$key" - "$target"
done

say "a kiosk never sleeps; it starts on tty1 at boot"
systemctl mask -q sleep.target suspend.target hibernate.target hybrid-sleep.target
systemctl set-default -q graphical.target
systemctl enable -q pcscd.socket credit-kiosk@tty1.service
systemctl disable -q getty@tty1.service 2>/dev/null || true
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

"$PREFIX/venv/bin/kiosk" check-config --config /etc/credit-kiosk/kiosk.toml ||
    say "the configuration needs editing before the kiosk can start"
say "done: next, enroll the terminal (docs/deploy.md step 4), then reboot"
