"""Soak: a thousand resident sessions through the real kiosk with faults, then the figures.

``.venv/bin/python -m tools.soak --sessions 1000 [--seed N] [--out out/soak]`` (as root) runs
one kiosk process (``ui.app.KioskApp`` from ``composition.build_kiosk``, offscreen) against
pcscd with the vpcd virtual card, the HTTPS platform simulator, the raw ESC/POS virtual
printer and the MJPEG camera simulator. A driver thread plays the residents through the real
window (``tools.soak_driver``), with a fault from the team's table in about half of the
sessions (``tools.soak_plan``). At the end it reports crashes, sessions that did not come back
to idle, RSS and open fds after session 10 and after the last, the longest GUI event-loop
stalls, and a scan of the kiosk's data dir, logs and temp for every synthetic resident's
name, ID number, phone and card photo; ``<out>/soak-report.md``, exit status 1 on any MISS.

Isolation: pcscd and vpcd use fixed places (the socket under /run/pcscd, TCP 35963/35964),
so by default the soak re-runs itself under ``unshare --net --mount`` with loopback up and a
tmpfs of its own on /run/pcscd: its pcscd can neither see nor disturb another one on the
machine. ``--no-isolate`` skips that (a machine where nothing else uses pcscd; a running
pcscd is then used as it is, and the pcscd-kill fault is left out). The simulators run in a
process of their own (``tools.soak_sims``): the kiosk's memory, descriptors and stalls are
its own. Not part of the default test run; see docs/benchmarks.md ("Soak").
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import faulthandler
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk import config as kiosk_config
    from tools.soak_sims import SimInfo, Sims

REPO = Path(__file__).resolve().parent.parent
PCSCD_RUN_DIR = Path("/run/pcscd")
VPCD_PORTS = (35963, 35964)
SIMS_START_S = 60.0
# The kiosk's screen limits for the soak, shorter than a hall's so that a fault that has to
# wait for one (a resident walking away, a pcscd that took the card with it) costs seconds,
# not minutes. Each is still longer than anything a resident waits for on that screen.
SOAK_TIMEOUTS: dict[str, float] = {
    "consent_s": 15.0,
    "card_read_s": 15.0,
    "second_factor_s": 40.0,
    "report_s": 12.0,
    "printing_s": 20.0,
    "done_s": 6.0,
    "error_s": 8.0,
    "warn_before_s": 4.0,
}
FACE_ATTEMPT_S = 20.0  # camera.attempt_s (30 by default)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "soak")
    parser.add_argument("--shots", type=int, default=2, help="sessions whose screens are saved")
    parser.add_argument("--no-faults", action="store_true", help="residents' sessions only")
    parser.add_argument("--no-isolate", action="store_true", help="no namespaces (see above)")
    parser.add_argument("--keep-sims", action="store_true", help="keep the simulators' folder")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--isolated", default="", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = _parser().parse_args(argv)
    if args.sessions < 1:
        raise SystemExit("--sessions must be at least 1")
    sys.exit(work(args) if args.worker else supervise(args))


# ---------------------------------------------------------------------- the supervisor
def supervise(args: argparse.Namespace) -> int:
    """Run the soak in a child process (in its own namespaces) and make sure a report exists
    even if that process dies: a dead kiosk is a crash."""
    out = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    print(f"[soak] seed {seed}, {args.sessions} sessions, output {out}", flush=True)
    command = [
        sys.executable, "-m", "tools.soak", "--worker", "--sessions", str(args.sessions),
        "--seed", str(seed), "--out", str(out), "--shots", str(args.shots),
    ]  # fmt: skip
    if args.no_faults:
        command.append("--no-faults")
    if args.keep_sims:
        command.append("--keep-sims")
    if not args.no_isolate:
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            print("[soak] isolation needs root and unshare(1); or pass --no-isolate", flush=True)
            return 2
        command = ["unshare", "--net", "--mount", "--propagation", "private", "--", *command]
        command += ["--isolated", _namespaces()]
    started = time.monotonic()
    with subprocess.Popen(command, cwd=REPO) as child:
        try:
            status = child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            status = child.wait()
    report = out / "soak-report.md"
    if status in (0, 1) and report.exists():
        return status
    if status in (2, 3):
        print("[soak] the soak could not run (see above): nothing was measured", flush=True)
        return status
    _death_report(out, seed, args.sessions, status, time.monotonic() - started)
    return 1


def _death_report(out: Path, seed: int, sessions: int, status: int, seconds: float) -> None:
    """The kiosk's process ended without its report: what the sessions log says, and how."""
    done = []
    progress = out / "sessions.jsonl"
    if progress.exists():
        done = [json.loads(line) for line in progress.read_text("utf-8").splitlines() if line]
    how = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
    lines = [
        "# Soak report",
        "",
        f"- seed: {seed}",
        f"- sessions: {len(done)} of {sessions} finished before the process ended",
        f"- duration: {seconds / 60:.1f} min",
        "",
        f"**MISS: the kiosk's process ended without finishing ({how})**: a crash. See "
        f"{out / 'faulthandler.txt'} and {out / 'kiosk' / 'logs' / 'kiosk.log'}.",
    ]
    if done:
        last = done[-1]
        lines.append(f"Last finished session: {last['number']} ({last['fault_detail']}).")
    incidents = out / "incidents.jsonl"
    if incidents.exists():
        lines += ["", "Crashes recorded before the end:", ""]
        for line in incidents.read_text("utf-8").splitlines():
            incident = json.loads(line)
            lines.append(
                f"- session {incident['session']} ({incident['phase']}): {incident['kind']}: "
                f"`{incident['text'][:1500]}`"
            )
    (out / "soak-report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines), flush=True)


# ---------------------------------------------------------------------- isolation
class SetupError(Exception):
    """The soak could not start (isolation, simulators): not a finding about the kiosk."""


def _namespaces() -> str:
    """This process's network and mount namespaces (``net:[N] mnt:[M]``)."""
    return " ".join(str(Path(f"/proc/self/ns/{kind}").readlink()) for kind in ("net", "mnt"))


def isolate(outer: str) -> str:
    """Inside ``unshare --net --mount``: loopback up, a private tmpfs on /run/pcscd, and a
    check that both really are the soak's own (``outer``: the supervisor's namespaces); a
    description for the report."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    PCSCD_RUN_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "mode=0755,size=1m", "tmpfs", str(PCSCD_RUN_DIR)],
        check=True,
    )
    mine = _namespaces()
    shared = set(mine.split()) & set(outer.split())
    if shared:
        raise SetupError(f"isolation failed: still in the outer namespace(s) {shared}")
    mounts = Path("/proc/self/mountinfo").read_text("utf-8")
    if not any(f" {PCSCD_RUN_DIR} " in line and "tmpfs" in line for line in mounts.splitlines()):
        raise SetupError(f"isolation failed: no tmpfs of ours on {PCSCD_RUN_DIR}")
    if any(PCSCD_RUN_DIR.iterdir()):
        raise SetupError(f"isolation failed: {PCSCD_RUN_DIR} is not empty")
    for port in VPCD_PORTS:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SetupError(f"isolation failed: something listens on {port} already")
    return (
        f"own network and mount namespaces ({mine}; the supervisor's: {outer}), "
        f"loopback up, a fresh tmpfs on {PCSCD_RUN_DIR}: the soak's pcscd socket and vpcd's "
        f"TCP {VPCD_PORTS[0]}/{VPCD_PORTS[1]} are invisible outside"
    )


# ---------------------------------------------------------------------- the worker
@dataclasses.dataclass(frozen=True)
class Dirs:
    """Where the kiosk keeps its files in the soak (all scanned at the end)."""

    out: Path

    @property
    def data(self) -> Path:
        return self.out / "kiosk" / "data"

    @property
    def logs(self) -> Path:
        return self.out / "kiosk" / "logs"

    @property
    def tmp(self) -> Path:
        return self.out / "tmp"

    @property
    def home(self) -> Path:
        return self.out / "home"

    def make(self) -> None:
        for path in (self.data, self.logs, self.tmp, self.home, self.out / "cache"):
            path.mkdir(parents=True, exist_ok=True)
        (self.out / "runtime").mkdir(mode=0o700, exist_ok=True)
        (self.tmp / "escpos-cache").mkdir(exist_ok=True)


def _kiosk_environment(dirs: Dirs) -> None:
    """The kiosk process's temp, home, caches and Qt platform: folders of the soak's own, so
    the privacy scan sees everything the process wrote."""
    os.environ.update(
        {
            "TMPDIR": str(dirs.tmp),
            "HOME": str(dirs.home),
            "XDG_CACHE_HOME": str(dirs.out / "cache"),
            "XDG_CONFIG_HOME": str(dirs.home / ".config"),
            "XDG_DATA_HOME": str(dirs.home / ".local" / "share"),
            "XDG_RUNTIME_DIR": str(dirs.out / "runtime"),
            "QT_QPA_PLATFORM": "offscreen",
            "ESCPOS_CAPABILITIES_PICKLE_DIR": str(dirs.tmp / "escpos-cache"),
        }
    )
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "JOURNAL_STREAM"):
        os.environ.pop(name, None)
    tempfile.tempdir = None  # read TMPDIR again


def _shm_files() -> set[Path]:
    """Files in /dev/shm now (the scan looks at those the run added)."""
    shm = Path("/dev/shm")
    return set(shm.iterdir()) if shm.is_dir() else set()


def _start_sims(
    sim_dir: Path, env: dict[str, str], *, own_pcscd: bool
) -> tuple[subprocess.Popen[bytes], Path, bytes]:
    """The simulators' process; it says when it listens."""
    from tools.soak_sims import AUTHKEY_ENV, READY_LINE, SimError, wait_for_socket

    authkey = secrets.token_bytes(32)
    socket_path = sim_dir / "sims.sock"
    (sim_dir / "tmp").mkdir()
    child_env = dict(env, TMPDIR=str(sim_dir / "tmp"), **{AUTHKEY_ENV: authkey.hex()})
    command = [sys.executable, "-m", "tools.soak_sims", str(socket_path), str(sim_dir)]
    if not own_pcscd:
        command.append("--system-pcscd")
    with (sim_dir / "sims-stderr.txt").open("wb") as errors:
        proc = subprocess.Popen(
            command, cwd=REPO, env=child_env, stdout=subprocess.PIPE, stderr=errors
        )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode(errors="replace").strip()
    if line != READY_LINE:
        proc.kill()
        detail = (sim_dir / "sims-stderr.txt").read_text(errors="replace")[-3000:]
        raise SimError(f"the simulators did not start ({line!r}):\n{detail}")
    wait_for_socket(socket_path, SIMS_START_S)
    return proc, socket_path, authkey


def _config(info: SimInfo, dirs: Dirs) -> kiosk_config.KioskConfig:
    """The kiosk's configuration for the simulators (as ``simulators.demo.simulator_config``
    and ``camera_config`` make it, from the simulators' addresses), with the soak's shorter
    screen limits; written out and loaded back through the kiosk's own validation."""
    from kiosk import config as kiosk_config

    cfg = kiosk_config.KioskConfig(
        platform=kiosk_config.PlatformConfig(url=info.platform_url, ca_bundle=info.ca_bundle),
        reader=kiosk_config.ReaderConfig(name_pattern=re.escape(info.reader)),
        printer=kiosk_config.PrinterConfig(host="127.0.0.1", port=info.printer_port),
        camera=kiosk_config.CameraConfig(source=info.camera_url, attempt_s=FACE_ATTEMPT_S),
        timeouts=kiosk_config.TimeoutsConfig(**SOAK_TIMEOUTS),
        terminal=kiosk_config.TerminalConfig(mode="demo"),
        paths=kiosk_config.PathsConfig(data_dir=str(dirs.data), log_dir=str(dirs.logs)),
    )
    path = dirs.out / "kiosk" / "kiosk.toml"
    path.write_text(kiosk_config.to_toml(cfg), encoding="utf-8")
    return kiosk_config.load_config(path)


def _git_state() -> str:
    """The commit the soak runs, and how many tracked files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except OSError:
        return "unknown (no git)"
    return f"commit {head or '?'}, {len(changed)} tracked files changed since"


def _enroll(cfg: kiosk_config.KioskConfig, sims: Sims) -> Any:
    """``simulators.demo.enroll`` with the code from the simulators' process."""
    from simulators import demo

    return demo.enroll_with_code(cfg, sims.call("new_enrollment_code"))


def work(args: argparse.Namespace) -> int:
    """The soak itself (in the namespaces when isolated)."""
    from kiosk import memory

    memory.limit_arenas()  # as `kiosk run` does, before any thread starts
    try:
        isolation = isolate(args.isolated) if args.isolated else "none (--no-isolate)"
    except (SetupError, OSError, subprocess.CalledProcessError) as exc:
        print(f"[soak] {exc}", flush=True)
        return 2
    from tools.soak_sims import SimError

    out = args.out.resolve()
    dirs = Dirs(out)
    dirs.make()
    original_env = dict(os.environ)
    sim_dir = Path(tempfile.mkdtemp(prefix="kiosk-soak-sims-"))
    _kiosk_environment(dirs)
    shm_before = _shm_files()
    with (out / "faulthandler.txt").open("w", encoding="utf-8") as crash_file:
        faulthandler.enable(crash_file, all_threads=True)
        proc: subprocess.Popen[bytes] | None = None
        try:
            try:
                proc, socket_path, authkey = _start_sims(
                    sim_dir, original_env, own_pcscd=bool(args.isolated)
                )
            except (SimError, OSError) as exc:
                print(f"[soak] {exc}", flush=True)
                return 2
            try:
                return _soak(args, dirs, isolation, socket_path, authkey, sim_dir, shm_before)
            except Exception:  # noqa: BLE001 - the soak's own failure, told as such
                traceback.print_exc()
                print("[soak] the soak itself failed (above): not a finding about the kiosk")
                return 3
        finally:
            if proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if not args.keep_sims:
                shutil.rmtree(sim_dir, ignore_errors=True)
            else:
                print(f"[soak] simulators' folder kept: {sim_dir}", flush=True)


def _soak(
    args: argparse.Namespace,
    dirs: Dirs,
    isolation: str,
    socket_path: Path,
    authkey: bytes,
    sim_dir: Path,
    shm_before: set[Path],
) -> int:
    import keyring

    from kiosk.app import composition
    from kiosk.app.logging_setup import setup_logging
    from simulators.memory_keyring import MemoryKeyring
    from tools import soak_report
    from tools.soak_driver import Driver, SoakOptions
    from tools.soak_plan import PCSCD_KILL, Planner
    from tools.soak_sims import SimInfo, Sims
    from tools.soak_watch import CrashWatch, GuiBridge, StallProbe
    from ui import app as ui_app

    started = time.monotonic()
    version = _git_state()
    sims = Sims(socket_path, authkey)
    camera_sims = Sims(socket_path, authkey)
    info = SimInfo(**sims.call("info"))
    setup_logging(dirs.logs)
    cfg = _config(info, dirs)
    keyring.set_keyring(MemoryKeyring())
    creds = _enroll(cfg, sims)
    kiosk = ui_app.KioskApp(cfg, composition.build_kiosk(cfg, creds))
    rules = composition.rules(cfg)  # the journey's limits, as the kiosk built them
    planner = Planner(args.seed, args.sessions, faults=not args.no_faults)
    notes = [
        f"face check: camera.attempt_s {FACE_ATTEMPT_S:g} (30 by default); large-text sessions "
        "double every limit",
        "simulators in a process of their own (tools/soak_sims.py); the kiosk's process is "
        "measured alone",
    ]
    if not info.pcscd_owned:
        planner.pcscd_sessions = frozenset()
        notes.append(f"pcscd was already running and is not ours: no `{PCSCD_KILL}` fault")
    driver_ref: list[Driver] = []

    def where() -> tuple[int, str, str, str]:
        if driver_ref:
            return driver_ref[0].where()
        return 0, kiosk.controller.state.phase.value, "-", ""

    watch = CrashWatch(where, started)
    watch.journal = dirs.out / "incidents.jsonl"
    watch.install()
    probe = StallProbe(where, started, dirs.out / "stall-threads.txt")
    bridge = GuiBridge(probe)
    options = SoakOptions(
        sessions=args.sessions,
        out_dir=dirs.out,
        shots=args.shots,
        rules=rules,
        started=started,
        isolated=bool(args.isolated),
    )
    kiosk.start(fullscreen=False)
    driver = Driver(kiosk, sims, bridge, planner, options, watch, probe)
    driver_ref.append(driver)
    driver.follow_camera(camera_sims)

    def begin() -> None:
        # After the first paint and the warm-up (models, escpos, the schema): the probe
        # measures sessions, not start-up.
        if not kiosk.warm_up.done.wait(120):
            print("[soak] the kiosk's warm-up did not finish in 120 s", flush=True)
        face = kiosk.services.face
        deadline = time.monotonic() + 30
        while face is not None and not face.ready() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        bridge.call(probe.start)
        driver.start()

    threading.Thread(target=begin, name="soak-begin", daemon=True).start()
    kiosk.qt_app.exec()
    probe.stop()
    duration = (driver.finished_at or time.monotonic()) - started

    statuses: dict[str, int] = {}
    with contextlib.suppress(Exception):
        statuses = sims.call("platform_statuses")
    roots = [dirs.out]
    shm_new = _shm_files() - shm_before
    roots += sorted(shm_new)
    report_path = dirs.out / soak_report.REPORT_NAME
    found = soak_report.needles(info.photos, info.photos.keys())
    hits_running, files_1, bytes_1 = soak_report.scan(roots, found, skip=[report_path])
    kiosk.stop()
    hits_stopped, files_2, bytes_2 = soak_report.scan(roots, found, skip=[report_path])
    seen = {(h.path, h.what, h.resident) for h in hits_running}
    hits = hits_running + [h for h in hits_stopped if (h.path, h.what, h.resident) not in seen]
    scanned = (
        f"{len(found)} needles (6 residents: name, ID number, phone in UTF-8, GB18030, "
        f"UTF-16; card photo slices and hashes) searched in {files_1} files ({bytes_1 / 1e6:.1f}"
        f" MB) under {dirs.out} (kiosk data dir, log dir, TMPDIR, HOME, XDG cache and runtime "
        f"dirs, screenshots, the soak's session log; not this report) and {len(shm_new)} new "
        f"files in /dev/shm, with the kiosk idle after the last session, and again after it "
        f"stopped ({files_2} files, {bytes_2 / 1e6:.1f} MB)"
    )
    with contextlib.suppress(OSError):
        shutil.copy(sim_dir / "pcscd.log", dirs.out / "pcscd.log")
    with contextlib.suppress(Exception):
        sims.call("shutdown")
    sims.close()
    camera_sims.close()
    figures = soak_report.Figures(
        seed=args.seed,
        sessions_planned=args.sessions,
        results=driver.results,
        duration_s=duration,
        crashes=watch.crashes,
        errors=watch.errors,
        warnings=watch.warnings,
        samples=driver.samples,
        stalls=probe.worst(),
        stall_buckets=dict(probe.buckets),
        stall_ticks=probe.ticks,
        stall_causes=dict(probe.causes),
        harness_gui_s=probe.harness_total_s,
        hits=hits,
        scanned=scanned,
        aborted=driver.aborted,
        isolation=isolation,
        version=version,
        timeouts=", ".join(f"{k} {v:g}" for k, v in SOAK_TIMEOUTS.items()),
        config_notes=notes,
        platform_statuses=statuses,
    )
    text = soak_report.render(figures)
    report_path.write_text(text, encoding="utf-8")
    # The same figures for tools/bench_session.py (the benchmark's memory row).
    (dirs.out / "soak-figures.json").write_text(
        json.dumps(
            {
                "sessions": len(driver.results),
                "rss_mb": {str(s.session): round(s.rss_kb / 1024, 2) for s in driver.samples},
                "fds": {str(s.session): s.fds for s in driver.samples},
                "longest_stall_ms": figures.stalls[0].late_ms if figures.stalls else 0.0,
                "stalls_over_33_ms": probe.buckets[33],
            }
        ),
        encoding="utf-8",
    )
    print(text, flush=True)
    return 0 if all(row[3] for row in soak_report.targets(figures)) else 1


if __name__ == "__main__":
    main()
