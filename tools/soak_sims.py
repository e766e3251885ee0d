"""The soak's simulators in a process of their own, driven over a local socket.

``python -m tools.soak_sims SOCKET DIR`` starts pcscd with the vpcd reader, the virtual RID-1
cards of the residents, the HTTPS platform simulator, the raw ESC/POS virtual printer and the
MJPEG camera simulator, then answers calls (``SimHost``'s public methods) from the soak. Kept
out of the kiosk's process so that the kiosk's memory, file descriptors and event-loop stalls
are its own: the simulators keep every job, request and frame they render, and their TLS,
signing and frame rendering would compete with the kiosk for its interpreter.

``Sims`` is the soak's side: one connection per thread, each call a round trip.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

AUTHKEY_ENV = "KIOSK_SOAK_AUTHKEY"
READY_LINE = "soak-sims-ready"
# The residents the soak rotates through: RID-1 cards read over pcscd (the permit and the
# foreigner's card need the certified reader, which is not pcscd's path).
SOAK_RESIDENTS = ("zhang_wei", "wang_xiuying", "li_na", "chen_jing", "zhao_lei", "liu_xiaoyu")
# Their card photos: the astronaut (the camera simulator's face) at a quality of their own, so
# every card's EF.PHOTO has bytes of its own; the child's card a synthetic face-free picture.
FACE_PHOTO_QUALITY = {
    "zhang_wei": 60,
    "wang_xiuying": 62,
    "li_na": 64,
    "chen_jing": 66,
    "zhao_lei": 68,
}
PCSCD_START_TIMEOUT_S = 20.0

log = logging.getLogger("tools.soak_sims")


class SimError(RuntimeError):
    """A simulator call failed in the simulators' process."""


@dataclasses.dataclass(frozen=True)
class SimInfo:
    """Where the simulators listen, and what the soak needs to know of the cards."""

    platform_url: str
    ca_bundle: str
    printer_port: int
    camera_url: str
    reader: str
    pcscd_owned: bool
    photos: dict[str, bytes]  # resident key -> their card's EF.PHOTO (JPEG)


