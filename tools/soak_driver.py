"""The soak's residents: one driver thread plays every session through the kiosk's real
window, tapping its buttons on the GUI thread (``GuiBridge``) as a finger would, and pulls
the simulators' switches (``Sims``) to inject each session's fault.

It reacts to what the kiosk shows rather than following a fixed script, so a fault that
takes the kiosk somewhere unexpected is followed, not fought: the resident answers the
screen in front of them, and leaves (takes their card) when there is nothing more to do.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QLineEdit,
    QWidget,
)

from kiosk import privacy
from kiosk.flow import session
from simulators import touch
from simulators.platform_server import DEMO_STAFF
from simulators.residents import RESIDENTS
from tools.soak_plan import PCSCD_KILL, PLATFORM_PATHS, Plan, Planner
from tools.soak_sims import SimError, Sims
from tools.soak_watch import CrashWatch, GuiBridge, Resources, StallProbe, resources
from ui import app as ui_app
from ui import main_window
from ui.screens import base, consent, done, error, idle, report, second_factor
from ui.widgets import alnum_keypad

log = logging.getLogger("tools.soak")

Phase = session.Phase
Factor = session.Factor
FaceStage = session.FaceStage
View = session.ReportView

POLL_S = 0.02
CARD_SEEN_S = 10.0  # pcscd polls vpcd every 0.4 s; a card must be seen well within this
STEP_S = 30.0  # the kiosk answers a tap, or finishes a busy step, within this
SESSION_S = 240.0  # one resident's whole visit, faults included, at most
PRINTER_KEYS = frozenset({"paper_out", "cover_open", "printer_error"})
STAFF_ID, STAFF_PIN = next(iter(DEMO_STAFF.items()))
DISPUTE_REASONS = tuple(code for code, _text in session.DISPUTE_REASONS)
MEASURE_EVERY = 50  # sessions between two resource samples (and at 10 and the last)
SETTLE_S = 3.0  # idle time before resources are measured (workers finish, sockets close)
# Printer faults arm a fault for the receipt's own connection once the platform records the
# copy (the status check's connection comes first); the record is held back this long to
# leave the driver time to arm it.
PRINT_RECORD_HOLD_S = 0.5
PHASE_ORDER = (
    Phase.CONSENT,
    Phase.READING_CARD,
    Phase.VERIFYING,
    Phase.SECOND_FACTOR,
    Phase.REPORT,
    Phase.PRINTING,
    Phase.DONE,
)
STEP_PHASE = {
    "idle": Phase.IDLE,
    "consent": Phase.CONSENT,
    "reading": Phase.READING_CARD,
    "verifying": Phase.VERIFYING,
    "second_factor": Phase.SECOND_FACTOR,
    "report": Phase.REPORT,
    "report_page": Phase.REPORT,
    "printing": Phase.PRINTING,
    "done": Phase.DONE,
}


# Simulator calls that only look (not worth naming as the last action before a stall).
_QUIET_CALLS = frozenset({"printer_jobs", "last_job", "drain_sms", "take_sms_code",
                          "card_present", "pcscd_running", "clear_platform_faults",
                          "wait_reader_empty"})  # fmt: skip


class GaveUp(Exception):
    """The resident cannot go on (the kiosk did not answer, or showed nothing to do)."""


class Abort(Exception):
    """The soak cannot go on (the kiosk no longer sees cards, or stays stuck)."""


@dataclasses.dataclass
class SessionResult:
    """What one session did and what came of it (resident keys only: no personal data)."""

    number: int
    resident: str
    factor: str
    large_text: bool
    extras: list[str]
    exit: str
    fault: str | None
    fault_detail: str
    fault_applied: bool = False
    fault_phase: str = ""
    outcome: str = ""
    factors_used: list[str] = dataclasses.field(default_factory=list)
    phases: list[str] = dataclasses.field(default_factory=list)
    messages: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    second_resident: str = ""
    reached_report: bool = False
    printed: bool = False
    reprints: int = 0
    duration_s: float = 0.0
    return_s: float | None = None  # last action (card out, or walking away) to idle
    stuck: bool = False
    stuck_detail: str = ""
    gave_up: str = ""
    unused_platform_faults: int = 0
    stall_max_ms: float = 0.0


@dataclasses.dataclass
class SoakOptions:
    """What the driver needs besides the kiosk."""

    sessions: int
    out_dir: Path
    shots: int  # sessions whose every screen is saved as PNG (and any stuck session's)
    rules: session.Rules
    started: float
    isolated: bool


ScreenT = TypeVar("ScreenT", bound=base.Screen)


def _screen(window: main_window.KioskWindow, kind: type[ScreenT]) -> ScreenT:
    screen = window.screen_of(kind)
    assert isinstance(screen, kind)
    return screen


class Screens:
    """The kiosk's screens the resident taps (built on the GUI thread)."""

    def __init__(self, kiosk: ui_app.KioskApp) -> None:
        window = kiosk.window
        self.window = window
        self.idle = _screen(window, idle.IdleScreen)
        self.consent = _screen(window, consent.ConsentScreen)
        self.factor = _screen(window, second_factor.SecondFactorScreen)
        self.report = _screen(window, report.ReportScreen)
        self.done = _screen(window, done.DoneScreen)
        self.error = _screen(window, error.ErrorScreen)


