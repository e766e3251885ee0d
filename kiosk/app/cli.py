"""The ``kiosk`` command: run the kiosk, play the demo, diagnose, enroll, check a config.

This module is the process entry point. It is the one place in ``kiosk/`` allowed to reach the
UI (``kiosk run``) and the simulators (``kiosk demo``), and it imports them only inside those
commands, so ``kiosk diag`` works on a machine where Qt cannot start.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import faulthandler
import getpass
import json
import logging
import os
import socket
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from devices import errors as device_errors
from kiosk import config as kiosk_config
from kiosk import errors, memory
from kiosk.app import hardening
from kiosk.app.logging_setup import setup_logging
from kiosk.platform import credentials
from kiosk.staff import pin as staff_pin
from offline_cache import errors as cache_errors

# Each command loads the rest of the kiosk itself: `kiosk run` paints its idle screen before
# the platform client, its cryptography and the devices load (ui/startup.py).
if TYPE_CHECKING:
    from kiosk.staff import diagnostics

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("/etc/credit-kiosk/kiosk.toml")


def _config_path(args: argparse.Namespace) -> Path:
    return Path(args.config or os.environ.get("KIOSK_CONFIG") or DEFAULT_CONFIG)


def _load(args: argparse.Namespace) -> kiosk_config.KioskConfig:
    return kiosk_config.load_config(_config_path(args))


def cmd_run(args: argparse.Namespace) -> int:
    """Run the kiosk full screen with the configured devices and platform."""
    cfg = _load(args)
    hardening.forbid_core_dumps()
    # A fatal signal (the watchdog's SIGABRT on a frozen window) writes every thread's stack
    # to stderr, the journal: where it was stuck, with no data in it.
    faulthandler.enable(sys.__stderr__ or sys.stderr)
    setup_logging(
        Path(cfg.paths.log_dir),
        level=cfg.logging.level,
        max_bytes=cfg.logging.max_bytes,
        backup_count=cfg.logging.backup_count,
    )
    creds = credentials.CredentialStore().load()
    if creds is None:
        raise errors.NotEnrolled(
            "this terminal is not enrolled: ask the platform operator for an enrollment code, "
            "then run `kiosk enroll --code XXXXXXXX` as the kiosk user"
        )
    # python-escpos re-reads its printer database at every start unless this folder exists.
    escpos_cache = Path(cfg.paths.data_dir) / "escpos-cache"
    try:
        escpos_cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.KioskError(
            f"the data folder {cfg.paths.data_dir} cannot be used ({exc.strerror}): "
            "check [paths] data_dir"
        ) from None
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(escpos_cache))
    from ui import startup  # the UI is only needed here

    return startup.run(cfg, creds)


def cmd_demo(args: argparse.Namespace) -> int:
    """Start the simulators and the kiosk against them."""
    from simulators import demo  # only the demo command reaches the simulators

    return demo.run_demo(
        Path(args.out),
        autoplay=args.autoplay,
        resident=args.resident,
        certified_reader=args.reader == "certified",
        face=args.face,
    )


ENROLL_PATIENCE_S = 120.0


def cmd_enroll(args: argparse.Namespace) -> int:
    """Enroll this terminal with a one-time code and keep its credentials in the keyring."""
    from kiosk.app import composition

    cfg = _load(args)
    store = credentials.CredentialStore()
    # With --systemd-credential the credentials go to stdout for `systemd-creds encrypt`;
    # what is said to the operator goes to stderr, out of the pipe.
    say = sys.stderr if args.systemd_credential else sys.stdout
    try:
        hardware = composition.hardware_for_enrollment(cfg)
    except device_errors.DeviceError as exc:
        print(f"cannot read the card reader's security module: {exc}", file=sys.stderr)
        return 1
    # Staff wait at the terminal: a busy platform's Retry-After is waited out, and said.
    client = composition.build_platform_client(cfg, None, patience_s=ENROLL_PATIENCE_S)
    client.on_wait = lambda seconds: print(
        f"the platform is busy: trying again in {seconds:.0f} s", file=say, flush=True
    )
    try:
        creds = client.enroll(args.code.strip(), socket.gethostname(), hardware)
        approvals = client.approvals
    finally:
        client.close()
    if args.systemd_credential:
        print(credentials.encode(creds), flush=True)
        print(
            f"enrolled as terminal {creds.terminal_id}; encrypt the credential printed above "
            f"as {credentials.SYSTEMD_CREDENTIAL} (docs/deploy.md)",
            file=say,
        )
    else:
        store.save(creds)
        print(f"enrolled as terminal {creds.terminal_id}; credentials are in the OS keyring")
    for reader in hardware.readers:
        sam = f", security module {reader.sam_id}" if reader.sam_id else ""
        print(f"declared reader: {reader.kind} {reader.model}{sam}", file=say)
    if approvals is not None:
        print(
            "platform approvals: certified reader "
            f"{'yes' if approvals.security_module else 'not yet'}, face check "
            f"{'yes' if approvals.face else 'not yet'} (the platform's operators decide)",
            file=say,
        )
    return 0


def _terminal_id() -> str:
    try:
        creds = credentials.CredentialStore().load()
    except errors.KioskError:
        return "unenrolled"
    return creds.terminal_id if creds is not None else "unenrolled"


def cmd_diag(args: argparse.Namespace) -> int:
    """Check devices, platform and enrollment; non-zero exit when anything is red.

    With ``--json`` stdout carries one JSON object whatever happens (docs/staff.md): a missing
    or bad configuration, or any failure while diagnosing, is a red check in it.
    """

    if args.json:
        return _diag_json(args)
    checks: list[diagnostics.Check] = []
    _diagnose(_load(args), args, checks)
    for check in checks:
        print(f"[{check.level.upper():5}] {check.name}: {check.summary}")
    return _diag_status(checks)


def _diag_status(checks: list[diagnostics.Check]) -> int:
    from kiosk.staff import diagnostics

    return 1 if diagnostics.worst(checks) is diagnostics.RED else 0


def _diagnose(
    cfg: kiosk_config.KioskConfig, args: argparse.Namespace, checks: list[diagnostics.Check]
) -> None:
    """Run the checks (and the self-tests asked for) into ``checks``, so a failure halfway
    keeps what was found before it."""
    from kiosk.app import composition
    from kiosk.staff import diagnostics

    diagnosis = composition.build_diagnosis(cfg)
    checks += diagnostics.run_checks(diagnosis, deadline_s=args.deadline)
    if args.read_card:
        checks.append(diagnostics.read_test_card(diagnosis))
    if args.print_test:
        try:
            job = diagnostics.build_test_page(
                _terminal_id(), dt.datetime.now(dt.UTC), cfg.printer.columns
            )
            diagnostics.print_job(diagnosis, job)
            checks.append(diagnostics.Check("test page", diagnostics.GREEN, "printed"))
        except device_errors.DeviceError as exc:
            checks.append(
                diagnostics.Check("test page", diagnostics.RED, f"{type(exc).__name__}: {exc}")
            )


def _diag_json(args: argparse.Namespace) -> int:
    """``kiosk diag --json``: the diagnosis as one JSON object, always."""
    from kiosk.staff import diagnostics

    path = _config_path(args)
    checks: list[diagnostics.Check] = []
    terminal_id: str | None = None
    with _stdout_to_stderr():
        try:
            try:
                cfg = kiosk_config.load_config(path)
            except errors.KioskError as exc:  # missing, unreadable, not TOML, bad values
                checks.append(diagnostics.configuration_check(path, exc))
            else:
                _diagnose(cfg, args, checks)
        except Exception as exc:  # noqa: BLE001 - whatever it is, the fleet tool gets JSON
            traceback.print_exc(file=sys.stderr)
            checks.append(diagnostics.failed_check(exc))
        try:
            creds = credentials.CredentialStore().load()
            terminal_id = None if creds is None else creds.terminal_id
        except Exception:  # noqa: BLE001 - the enrollment check says why
            terminal_id = None
    document = diagnostics.diagnosis_document(
        checks, terminal_id=terminal_id, checked_at=dt.datetime.now(dt.UTC)
    )
    print(json.dumps(document, ensure_ascii=False, indent=2), flush=True)
    return _diag_status(checks)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """While diagnosing, whatever is printed (a library writing to file descriptor 1
    included) goes to stderr: stdout carries the JSON document only."""
    sys.stdout.flush()
    try:
        saved: int | None = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no descriptor 1 to move: Python's own prints are redirected still
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def cmd_staff_pin(args: argparse.Namespace) -> int:
    """Ask for a new staff PIN twice; print the ``staff.pin_hash`` line for the config."""
    pin = getpass.getpass("new staff PIN (6-12 digits): ")
    if not staff_pin.valid_pin(pin):
        print("kiosk staff-pin: a staff PIN is 6 to 12 digits", file=sys.stderr)
        return 2
    if getpass.getpass("the same PIN again: ") != pin:
        print("kiosk staff-pin: the two PINs differ", file=sys.stderr)
        return 2
    print("put this line in the [staff] section of the configuration:")
    print(f'pin_hash = "{staff_pin.hash_pin(pin).encode()}"')
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate a configuration file."""
    path = _config_path(args)
    kiosk_config.load_config(path)
    print(f"{path}: OK")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="kiosk", description="Credit-report kiosk")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", help=f"TOML file (default $KIOSK_CONFIG or {DEFAULT_CONFIG})")
        return p

    with_config(sub.add_parser("run", help="run the kiosk")).set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="run the kiosk against the built-in simulators")
    demo.add_argument("--out", default="out/demo", help="folder for screenshots, PDF, receipt")
    demo.add_argument(
        "--autoplay",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="play one session by itself (default: when there is no display)",
    )
    demo.add_argument(
        "--resident",
        default="zhang_wei",
        help="synthetic resident whose card is inserted (zhang_wei, wang_xiuying, li_na, ...)",
    )
    demo.add_argument(
        "--reader",
        choices=("rid1", "certified"),
        default="rid1",
        help="rid1: the RID-1 card through pcscd (default); certified: a certified reader "
        "with a security module (the vendor-library simulator)",
    )
    demo.add_argument(
        "--face",
        choices=("follow", "printed-photo", "off"),
        default="follow",
        help="before the simulated camera: the resident following the screen (default), "
        "someone holding up the resident's printed photo, or no camera (no face check)",
    )
    demo.set_defaults(func=cmd_demo)
    diag = with_config(sub.add_parser("diag", help="check devices and platform"))
    diag.add_argument(
        "--json",
        action="store_true",
        help="one JSON object (level, terminal_id, version, checked_at, checks), even for a "
        "missing or bad configuration",
    )
    diag.add_argument("--print-test", action="store_true", help="also print a test page")
    diag.add_argument(
        "--read-card", action="store_true", help="also try the card in the reader (reads no data)"
    )
    diag.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds every check may take (default staff.check_deadline_s)",
    )
    diag.set_defaults(func=cmd_diag)
    enroll = with_config(sub.add_parser("enroll", help="enroll this terminal"))
    enroll.add_argument("--code", required=True, help="one-time enrollment code (8 characters)")
    enroll.add_argument(
        "--systemd-credential",
        action="store_true",
        help="print the credentials for `systemd-creds encrypt` instead of using the keyring",
    )
    enroll.set_defaults(func=cmd_enroll)
    sub.add_parser("staff-pin", help="make the staff PIN hash for the config").set_defaults(
        func=cmd_staff_pin
    )
    with_config(sub.add_parser("check-config", help="validate the configuration")).set_defaults(
        func=cmd_check_config
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiosk`` console script."""
    memory.limit_arenas()  # before any thread starts (kiosk/memory.py)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (errors.KioskError, cache_errors.CacheError, device_errors.DeviceError) as exc:
        # The kiosk's own storage or a device refused at start: said, not a traceback.
        print(f"kiosk {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