class SimHost:
    """Every simulator of the soak, and the switches the soak pulls (the simulators' process)."""

    def __init__(self, data_dir: Path, *, own_pcscd: bool) -> None:
        """``own_pcscd``: start pcscd here; else use one that already runs (or start one)."""
        from simulators import card_factory, pcscd, virtual_card
        from simulators.camera_server import CameraSimulator, card_photo_jpeg
        from simulators.platform_server import PlatformSimulator
        from simulators.residents import RESIDENTS
        from simulators.virtual_printer import VirtualPrinter

        self._stack = contextlib.ExitStack()
        self._lock = threading.Lock()
        self._virtual_card = virtual_card
        self._pcscd_mod = pcscd
        self.sms_codes: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.pcscd: pcscd.PcscdProcess | None = None
        answers, readers = (False, []) if own_pcscd else pcscd.list_readers()
        if not answers:
            self.pcscd = pcscd.PcscdProcess(data_dir)
            self.pcscd.start()
            self._stack.callback(self.pcscd.stop)
        elif pcscd.VPCD_READER not in readers:
            raise SimError(f"the running pcscd has no {pcscd.VPCD_READER!r} (readers: {readers})")
        issuer = card_factory.make_issuer_ca()
        self.residents = {key: RESIDENTS[key] for key in SOAK_RESIDENTS}
        self.cards: dict[str, card_factory.CardImage] = {}
        self.photos: dict[str, bytes] = {}
        for key, resident in self.residents.items():
            quality = FACE_PHOTO_QUALITY.get(key)
            photo = (
                card_photo_jpeg("astronaut", quality=quality)
                if quality is not None
                else card_factory.make_photo_jpeg(key)
            )
            self.cards[key] = card_factory.issue_card(resident, issuer, photo_jpeg=photo)
            self.photos[key] = photo
        self.card: virtual_card.VirtualCardClient | None = None
        self.printer = self._stack.enter_context(VirtualPrinter(port=0))
        self.printer_listening = True
        self.platform = self._stack.enter_context(
            PlatformSimulator(
                data_dir / "platform",
                issuer_ca_certs=[issuer.cert_der],
                sms_sink=lambda _phone, code: self.sms_codes.put(code),
                auto_approve=True,
            )
        )
        self.camera = self._stack.enter_context(CameraSimulator())
        self._stack.callback(self.remove_card)

    # ------------------------------------------------------------------ the soak's calls
    def info(self) -> dict[str, Any]:
        """Addresses and the cards' photos (``SimInfo``'s fields: this module is
        ``__main__`` over here, so its classes do not travel)."""
        return dataclasses.asdict(
            SimInfo(
                platform_url=self.platform.base_url,
                ca_bundle=self.platform.ca_bundle_path,
                printer_port=self.printer.port,
                camera_url=self.camera.url,
                reader=self._pcscd_mod.VPCD_READER,
                pcscd_owned=self.pcscd is not None,
                photos=dict(self.photos),
            )
        )

    def new_enrollment_code(self) -> str:
        """A one-time enrolment code, as staff would get one."""
        return self.platform.new_enrollment_code()

    def insert_card(self, resident: str, pull_out_after: int | None = None) -> None:
        """Put ``resident``'s card on the vpcd reader (``pull_out_after``: it leaves after
        answering that many APDUs, mid-read)."""
        self.remove_card()
        applet = self._virtual_card.Rid1Applet(self.cards[resident], pull_out_after=pull_out_after)
        card = self._virtual_card.VirtualCardClient(applet, port=self._pcscd_mod.VPCD_PORT)
        card.insert()
        self.card = card

    def remove_card(self) -> None:
        """Take the card off the reader (nothing when none is there)."""
        card, self.card = self.card, None
        if card is not None:
            card.remove()

    def wait_reader_empty(self, timeout_s: float) -> bool:
        """Wait until pcscd sees no card in the vpcd reader (it polls vpcd every 0.4 s: a
        card taken and another put down within one poll would go unnoticed by pcscd, which
        no hand does); False after ``timeout_s``."""
        from smartcard import scard

        reader = self._pcscd_mod.VPCD_READER
        deadline = time.monotonic() + timeout_s
        while True:
            hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hr == scard.SCARD_S_SUCCESS:
                try:
                    hr, states = scard.SCardGetStatusChange(
                        ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
                    )
                finally:
                    scard.SCardReleaseContext(ctx)
                busy = scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_PRESENT
                if hr == scard.SCARD_S_SUCCESS and not int(states[0][1]) & busy:
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)  # polling interval

    def card_present(self) -> bool:
        """Whether a card is connected to vpcd (a pulled-out or pcscd-dropped one is not)."""
        return self.card is not None and self.card.inserted

    def take_sms_code(self, timeout_s: float) -> str | None:
        """The oldest SMS code sent and not yet taken, waiting up to ``timeout_s``."""
        try:
            return self.sms_codes.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def drain_sms(self) -> int:
        """Forget codes nobody typed; how many."""
        count = 0
        with contextlib.suppress(queue.Empty):
            while True:
                self.sms_codes.get_nowait()
                count += 1
        return count

    def kill_pcscd(self) -> None:
        """SIGKILL pcscd (a crash); its vpcd connection, so the card, goes with it."""
        if self.pcscd is None:
            raise SimError("pcscd is not ours to kill")
        self.pcscd.stop(kill=True)
        self.remove_card()

    def start_pcscd(self) -> None:
        """Start pcscd again; returns once it lists the vpcd reader."""
        if self.pcscd is None:
            raise SimError("pcscd is not ours to start")
        if not self.pcscd.running:
            self.pcscd.start()

    def pcscd_running(self) -> bool:
        """Whether our pcscd runs (True for a system pcscd)."""
        return self.pcscd is None or self.pcscd.running

    def platform_fault(
        self,
        kind: str,
        count: int,
        path_pattern: str,
        *,
        status: int = 503,
        retry_after_s: int = 0,
        delay_s: float = 0.0,
    ) -> None:
        """Queue ``count`` injected faults for the platform paths matching ``path_pattern``."""
        from simulators.platform_server import Fault

        fault = Fault(
            kind,
            status=status,
            retry_after_s=retry_after_s,
            delay_s=delay_s,
            path_pattern=path_pattern,
        )
        self.platform.inject(fault, count)

    def clear_platform_faults(self) -> int:
        """Forget faults the session did not reach; how many."""
        return self.platform.clear_faults()

    def expire_token(self, token: str) -> None:
        """Age a resident's access token past its end."""
        self.platform.expire_token(token)

    def expire_session(self, session_id: str) -> None:
        """Age a resident's platform session past its end."""
        self.platform.expire_session(session_id)

    def objections(self) -> int:
        """Disputes the platform holds."""
        return len(self.platform.objections)

    def platform_statuses(self) -> dict[str, int]:
        """Answered requests by status (``0``: connection dropped), over the whole run."""
        return {str(k): v for k, v in Counter(e.status for e in self.platform.request_log).items()}

    def printer_state(self, paper: str = "ok", cover_open: bool = False) -> None:
        """What DLE EOT reports from now on (``paper``: ok, near_end, end)."""
        if paper == "end":
            self.printer.set_state("end", cover_open)
        elif paper == "near_end":
            self.printer.set_state("near_end", cover_open)
        else:
            self.printer.set_state("ok", cover_open)

    def printer_fail_after(self, n_bytes: int, kind: str) -> None:
        """Break the next printer connection after ``n_bytes`` (paper_end or drop)."""
        self.printer.fail_after(n_bytes, "paper_end" if kind == "paper_end" else "drop")

    def printer_reset(self) -> None:
        """Paper in, cover shut, no pending fault, answering at once, listening."""
        self.printer.cancel_fault()
        self.printer.reply_delay_s = 0.0
        self.printer.set_state("ok")
        if not self.printer_listening:
            self.printer_on()

    def printer_reply_delay(self, seconds: float) -> None:
        """Hold back each status reply by ``seconds``."""
        self.printer.reply_delay_s = seconds

    def printer_off(self) -> None:
        """Switch the printer off: every connection cut, nothing listens."""
        self.printer.stop()
        self.printer_listening = False

    def printer_on(self) -> None:
        """Switch it on again, on the same port."""
        if not self.printer_listening:
            self.printer.start()
            self.printer_listening = True

    def printer_jobs(self) -> int:
        """Jobs that put something on paper so far."""
        return sum(1 for job in self.printer.jobs if job.has_content)

    def last_job(self, resident: str) -> dict[str, bool]:
        """The newest job with content: whether it was cut, and whether the resident's full
        name, ID number or phone number is on the paper (the receipt carries masked forms)."""
        jobs = [job for job in self.printer.jobs if job.has_content]
        if not jobs:
            return {}
        job = jobs[-1]
        text = "\n".join(job.lines)
        who = self.residents[resident]
        return {
            "cut": job.cut,
            "name": who.name in text,
            "id_number": who.id_number in text,
            "phone": who.phone is not None and who.phone in text,
        }

    def camera_scene(self, scene: str) -> None:
        """What the camera shows from now on (``unplugged`` cuts its streams)."""
        from simulators.camera_server import SCENES

        for known in SCENES:
            if known == scene:
                self.camera.set_scene(known)
                return
        raise SimError(f"unknown scene {scene!r}")

    def camera_follow(self, prompt: str) -> None:
        """The resident does what the face check's instruction says (``follow_prompts``)."""
        from simulators.camera_server import SCENE_FOR_PROMPT

        scene = SCENE_FOR_PROMPT.get(prompt)
        if scene is not None and self.camera.scene in ("straight", "turn_left", "turn_right"):
            self.camera.set_scene(scene)

    def close(self) -> None:
        """Stop every simulator (and our pcscd)."""
        self._stack.close()


