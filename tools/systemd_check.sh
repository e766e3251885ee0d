#!/usr/bin/env bash
# Check the kiosk's systemd unit (deploy/credit-kiosk@.service) with a real systemd on a machine
# where systemd is not PID 1 (containers, CI): a systemd user manager in a private mount
# namespace runs the unit's [Service] section with the real `kiosk run` under a stand-in for
# cage (tools/cage_standin.py: main process, never notifies, exits with its client).
#
#   sudo tools/systemd_check.sh            # exit 0 when every check passes
#
# What it shows: the unit becomes active only at READY=1 (the kiosk built behind its painted idle screen), stays up
# while the GUI thread pings, is killed by the watchdog and started again when the kiosk
# freezes (SIGSTOP: no more pings), and stops cleanly (exit 0) on `systemctl stop`; the
# sandbox the user manager can apply is in force in the kiosk process.
# What it cannot show here: User=, PAMName=, TTYPath= and cage itself (no seat, no GPU), which
# only a system manager on real hardware runs (docs/deploy.md "Acceptance on the first kiosk").
#
# Why the detours (systemd 252): a user manager refuses to run unless /run/systemd/system
# exists (sd_booted), needs a cgroup of its own delegated in both the name=systemd and the
# unified hierarchy, and logs only to a journal, so a private journald runs beside it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${KIOSK_VENV:-$ROOT/.venv}
UNIT_SRC=$ROOT/deploy/credit-kiosk@.service
# As root the user manager can apply the whole sandbox (mount namespace, capabilities):
# `tools/systemd_check.sh --as-root` checks that the kiosk still works inside all of it.
CHECK_USER=credit-kiosk-check
[ "${1:-}" = --as-root ] && CHECK_USER=root
WATCHDOG_S=4
# Outside the checkout, which the unprivileged user may not reach (/root/project), and outside
# /tmp, which the unit makes private; the journal is copied to out/ at the end.
WORK=/var/lib/credit-kiosk-systemd-check
REPORT_DIR=$ROOT/out/systemd-check
XDG=$WORK/xdg
UNIT=credit-kiosk.service
FAILED=0
CREATED_USER=0
MANAGER=""

[ "$(id -u)" = 0 ] || { echo "systemd_check: run as root" >&2; exit 2; }
[ -x "$VENV/bin/kiosk" ] || { echo "systemd_check: no kiosk in $VENV (tools/bootstrap.sh install)" >&2; exit 2; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }

id "$CHECK_USER" >/dev/null 2>&1 || { useradd --system --no-create-home "$CHECK_USER"; CREATED_USER=1; }
USER_ID=$(id -u "$CHECK_USER")
CGROUP=credit-kiosk-check/user@$USER_ID.service

# In a chroot (the fresh-machine root) systemctl ignores every command unless told not to.
userctl() {
    runuser -u "$CHECK_USER" -- env XDG_RUNTIME_DIR="$XDG" SYSTEMD_IGNORE_CHROOT=1 \
        systemctl --user "$@"
}
prop() { userctl show "$UNIT" -p "$1" --value; }
journal() { nsenter -t "$MANAGER" -m -r journalctl --no-pager "$@"; }  # -r: its root, a chroot's too
wait_for() {  # property value seconds
    local until=$((SECONDS + $3))
    while [ $SECONDS -le $until ]; do
        [ "$(prop "$1")" = "$2" ] && return 0
        sleep 0.2
    done
    return 1
}