class Driver:
    """Plays the sessions on its own thread; the GUI thread only runs its taps."""

    def __init__(
        self,
        kiosk: ui_app.KioskApp,
        sims: Sims,
        bridge: GuiBridge,
        planner: Planner,
        options: SoakOptions,
        watch: CrashWatch,
        probe: StallProbe,
    ) -> None:
        self.kiosk = kiosk
        self.controller = kiosk.controller
        self.sims = sims
        self.bridge = bridge
        self.planner = planner
        self.options = options
        self.watch = watch
        self.probe = probe
        self.screens = Screens(kiosk)  # built on the GUI thread, before the loop runs
        self.rng = random.Random(planner.rng.random())
        self.results: list[SessionResult] = []
        self.samples: list[Resources] = []
        self.aborted = ""
        self.finished_at = 0.0
        self.current = 0  # the session being played (0: none yet)
        self.current_fault = "-"
        self.action = ""  # the driver's last tap or switch, for the stall report
        self._changed = threading.Event()
        self._timeline_lock = threading.Lock()
        self._timeline: list[tuple[str, str | None]] = []
        self._prompts: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._last_prompt: str | None = None
        self._shot = 0
        self.thread = threading.Thread(target=self._run, name="soak-driver", daemon=True)
        self.controller.add_listener(self._on_state)

    # ------------------------------------------------------------------ plumbing
    def where(self) -> tuple[int, str, str, str]:
        """(session, phase, fault, last action) for the stall probe and the crash watch."""
        return self.current, self.controller.state.phase.value, self.current_fault, self.action

    def _on_state(self, state: session.SessionState) -> None:
        """Controller listener (GUI thread): the session's path, and the face check's
        instructions for the camera's resident."""
        key = state.step.message.key if state.step.message is not None else None
        with self._timeline_lock:
            if not self._timeline or self._timeline[-1] != (state.phase.value, key):
                self._timeline.append((state.phase.value, key))
        prompt = state.step.face_prompt
        if prompt != self._last_prompt:
            self._last_prompt = prompt
            if prompt is not None:
                self._prompts.put(prompt)
        self._changed.set()

    def follow_camera(self, camera_sims: Sims) -> None:
        """The resident before the camera turns as asked (its own thread and connection)."""

        def follow() -> None:
            while True:
                prompt = self._prompts.get()
                if prompt is None:
                    return
                try:
                    camera_sims.call("camera_follow", prompt)
                except (SimError, OSError, EOFError) as exc:
                    log.warning("camera follow failed: %s", exc)

        threading.Thread(target=follow, name="soak-camera-follow", daemon=True).start()

    @property
    def state(self) -> session.SessionState:
        """The kiosk's state now (an immutable value: safe to read from this thread)."""
        return self.controller.state

    def wait(self, ready: Callable[[session.SessionState], bool], timeout_s: float) -> bool:
        """Wait until ``ready(state)``; False after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            self._changed.clear()
            if ready(self.state):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._changed.wait(min(remaining, POLL_S * 5))

    def wait_change(self, old: session.SessionState, timeout_s: float = STEP_S) -> None:
        """Wait until the state is another one than ``old``."""
        if not self.wait(lambda s: s is not old, timeout_s):
            raise GaveUp(f"nothing changed for {timeout_s:g} s: {describe(old)}")

    def press(self, get: Callable[[], QAbstractButton | None], what: str) -> None:
        """Tap a button once it is on screen and enabled (within ``STEP_S``)."""

        def tap() -> bool:
            button = get()
            if button is None or not button.isVisible() or not button.isEnabled():
                return False
            touch.tap(button)
            return True

        self.action = f"tap {what}"
        deadline = time.monotonic() + STEP_S
        while not self.bridge.call(tap, harness=False):
            if time.monotonic() > deadline:
                raise GaveUp(f"“{what}” not there to tap: {describe(self.state)}")
            time.sleep(POLL_S)

    def gui(self, fn: Callable[[], Any]) -> Any:
        """Look at the window (the soak's own time on the GUI thread)."""
        return self.bridge.call(fn)

    def shot(self, name: str) -> None:
        """Save the window as a PNG in ``screens/``."""
        self._shot += 1
        path = self.options.out_dir / "screens" / f"{self.current:04d}-{self._shot:03d}-{name}.png"
        path.parent.mkdir(exist_ok=True)
        self.gui(lambda: self.screens.window.grab().save(str(path)))

    def sim(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """A simulator switch."""
        if name not in _QUIET_CALLS:
            self.action = name
        return self.sims.call(name, *args, **kwargs)

    # ------------------------------------------------------------------ the run
    def start(self) -> None:
        """Play every session on the driver thread; the Qt loop exits at the end."""
        self.thread.start()

    def _run(self) -> None:
        try:
            self._play_all()
        except Abort as exc:
            self.aborted = str(exc)
            log.error("soak aborted: %s", exc)
        except Exception as exc:
            self.aborted = f"the soak's driver failed: {type(exc).__name__}: {exc}"
            log.exception("soak driver failed")
        finally:
            self.finished_at = time.monotonic()
            self._prompts.put(None)
            self.bridge.call(lambda: self.kiosk.qt_app.exit(0))

    def _play_all(self) -> None:
        options = self.options
        progress = options.out_dir / "sessions.jsonl"
        progress.unlink(missing_ok=True)
        for number in range(1, options.sessions + 1):
            plan = self.planner.plan(number)
            result = self.play(plan)
            self.results.append(result)
            with progress.open("a", encoding="utf-8") as out:
                out.write(json.dumps(dataclasses.asdict(result), ensure_ascii=False) + "\n")
            if number in (10, options.sessions) or number % MEASURE_EVERY == 0:
                self.settle()
                sample = resources(number)
                widgets, objects = self.gui(_census)  # the soak's time, not a stall
                self.samples.append(
                    dataclasses.replace(sample, widgets=widgets, py_objects=objects)
                )
            if number % 25 == 0 or number == options.sessions:
                print(self.progress_line(), flush=True)
            if result.stuck and not self._recovered():
                raise Abort(f"the kiosk stayed stuck after session {number}: {result.stuck_detail}")

    def progress_line(self) -> str:
        """A line for the console every 25 sessions (no personal data)."""
        done_ = self.results
        elapsed = time.monotonic() - self.options.started
        stuck = sum(r.stuck for r in done_)
        return (
            f"[soak] {len(done_)} sessions in {elapsed / 60:.1f} min, "
            f"{len(self.watch.crashes)} crashes, {stuck} stuck, "
            f"{sum(bool(r.gave_up) for r in done_)} given up, "
            f"worst stall {max((s.late_ms for s in self.probe.worst()), default=0):.0f} ms"
            + (f", RSS {self.samples[-1].rss_kb / 1024:.1f} MB" if self.samples else "")
        )

    def settle(self) -> None:
        """Idle for ``SETTLE_S`` so workers finish and sockets close before a measurement."""
        time.sleep(SETTLE_S)

    def _recovered(self) -> bool:
        """After a stuck session: take the card, press what ends a session, wait once more."""
        with_card = False
        try:
            with_card = bool(self.sim("card_present"))
            self.sim("remove_card")
        except SimError as exc:
            log.warning("could not take the card: %s (card there: %s)", exc, with_card)
        for button in (self.screens.error.back_button, self.screens.done.finish_button):
            self.gui(_clicker(button))
        return self.wait(self.idle_clean, 60.0)

    # ------------------------------------------------------------------ one session
    def idle_clean(self, state: session.SessionState) -> bool:
        """Back at the idle screen with nothing of the resident left in the state."""
        return (
            state.phase is Phase.IDLE
            and state.resident == session.Resident(elder_mode=self.options.rules.elder_default)
            and state.step == session.Step()
        )

    def limit_s(self, plan: Plan) -> float:
        """How long the kiosk may take to come back to idle by itself: its longest screen
        limit (doubled in large text) plus 10 s."""
        rules = self.options.rules
        longest = max(rules.for_phase(phase, plan.large_text) for phase in Phase)
        return longest + 10.0

    def play(self, plan: Plan) -> SessionResult:
        """One resident's visit and the checks after it."""
        self.current, self.current_fault = plan.number, plan.describe_fault()
        with self._timeline_lock:
            self._timeline = []
        result = SessionResult(
            number=plan.number,
            resident=plan.resident,
            factor=plan.factor,
            large_text=plan.large_text,
            extras=list(plan.extras),
            exit=plan.exit,
            fault=plan.fault,
            fault_detail=plan.describe_fault(),
        )
        started = time.monotonic()
        visit = Visit(self, plan, result)
        shots = plan.number <= self.options.shots
        visit.shots = shots
        try:
            visit.prepare()
            visit.run()
        except GaveUp as exc:
            result.gave_up = str(exc)
            result.outcome = result.outcome or "gave up"
            log.warning("session %d: gave up: %s", plan.number, exc)
            if not shots:
                self.shot("gave-up")
        except SimError as exc:
            result.gave_up = f"simulator: {exc}"
            result.outcome = result.outcome or "gave up"
        visit.leave()
        left_at = visit.left_at or time.monotonic()
        back = self.wait(self.idle_clean, self.limit_s(plan))
        if back:
            result.return_s = round(time.monotonic() - left_at, 2)
            if visit.card_in_after_idle:
                visit.take_card_after_idle()
        else:
            result.stuck = True
            result.stuck_detail = f"{describe(self.state)} {self.limit_s(plan):g} s after leaving"
            self.shot("stuck")
            log.error("session %d stuck: %s", plan.number, result.stuck_detail)
        leftovers = self.gui(lambda: screen_leftovers(self.screens.window, visit.who))
        if leftovers and back:
            result.notes.append("on screen at idle: " + ", ".join(leftovers))
        if shots and back:
            self.shot("idle-after")
        visit.restore()
        result.duration_s = round(time.monotonic() - started, 2)
        with self._timeline_lock:
            result.phases = [phase for phase, _key in self._timeline]
            result.messages = sorted({key for _phase, key in self._timeline if key})
        result.stall_max_ms = round(self.probe.session_max.get(plan.number, 0.0), 1)
        return result


class Visit:
    """One resident at the kiosk: what they do on each screen, and the session's fault."""

    def __init__(self, driver: Driver, plan: Plan, result: SessionResult) -> None:
        self.d = driver
        self.plan = plan
        self.r = result
        self.rng = driver.rng
        self.resident = plan.resident  # whose card is on the reader
        self.who = RESIDENTS[plan.resident]
        self.todo = list(plan.extras)
        self.shots = False
        self.shot_keys: set[str] = set()
        self.card_in = False
        self.card_in_after_idle = False
        self.walked_away = 0.0
        self.left_at = 0.0  # when the resident's last act (card out, walking off) happened
        self.face_tried = False
        self.sms_typed_for = -1
        self.staff_tries = 0
        self.choices = 0
        self.error_seen = False
        self.looking_since = 0.0
        self.armed_print_fault = False
        self.jobs_before = 0
        self.printer_trouble = 0

    # ------------------------------------------------------------------ set up, leave
    def prepare(self) -> None:
        """Faults that wait for their call on the platform; the idle screen's large text."""
        plan, d = self.plan, self.d
        d.sim("drain_sms")
        self.jobs_before = int(d.sim("printer_jobs"))
        if plan.fault and plan.fault.startswith("platform_"):
            kind = {"platform_slow": "delay", "platform_malformed": "malformed"}.get(
                plan.fault, "status"
            )
            d.sim(
                "platform_fault",
                kind,
                plan.count,
                PLATFORM_PATHS[plan.step],
                status=429 if plan.fault == "platform_429" else 503,
                retry_after_s=int(plan.amount) if plan.fault == "platform_429" else 0,
                delay_s=plan.amount if plan.fault == "platform_slow" else 0.0,
            )
            self.r.fault_applied = True
        if plan.fault in ("paper_out_during", "printer_off_mid_job"):
            d.sim(
                "platform_fault", "delay", 1, PLATFORM_PATHS["prints"], delay_s=PRINT_RECORD_HOLD_S
            )
        if plan.fault == "printer_slow":
            d.sim("printer_reply_delay", plan.amount)
            self.r.fault_applied = True
        if plan.fault == PCSCD_KILL and plan.step == "idle":
            self.kill_pcscd(Phase.IDLE)
        if plan.large_text:
            d.press(lambda: d.screens.idle.elder_button, "看不清？点这里")
            if not d.wait(lambda s: s.resident.elder_mode, STEP_S):
                raise GaveUp("large text did not come on at the idle screen")
        self.insert(plan.resident, plan.count if plan.step == "reading" else None)

    def insert(self, resident: str, pull_out_after: int | None = None) -> None:
        """Put ``resident``'s card on the reader (once pcscd has seen the last one go)."""
        if not self.d.sim("wait_reader_empty", 5.0):
            self.r.notes.append("pcscd still saw a card 5 s after it was taken")
        self.d.sim("insert_card", resident, pull_out_after)
        self.card_in = True
        if pull_out_after is not None:
            self.r.fault_applied = True
            self.r.fault_phase = "reading_card"
            self.r.outcome = "card pulled mid-read"

    def take_card(self) -> None:
        """The card off the reader."""
        self.d.sim("remove_card")
        self.card_in = False
        self.left_at = time.monotonic()

    def leave(self) -> None:
        """The resident goes: with their card, or (walking away) without it."""
        if self.plan.exit == "walk_away" and self.walked_away and self.card_in:
            self.card_in_after_idle = True  # staff find it later
            return
        if self.card_in:
            self.take_card()

    def take_card_after_idle(self) -> None:
        """The card a resident forgot, taken off once the kiosk went back to idle."""
        self.take_card()
        time.sleep(1.0)  # pcscd sees it go; the kiosk ignores a removal at idle
        if not self.d.idle_clean(self.d.state):
            self.r.notes.append(
                f"not idle after the forgotten card was taken: {describe(self.d.state)}"
            )

    def restore(self) -> None:
        """Every simulator back to normal for the next resident."""
        d = self.d
        self.r.unused_platform_faults = int(d.sim("clear_platform_faults"))
        d.sim("printer_reset")
        d.sim("camera_scene", "straight")
        if not d.sim("pcscd_running"):
            d.sim("start_pcscd")
        if self.card_in:
            self.take_card()

    # ------------------------------------------------------------------ the visit
    def run(self) -> None:
        """From the card on the reader to the moment the resident leaves."""
        d, r = self.d, self.r
        if not d.wait(lambda s: s.phase is not Phase.IDLE, CARD_SEEN_S):
            r.notes.append("card not seen within 10 s: put down again")
            self.take_card()
            time.sleep(1.0)
            self.insert(self.resident)
            if not d.wait(lambda s: s.phase is not Phase.IDLE, CARD_SEEN_S):
                raise Abort(f"session {self.plan.number}: the kiosk no longer sees cards")
        started = time.monotonic()
        while True:
            if time.monotonic() - started > SESSION_S:
                raise GaveUp(f"the visit took over {SESSION_S:g} s: {describe(d.state)}")
            state = d.state
            if state.phase is Phase.IDLE:
                r.outcome = r.outcome or "back at idle by itself"
                return
            if self.fault_now(state):
                if not self.card_in:
                    return
                continue
            if self.shots:
                self.shoot(state)
            if state.step.busy or state.phase in (Phase.READING_CARD, Phase.VERIFYING):
                d.wait_change(state, 60.0 if state.step.pending is session.Pending.FACE else STEP_S)
                continue
            if self.act(state):
                return

    def shoot(self, state: session.SessionState) -> None:
        """A screenshot of each new screen (the first sessions only)."""
        key = f"{state.phase.value}-{state.step.factor.value}-{state.step.view.value}"
        if key not in self.shot_keys:
            self.shot_keys.add(key)
            self.d.shot(key)

    def act(self, state: session.SessionState) -> bool:
        """Do what this screen asks; True when the visit is over."""
        d, r = self.d, self.r
        match state.phase:
            case Phase.CONSENT:
                d.press(lambda: d.screens.consent.agree_button, "同意")
                d.wait_change(state)
            case Phase.SECOND_FACTOR:
                self.check_identity(state)
                self.second_factor(state)
            case Phase.REPORT:
                return self.on_report(state)
            case Phase.PRINTING:
                d.wait_change(state)
            case Phase.DONE:
                r.printed = r.printed or state.resident.printed
                r.outcome = "printed" if state.resident.printed else "finished"
                if state.resident.printed:
                    self.check_receipt()
                if self.plan.finish_on_done:
                    self.left_at = time.monotonic()
                    d.press(lambda: d.screens.done.finish_button, "完成")
                    d.wait(lambda s: s.phase is Phase.IDLE, STEP_S)
                return True
            case Phase.ERROR:
                key = state.step.message.key if state.step.message else "?"
                r.outcome = f"error screen: {key}"
                if self.plan.back_on_error:
                    self.left_at = time.monotonic()
                    d.press(lambda: d.screens.error.back_button, "返回")
                    d.wait(lambda s: s.phase is Phase.IDLE, STEP_S)
                return True
            case _:
                raise GaveUp(f"nothing to do on {describe(state)}")
        return False

    def check_identity(self, state: session.SessionState) -> None:
        """The identity on screen is the one of the card on the reader."""
        identity = state.resident.identity
        if identity is not None and identity.id_masked != self.who.id_masked:
            note = f"identity of another resident shown (card of {self.resident})"
            if note not in self.r.notes:
                self.r.notes.append(note)

    def second_factor(self, state: session.SessionState) -> None:  # noqa: C901
        d, r, plan = self.d, self.r, self.plan
        step, resident = state.step, state.resident
        identity = resident.identity
        screen = d.screens.factor
        has_sms = identity is not None and "sms_otp" in identity.second_factors
        if step.factor is Factor.CHOOSING:
            self.choices += 1
            if self.choices > 4:
                raise GaveUp(f"back at the choice of factor {self.choices} times")
            if plan.factor == "face" and not resident.face_offered and not self.face_tried:
                r.notes.append("face check planned but not offered")
            if plan.factor == "face" and resident.face_offered and not self.face_tried:
                self.face_tried = True
                r.factors_used.append("face")
                d.press(lambda: screen.choice_page.face_button, "刷脸核验")
            elif has_sms and (plan.factor != "staff" or self.staff_tries >= 2):
                r.factors_used.append("sms")
                d.press(lambda: screen.choice_page.sms_button, "发送短信验证码")
            else:
                r.factors_used.append("staff")
                d.press(lambda: screen.choice_page.staff_button, "请工作人员现场核验")
            d.wait_change(state)
        elif step.factor is Factor.FACE:
            if step.face_stage is FaceStage.CONSENT:
                d.press(lambda: screen.face_consent_page.agree_button, "同意，开始刷脸")
            elif step.face_stage is FaceStage.RETRY:
                d.press(lambda: screen.face_page.other_way_button, "换一种方式")
            else:
                d.wait_change(state, 60.0)
                return
            d.wait_change(state)
        elif step.factor is Factor.SMS:
            if plan.fault == "token_expired" and plan.variant == "session":
                self.expire_session(state)
            if not r.factors_used or r.factors_used[-1] != "sms":
                r.factors_used.append("sms")  # large text goes straight to the code
            if step.otp_sent and self.sms_typed_for != resident.otp_sends:
                code = d.sim("take_sms_code", 10.0)
                if code is None:
                    raise GaveUp("no SMS code came")
                self.sms_typed_for = resident.otp_sends
                for digit in str(code):
                    d.press(_key(screen.code_page.keypad.buttons, digit), f"key {digit}")
                d.press(lambda: screen.code_page.confirm_button, "确认")
                d.wait_change(state)
            elif step.message is not None and step.resend_ready:
                d.press(lambda: screen.code_page.resend_button, "重新发送验证码")
                d.wait_change(state)
            elif step.message is not None:
                r.factors_used.append("staff")
                d.press(lambda: screen.code_page.no_sms_button, "请工作人员核验")
                d.wait_change(state)
            else:
                d.wait_change(state, STEP_S)
        elif step.factor is Factor.STAFF:
            if plan.fault == "token_expired" and plan.variant == "session":
                self.expire_session(state)
            self.staff_tries += 1
            if not r.factors_used or r.factors_used[-1] != "staff":
                r.factors_used.append("staff")  # straight to staff: no phone, no face
            if self.staff_tries > 2:
                raise GaveUp(f"staff confirmation refused twice: {describe(state)}")
            page = screen.staff_page
            for key in STAFF_ID.lower():
                d.press(_key(page.alnum_keypad.buttons, key), f"key {key}")
            d.press(lambda: page.alnum_keypad.buttons[alnum_keypad.NEXT], "next")
            for digit in STAFF_PIN:
                d.press(_key(page.keypad.buttons, digit), f"key {digit}")
            d.press(lambda: page.confirm_button, "确认")
            d.wait_change(state)

    def on_report(self, state: session.SessionState) -> bool:
        """The report and its pages; True when the visit is over."""
        d, r, plan = self.d, self.r, self.plan
        screen = d.screens.report
        step = state.step
        if not r.reached_report:
            r.reached_report = True
            shown = state.resident.report
            if shown is not None and shown.subject.id_masked != self.who.id_masked:
                r.notes.append(f"report of another resident shown (card of {self.resident})")
        if step.view is not View.REPORT:
            back = {
                View.GUIDE: lambda: screen.guide_page.back_button,
                View.DISPUTE: lambda: screen.dispute_page.cancel_button,
                View.SHARE: lambda: screen.share_page.back_button,
            }[step.view]
            d.press(back, "返回")
            d.wait_change(state)
            return False
        if step.message is not None and step.message.key in PRINTER_KEYS:
            return self.printer_problem(state)
        if plan.fault == "token_expired" and plan.variant == "token" and not r.fault_applied:
            token = state.resident.access_token
            if token is not None:
                d.sim("expire_token", token)
                r.fault_applied, r.fault_phase = True, "report"
        if self.todo:
            extra = self.todo.pop(0)
            {"guide_slip": self.guide_slip, "dispute": self.dispute, "share": self.share}[extra]()
            return False
        if plan.exit == "walk_away":
            if not self.walked_away:
                self.walked_away = self.left_at = time.monotonic()
                r.outcome = "walked away"
            return True
        if plan.exit == "pull":
            r.outcome = "left with the card"
            return True
        if plan.exit == "finish":
            d.press(lambda: screen.finish_button, "结束查询")
            d.wait_change(state)
            return False
        self.before_print()
        d.press(lambda: screen.print_button, "打印报告")
        d.wait_change(state)
        return False

    def guide_slip(self) -> None:
        """A record's repair guide, and its slip printed."""
        d = self.d
        screen = d.screens.report

        def first_guide() -> str | None:
            return next(iter(screen.guide_buttons), None)

        record = d.gui(first_guide)
        if record is None:
            self.r.notes.append("no repair guide to open")
            return
        d.gui(lambda: screen.scroll_area.ensureWidgetVisible(screen.guide_buttons[record]))
        d.press(lambda: screen.guide_buttons.get(record), "怎样修复")
        if not d.wait(
            lambda s: (
                s.phase is not Phase.REPORT
                or (s.step.view is View.GUIDE and s.step.guide is not None and not s.step.busy)
                or s.step.message is not None
            ),
            STEP_S,
        ):
            raise GaveUp(f"the repair guide did not open: {describe(d.state)}")
        if d.state.step.view is not View.GUIDE or d.state.step.guide is None:
            return
        d.press(lambda: screen.guide_page.slip_button, "打印修复指引")
        d.wait(
            lambda s: (
                s.phase is not Phase.REPORT
                or (
                    not s.step.busy
                    and (s.step.slip_printed == record or s.step.message is not None)
                )
            ),
            STEP_S,
        )

    def dispute(self) -> None:
        """A dispute of a record: a reason picked, sent."""
        d = self.d
        screen = d.screens.report

        def open_record() -> str | None:
            enabled = [rid for rid, b in screen.dispute_buttons.items() if b.isEnabled()]
            return enabled[0] if enabled else None

        record = d.gui(open_record)
        if record is None:
            self.r.notes.append("no record to dispute")
            return
        d.gui(lambda: screen.scroll_area.ensureWidgetVisible(screen.dispute_buttons[record]))
        d.press(lambda: screen.dispute_buttons.get(record), "提出异议")
        if not d.wait(lambda s: s.phase is not Phase.REPORT or s.step.view is View.DISPUTE, STEP_S):
            raise GaveUp(f"the dispute form did not open: {describe(d.state)}")
        if d.state.phase is not Phase.REPORT:
            return
        reason = self.rng.choice(DISPUTE_REASONS)
        d.press(lambda: screen.dispute_page.reason_buttons[reason], f"reason {reason}")
        d.press(lambda: screen.dispute_page.submit_button, "提交")
        d.wait(
            lambda s: (
                s.phase is not Phase.REPORT
                or (
                    not s.step.busy
                    and (record in s.resident.disputed or s.step.message is not None)
                )
            ),
            STEP_S,
        )

    def share(self) -> None:
        """The phone link's QR code, then back."""
        d = self.d
        screen = d.screens.report
        d.press(lambda: screen.share_button, "存到手机")
        d.wait(
            lambda s: (
                s.phase is not Phase.REPORT
                or (not s.step.busy and (s.step.view is View.SHARE or s.step.message is not None))
            ),
            STEP_S,
        )
        if d.state.step.view is View.SHARE:
            d.wait(lambda s: d.gui(screen.share_page.qr.has_code), 5.0)

    def before_print(self) -> None:
        """Printer faults that are there before the job."""
        plan, d, r = self.plan, self.d, self.r
        if r.fault_applied:
            return
        if plan.fault == "paper_out_before":
            d.sim("printer_state", "end")
        elif plan.fault == "cover_open":
            d.sim("printer_state", "ok", cover_open=True)
        else:
            return
        r.fault_applied, r.fault_phase = True, "report"

    def printer_problem(self, state: session.SessionState) -> bool:
        """The report again with a printer message: the printer is put right (paper, cover,
        power: staff's work), then "reprint"; twice at most, then the resident leaves."""
        d, r, plan = self.d, self.r, self.plan
        self.printer_trouble += 1
        if self.printer_trouble > 3:
            r.outcome = "left after printer trouble"
            return True
        if plan.fault == "printer_off_mid_job" and self.printer_trouble == 1:
            d.sim("printer_off")
            if plan.variant == "reprint_while_off":
                r.reprints += 1
                d.press(lambda: d.screens.report.print_button, "重新打印")
                d.wait(lambda s: s.phase is Phase.REPORT and not s.step.busy, STEP_S)
            time.sleep(self.rng.uniform(0.5, 2.0))
            d.sim("printer_on")
        else:
            time.sleep(self.rng.uniform(0.2, 1.0))  # staff come and put it right
            d.sim("printer_reset")
        state = d.state
        if state.phase is not Phase.REPORT:
            return False
        r.reprints += 1
        d.press(lambda: d.screens.report.print_button, "重新打印")
        d.wait_change(state)
        return False

    def check_receipt(self) -> None:
        """The receipt came out, cut, with no full name, ID number or phone on it."""
        d, r = self.d, self.r
        jobs = int(d.sim("printer_jobs"))
        if jobs <= self.jobs_before:
            r.notes.append("done screen, but no receipt at the printer")
            return
        last = d.sim("last_job", self.resident)
        if not last.get("cut"):
            r.notes.append("receipt not cut")
        for what in ("name", "id_number", "phone"):
            if last.get(what):
                r.notes.append(f"receipt carries the full {what}")

    # ------------------------------------------------------------------ faults
    def fault_now(self, state: session.SessionState) -> bool:
        """Inject the session's fault if this is its moment; True when something was done."""
        plan, r, d = self.plan, self.r, self.d
        fault = plan.fault
        if fault is None or r.fault_applied:
            return False
        if fault in ("card_pulled", "two_cards", PCSCD_KILL) and self.at_step(state):
            r.fault_applied, r.fault_phase = True, state.phase.value
            if fault == "card_pulled":
                r.outcome = f"card pulled at {state.phase.value}"
                self.take_card()
            elif fault == "two_cards":
                self.swap(state)
            else:
                r.outcome = f"pcscd killed at {state.phase.value}"
                self.kill_pcscd(state.phase)
            return True
        if fault in ("paper_out_during", "printer_off_mid_job"):
            if state.phase is Phase.PRINTING and state.step.print_stage is (
                session.PrintStage.RECORDING
            ):
                kind = "paper_end" if fault == "paper_out_during" else "drop"
                d.sim("printer_fail_after", int(plan.amount), kind)
                r.fault_applied, r.fault_phase = True, "printing"
                return True
            return False
        looking = state.step.face_stage is FaceStage.LOOKING and state.step.factor is Factor.FACE
        if fault == "camera_unplugged" and looking:
            if not self.looking_since:
                self.looking_since = time.monotonic()
            if time.monotonic() - self.looking_since >= plan.amount:
                d.sim("camera_scene", "unplugged")
                r.fault_applied, r.fault_phase = True, "second_factor"
                return True
            time.sleep(POLL_S)
            return True
        return False

    def at_step(self, state: session.SessionState) -> bool:
        """Whether the plan's step (or a later one, if the kiosk went past it) is here."""
        wanted = STEP_PHASE[self.plan.step]
        if self.plan.step == "reading":
            return False  # the card leaves by itself, mid-read (``pull_out_after``)
        if state.phase is Phase.ERROR:
            return True  # never got there: strike here
        if state.phase not in PHASE_ORDER or wanted not in PHASE_ORDER:
            return False
        here, there = PHASE_ORDER.index(state.phase), PHASE_ORDER.index(wanted)
        if here > there:
            return True
        if here < there:
            return False
        if self.plan.step == "report_page":
            return state.step.view is not View.REPORT or not self.todo
        if self.plan.step == "report":
            return not state.step.busy
        return True

    def swap(self, state: session.SessionState) -> None:
        """The card out, another resident's in a moment later; theirs is the visit now."""
        plan, d, r = self.plan, self.d, self.r
        self.take_card()
        d.sim("wait_reader_empty", 5.0)
        time.sleep(plan.amount)
        self.resident = plan.second_resident
        self.who = RESIDENTS[self.resident]
        r.second_resident = self.resident
        self.todo, self.face_tried, self.sms_typed_for = [], False, -1
        self.staff_tries = self.choices = self.printer_trouble = 0
        self.jobs_before = int(d.sim("printer_jobs"))
        d.sim("drain_sms")
        self.insert(self.resident)
        fresh = d.wait(
            lambda s: s.phase is Phase.CONSENT and s.resident.identity is None, CARD_SEEN_S
        )
        if not fresh:
            r.notes.append(f"second card not greeted by a new session: {describe(d.state)}")
        r.outcome = ""

    def kill_pcscd(self, phase: Phase) -> None:
        """pcscd SIGKILLed (the card goes with its vpcd connection), started again later."""
        d, r = self.d, self.r
        d.sim("kill_pcscd")
        self.card_in = False
        self.left_at = time.monotonic()
        time.sleep(self.plan.amount)
        d.sim("start_pcscd")
        r.fault_applied, r.fault_phase = True, phase.value

    def expire_session(self, state: session.SessionState) -> None:
        """The platform session runs out before the second factor is checked."""
        identity = state.resident.identity
        if identity is not None and not self.r.fault_applied:
            self.d.sim("expire_session", identity.session_id)
            self.r.fault_applied, self.r.fault_phase = True, "second_factor"


def _key(buttons: Mapping[str, QAbstractButton], key: str) -> Callable[[], QAbstractButton | None]:
    """The keypad's button for ``key``, looked up when tapped."""
    return lambda: buttons.get(key)


def _clicker(button: QAbstractButton) -> Callable[[], None]:
    """Click ``button`` if it is there to click (GUI thread)."""

    def click() -> None:
        if button.isVisible() and button.isEnabled():
            button.click()

    return click


def _census() -> tuple[int, int]:
    """QWidgets alive, and objects the garbage collector tracks (GUI thread)."""
    return len(QApplication.allWidgets()), len(gc.get_objects())


def describe(state: session.SessionState) -> str:
    """The kiosk's state in a few words (no personal data)."""
    parts = [state.phase.value]
    step = state.step
    if state.phase is Phase.SECOND_FACTOR:
        parts.append(f"factor {step.factor.value}")
        if step.factor is Factor.FACE:
            parts.append(f"face {step.face_stage.value}")
    if state.phase is Phase.REPORT:
        parts.append(f"page {step.view.value}")
    if state.phase is Phase.PRINTING:
        parts.append(f"stage {step.print_stage.value}")
    if step.pending is not None:
        parts.append(f"waiting for {step.pending.value}")
    if step.message is not None:
        parts.append(f"message {step.message.key}")
    if step.still_there_s:
        parts.append("still-there warning")
    if state.resident.identity is not None:
        parts.append("resident data held")
    return ", ".join(parts)


def screen_leftovers(window: QWidget, who: Any) -> list[str]:
    """Which of the resident's name, ID number or phone (whole or masked) any widget of the
    window still shows or holds as text (GUI thread)."""
    needles = {"name": who.name, "masked name": privacy.mask_name(who.name)}
    needles |= {"ID number": who.id_number, "masked ID": who.id_masked}
    if who.phone:
        needles |= {"phone": who.phone, "masked phone": who.phone_masked}
    found: set[str] = set()
    for widget in window.findChildren(QWidget):
        texts = [widget.accessibleName(), widget.toolTip()]
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
            texts.append(widget.text())
        if isinstance(widget, QAbstractScrollArea) and hasattr(widget, "toPlainText"):
            texts.append(widget.toPlainText())
        for text in texts:
            for what, needle in needles.items():
                if needle and needle in text:
                    found.add(what)
    return sorted(found)