_CALLS = frozenset(
    name for name in vars(SimHost) if not name.startswith("_") and name not in ("close",)
)


def _serve_connection(host: SimHost, conn: Connection, stop: threading.Event) -> None:
    with conn:
        while not stop.is_set():
            try:
                name, args, kwargs = conn.recv()
            except (EOFError, OSError):
                return
            if name == "shutdown":
                conn.send(("ok", None))
                stop.set()
                return
            if name not in _CALLS:
                conn.send(("err", f"no such call {name!r}"))
                continue
            try:
                result = getattr(host, name)(*args, **kwargs)
            except Exception as exc:
                log.exception("call %s failed", name)
                conn.send(("err", f"{type(exc).__name__}: {exc}"))
            else:
                conn.send(("ok", result))


def serve(socket_path: Path, data_dir: Path, *, own_pcscd: bool) -> int:
    """Start the simulators, say so on stdout, answer calls until ``shutdown`` or SIGTERM."""
    logging.basicConfig(
        filename=data_dir / "sims.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s",
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    authkey = bytes.fromhex(os.environ[AUTHKEY_ENV])
    host = SimHost(data_dir, own_pcscd=own_pcscd)
    orphaned = False
    try:
        with Listener(str(socket_path), family="AF_UNIX", authkey=authkey) as listener:
            print(READY_LINE, flush=True)
            threads: list[threading.Thread] = []

            def accept() -> None:
                while not stop.is_set():
                    try:
                        conn = listener.accept()
                    except OSError:
                        return
                    thread = threading.Thread(
                        target=_serve_connection, args=(host, conn, stop), daemon=True
                    )
                    thread.start()
                    threads.append(thread)

            threading.Thread(target=accept, name="sims-accept", daemon=True).start()
            parent = os.getppid()
            while not stop.wait(0.2):
                if os.getppid() != parent:  # the soak died (a crash): stop with it
                    orphaned = True
                    stop.set()
    finally:
        host.close()
    if orphaned:  # nobody is left to clear the simulators' folder
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


class Sims:
    """The soak's handle on the simulators' process: one connection, calls one at a time."""

    def __init__(self, socket_path: Path, authkey: bytes) -> None:
        self._conn = Client(str(socket_path), family="AF_UNIX", authkey=authkey)
        self._lock = threading.Lock()

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``SimHost.<name>`` over there; its result, or ``SimError``."""
        with self._lock:
            self._conn.send((name, args, kwargs))
            status, result = self._conn.recv()
        if status != "ok":
            raise SimError(f"{name}: {result}")
        return result

    def close(self) -> None:
        """Close this connection."""
        with contextlib.suppress(OSError):
            self._conn.close()


def wait_for_socket(path: Path, timeout_s: float) -> None:
    """Wait until ``path`` exists (the simulators' process listens)."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise SimError(f"the simulators did not listen on {path} within {timeout_s:g} s")
        time.sleep(0.05)  # polling interval


def main() -> None:
    """``python -m tools.soak_sims SOCKET DIR [--system-pcscd]``."""
    socket_path, data_dir = Path(sys.argv[1]), Path(sys.argv[2])
    sys.exit(serve(socket_path, data_dir, own_pcscd="--system-pcscd" not in sys.argv[3:]))


if __name__ == "__main__":
    main()