cleanup() {
    mkdir -p "$REPORT_DIR"
    [ -n "$MANAGER" ] && kill -0 "$MANAGER" 2>/dev/null && journal -o cat >"$WORK/journal.txt"
    cp "$WORK"/*.txt "$WORK"/*.out "$REPORT_DIR/" 2>/dev/null || true
    if [ -n "$MANAGER" ] && kill -0 "$MANAGER" 2>/dev/null; then
        userctl stop "$UNIT" 2>/dev/null || true
        userctl exit 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$MANAGER" 2>/dev/null || break; sleep 0.2; done
        kill "$MANAGER" 2>/dev/null || true
    fi
    [ -f "$WORK/journald.pid" ] && kill "$(cat "$WORK/journald.pid")" 2>/dev/null || true
    sleep 0.5
    local remove='for hierarchy in systemd unified; do
        [ -d /sys/fs/cgroup/$hierarchy/credit-kiosk-check ] &&
            find /sys/fs/cgroup/$hierarchy/credit-kiosk-check -depth -type d -exec rmdir {} \; 2>/dev/null
    done; true'
    if [ -d /sys/fs/cgroup/unified ]; then
        bash -c "$remove"
    else  # the hierarchies were mounted in the manager's namespace only: mount them again
        unshare --mount --propagation "$PROPAGATION" bash -c "mount -t tmpfs cgroup /sys/fs/cgroup &&
            mkdir /sys/fs/cgroup/systemd /sys/fs/cgroup/unified &&
            mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd &&
            mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified && $remove"
    fi
    [ "$CREATED_USER" = 1 ] && userdel "$CHECK_USER" 2>/dev/null
    rm -rf "$WORK"
    return 0
}
trap cleanup EXIT
# A chroot's root is no mount point and cannot be made private (the fresh-machine root is
# one, inside a private namespace already): there only /run, made private, is changed.
PROPAGATION=private
mountpoint -q / || PROPAGATION=unchanged

say "a kiosk configuration, its three credentials and the unit, for user $CHECK_USER"
rm -rf "$WORK"
mkdir -p "$XDG/systemd/user" "$WORK/state" "$WORK/credentials"
chmod 755 "$WORK"
chmod 700 "$XDG"
"$VENV/bin/python" - "$WORK" <<'EOF'
import base64, secrets, sys
from pathlib import Path
from kiosk import config
from kiosk.platform import credentials

work = Path(sys.argv[1])
cfg = config.parse_config({
    # Nobody answers there: the kiosk shows its idle screen and says the platform is away.
    "platform": {"url": "https://127.0.0.1:9"},
    "paths": {"data_dir": str(work / "state" / "data"), "log_dir": str(work / "state" / "logs")},
})
(work / "kiosk.toml").write_text(config.to_toml(cfg), encoding="utf-8")
# What deploy/install.sh and the enrollment put in /etc/credstore.encrypted (in clear here).
creds = credentials.TerminalCredentials("T-SYSTEMD-CHECK", bytes(range(32)))
held = work / "credentials"
(held / "credit-kiosk-terminal").write_text(credentials.encode(creds), encoding="utf-8")
for key in ("offline-outbox-key", "offline-report-buffer-key"):
    (held / f"credit-kiosk-{key}").write_text(base64.b64encode(secrets.token_bytes(32)).decode())
EOF
chmod 644 "$WORK/kiosk.toml"
install -m 0644 "$ROOT/tools/cage_standin.py" "$WORK/cage_standin.py"
chmod 600 "$WORK"/credentials/*   # the manager's (root's on a kiosk); the service gets copies

# The unit's [Service] section, without what only a system manager on a seat does, and with
# a short watchdog so the check is quick.
# An unprivileged user manager cannot drop capabilities (CapabilityBoundingSet=, and the two
# Protect* options that imply it); as root it can.
CAPABILITIES='CapabilityBoundingSet|ProtectKernelModules|ProtectKernelLogs|'
if [ "$CHECK_USER" = root ]; then
    CAPABILITIES=''
fi
SYSTEM_ONLY='^(User|Group|'"$CAPABILITIES"'SupplementaryGroups|PAMName|TTY[A-Za-z]*|StandardInput|Utmp[A-Za-z]*|ExecStart|LoadCredentialEncrypted|WatchdogSec|[A-Za-z]*Directory|[A-Za-z]*DirectoryMode)='
{
    echo "[Unit]"
    echo "Description=credit-kiosk unit check (deploy/credit-kiosk@.service's [Service])"
    echo "StartLimitIntervalSec=0"
    echo "[Service]"
    awk '/^\[/{section=$0; next} section=="[Service]" && !/^#/ && NF' "$UNIT_SRC" |
        grep -Ev "$SYSTEM_ONLY" | grep -v 'Environment=\(XDG_CACHE_HOME\|ESCPOS\)'
    echo "WatchdogSec=$WATCHDOG_S"
    echo "ExecStart=$VENV/bin/python $WORK/cage_standin.py $VENV/bin/kiosk run"
    echo "Environment=QT_QPA_PLATFORM=offscreen KIOSK_CONFIG=$WORK/kiosk.toml"
    if [ "$CHECK_USER" = root ]; then
        # Here the credential's own mount stays invisible inside the unit's namespace (nested
        # namespaces of this container); the unprivileged run checks LoadCredential= itself.
        cp -r "$WORK/credentials" "$WORK/state/credentials"
        echo "Environment=CREDENTIALS_DIRECTORY=$WORK/state/credentials"
    else
        for held in "$WORK"/credentials/*; do
            echo "LoadCredential=$(basename "$held"):$held"
        done
    fi
    echo "ReadWritePaths=$WORK/state"
} >"$XDG/systemd/user/$UNIT"
sed 's/^/    /' "$XDG/systemd/user/$UNIT" | grep -E 'Type|Notify|Watchdog|Restart|Protect|Private|NoNew|SystemCall|Exec|Credential' || true
chown -R "$CHECK_USER:" "$XDG" "$WORK/state" "$WORK/credentials"

say "systemd --user in a private mount namespace, with its own journald"
setsid unshare --mount --propagation "$PROPAGATION" bash -c "
    mount --bind /run /run && mount --make-rprivate /run
    if [ ! -d /sys/fs/cgroup/unified ]; then
        # A chroot with a bare /sys (the fresh-machine root): the two hierarchies the manager
        # needs, mounted in this namespace only.
        mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
        mkdir /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
        mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
        mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
    fi
    mkdir -p /run/systemd /run/log   # a root where systemd never ran has neither
    mount -t tmpfs -o mode=755 tmpfs /run/systemd
    mkdir -p /run/systemd/system /run/systemd/journal /run/systemd/inaccessible
    # What PID 1 would have made: the nodes InaccessiblePaths= and friends mount over paths.
    cd /run/systemd/inaccessible && mkdir -m 0 dir && install -m 0 /dev/null reg &&
        mkfifo -m 0 fifo && mknod -m 0 chr c 0 0 && mknod -m 0 blk b 0 0 &&
        python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"sock\")' && chmod 0 sock
    cd /
    mount -t tmpfs -o mode=755 tmpfs /run/log
    [ -d /var/log/journal ] && [ $PROPAGATION = private ] && mount -t tmpfs tmpfs /var/log/journal
    /lib/systemd/systemd-journald >'$WORK/journald.out' 2>&1 &
    echo \$! >'$WORK/journald.pid'
    for _ in \$(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
    for hierarchy in systemd unified; do
        group=/sys/fs/cgroup/\$hierarchy/$CGROUP
        mkdir -p \$group && chown -R $CHECK_USER: \$group && echo \$\$ >\$group/cgroup.procs
    done
    exec runuser -u $CHECK_USER -- env XDG_RUNTIME_DIR='$XDG' SYSTEMD_LOG_TARGET=journal \
        SYSTEMD_IGNORE_CHROOT=1 \
        /lib/systemd/systemd --user
" >"$WORK/manager.out" 2>&1 </dev/null &
for _ in $(seq 100); do
    MANAGER=$(pgrep -u "$CHECK_USER" -x systemd | head -1 || true)
    [ -n "$MANAGER" ] && userctl is-active -q default.target 2>/dev/null && break
    sleep 0.1
done
[ -n "$MANAGER" ] || { cat "$WORK/manager.out"; fail "the user manager did not start"; exit 1; }
echo "manager: pid $MANAGER, $(userctl --version | head -1)"

say "start: active only once the kiosk said READY=1 (the kiosk built behind its painted idle screen)"
started=$SECONDS
userctl start --no-block "$UNIT"
if wait_for ActiveState active 90; then
    pass "active after $((SECONDS - started)) s, status \"$(prop StatusText)\""
else
    fail "not active within 90 s: $(prop ActiveState)/$(prop SubState)"
    userctl status "$UNIT" --no-pager -n 0 || true
    journal -o cat | tail -40
    exit 1
fi
[ "$(prop StatusText)" = idle ] && pass "systemctl status shows: idle" || fail "status text: $(prop StatusText)"

cage_pid=$(prop MainPID)
kiosk_pid=$(pgrep -P "$cage_pid" | head -1)
echo "main process (cage stand-in) $cage_pid, kiosk $kiosk_pid"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$kiosk_pid/status" && pass "kiosk runs with NoNewPrivs" || fail "NoNewPrivs not set"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$kiosk_pid/status" && pass "kiosk runs under its system-call filter" || fail "no seccomp filter"
if [ "$(readlink "/proc/$kiosk_pid/ns/mnt")" != "$(readlink "/proc/$MANAGER/ns/mnt")" ]; then
    nsenter -t "$kiosk_pid" -m findmnt -no OPTIONS / | grep -q '^ro' &&
        pass "read-only file system but its own folders (ProtectSystem=strict)" || fail "/ is writable"
else
    echo "NOTE: this user manager gives the kiosk no mount namespace, so ProtectSystem=, PrivateTmp="
    echo "      and ReadWritePaths= are not in force here (a system manager applies them)"
fi
grep 'core file' "/proc/$kiosk_pid/limits" | grep -q ' 0  *0 ' && pass "no core dumps (limit 0)" || fail "core limit not 0"

say "alive: pings from the kiosk's GUI thread keep it up ($((WATCHDOG_S * 3)) s, WatchdogSec=$WATCHDOG_S)"
sleep $((WATCHDOG_S * 3))
if [ "$(prop NRestarts)" = 0 ] && [ "$(prop SubState)" = running ]; then
    pass "still running, no restart"
else
    fail "restarted or gone: $(prop SubState), $(prop NRestarts) restarts"
fi

say "frozen: the kiosk stops (SIGSTOP), its pings stop, systemd kills and restarts it"
frozen_at=$SECONDS
kill -STOP "$kiosk_pid"
if wait_for NRestarts 1 $((WATCHDOG_S + 30)); then
    pass "restarted $((SECONDS - frozen_at)) s after the freeze"
else
    fail "no restart within $((WATCHDOG_S + 30)) s"
fi
journal -o cat >"$WORK/journal.txt"
grep -E "$UNIT: (Watchdog timeout|Failed with result|Scheduled restart)" "$WORK/journal.txt" | sed 's/^/    /' || true
grep -q "$UNIT: Watchdog timeout" "$WORK/journal.txt" && pass "the journal says: watchdog timeout" || fail "no watchdog timeout in the journal"
grep -q 'Fatal Python error: Aborted' "$WORK/journal.txt" && pass "the kiosk's stacks are in the journal (fault handler)" || fail "no fault handler output in the journal"
if wait_for ActiveState active 90; then
    pass "active again (new kiosk $(pgrep -P "$(prop MainPID)" | head -1))"
else
    fail "not active again"
fi

say "stopped: systemctl stop ends the kiosk cleanly"
userctl stop "$UNIT"
status=$(prop ExecMainStatus)
result=$(prop Result)
[ "$status" = 0 ] && [ "$result" = success ] && pass "exit status 0, result success" || fail "exit status $status, result $result"
journal -o cat >"$WORK/journal.txt"
if grep -q 'not queued\|offline cache key' "$WORK/journal.txt"; then
    fail "the outbox could not keep items: $(grep -m1 'not queued\|offline cache key' "$WORK/journal.txt")"
else
    pass "the outbox kept what it queued (its keys from systemd credentials, no keyring)"
fi
grep -q 'ui.qt_app: signal 15: shutting down' "$WORK/journal.txt" && pass "the kiosk's log lines are in the journal" || fail "no kiosk log lines in the journal"

say "$([ $FAILED = 0 ] && echo 'every check passed' || echo 'SOME CHECKS FAILED')"
exit $FAILED
