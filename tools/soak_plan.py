"""What each soak session does: the resident, their way through, and the fault injected.

Pure and seeded: the same seed and session count give the same plans, so a run can be
repeated session for session.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Literal

from tools.soak_sims import FACE_PHOTO_QUALITY, SOAK_RESIDENTS

Factor = Literal["sms", "staff", "face"]
Exit = Literal["print", "finish", "pull", "walk_away"]

# Residents with a phone on file (the others are confirmed by staff or by their face) and
# those with records that have a repair guide and can be disputed.
WITH_PHONE = frozenset({"zhang_wei", "li_na", "chen_jing", "zhao_lei"})
FACE_ELIGIBLE = frozenset(FACE_PHOTO_QUALITY)  # adults whose card photo is the camera's face
WITH_NEGATIVE_RECORDS = frozenset({"zhang_wei", "li_na", "zhao_lei"})
ELDERLY = frozenset({"wang_xiuying"})  # starts in large text, as the demo's elderly resident

# The faults of the team's table, each injected in this share of the sessions (one fault per
# session at most); pcscd is killed a few times per run instead (``pcscd_kills``).
FAULT_SHARE: dict[str, float] = {
    "card_pulled": 0.08,
    "two_cards": 0.04,
    "paper_out_before": 0.03,
    "paper_out_during": 0.03,
    "cover_open": 0.03,
    "printer_off_mid_job": 0.03,
    "printer_slow": 0.03,
    "platform_slow": 0.04,
    "platform_429": 0.03,
    "platform_503": 0.03,
    "platform_malformed": 0.03,
    "token_expired": 0.03,
    "camera_unplugged": 0.02,  # the kiosk tries a failed camera again after 60 s only
}
PCSCD_KILL = "pcscd_killed"
FAULT_KINDS = (*FAULT_SHARE, PCSCD_KILL)

FAULT_DESCRIPTIONS: dict[str, str] = {
    "card_pulled": "the card taken out at a random step (mid-read: after 1-8 APDUs)",
    "two_cards": "the card taken out at a random step, another resident's card put in "
    "0-1 s after pcscd saw the reader empty, and their whole session played",
    "paper_out_before": "the printer reports paper end before the receipt",
    "paper_out_during": "the paper runs out 20-1500 bytes into the receipt",
    "cover_open": "the printer reports its cover open before the receipt",
    "printer_off_mid_job": "the printer's connection reset 20-1500 bytes into the receipt, "
    "then the printer stopped for 0.5-2 s and started again",
    "printer_slow": "each status reply held back 0.1-0.45 s (three replies; the kiosk allows "
    "0.9 s for all three)",
    "platform_slow": "one resident call answered 1.5-5 s late",
    "platform_429": "one resident call answered 429 with Retry-After 1-3 s, 1-2 times",
    "platform_503": "one resident call answered 503, 1-3 times",
    "platform_malformed": "one resident call answered with a body that is not JSON",
    "token_expired": "the access token expired on the report screen, or the platform "
    "session before the second factor",
    "camera_unplugged": "the camera's stream cut (scene unplugged) 0.2-2 s into the face check",
    PCSCD_KILL: "pcscd SIGKILLed at a random step (or before the card), started again "
    "0.5-3 s later",
}

# The resident's platform calls a fault may strike, by step.
PLATFORM_PATHS: dict[str, str] = {
    "challenge": r"/v1/identity/challenge",
    "verify": r"/v1/identity/verify",
    "otp_send": r"/v1/sessions/[^/]+/otp",
    "otp_verify": r"/v1/sessions/[^/]+/otp/verify",
    "staff": r"/v1/sessions/[^/]+/staff-assist",
    "face": r"/v1/sessions/[^/]+/face",
    "report": r"/v1/reports/current",
    "guide": r"/v1/repair-guides/[^/]+",
    "objection": r"/v1/objections",
    "share": r"/v1/reports/[^/]+/share",
    "prints": r"/v1/reports/[^/]+/prints",
}
# Where a card pull, a card swap or a pcscd kill strikes.
PULL_STEPS = ("consent", "reading", "verifying", "second_factor", "report", "report_page",
              "printing", "done")  # fmt: skip
SWAP_STEPS = ("consent", "second_factor", "report", "printing", "done")
PCSCD_STEPS = ("idle", "consent", "second_factor", "report", "printing")


@dataclasses.dataclass(frozen=True)
class Plan:
    """One session: who, how they prove it's them, what they do, how they leave, the fault."""

    number: int
    resident: str
    factor: Factor
    large_text: bool
    extras: tuple[str, ...]  # "guide_slip", "dispute", "share", in this order
    exit: Exit
    finish_on_done: bool  # press "finish" on the done screen before taking the card
    back_on_error: bool  # press the error screen's button before taking the card
    fault: str | None = None
    step: str = ""  # card pull, swap and pcscd: where; platform faults: which call
    count: int = 1
    amount: float = 0.0  # seconds (delays, Retry-After, downtime, gaps) or bytes
    second_resident: str = ""  # two_cards: whose card comes next
    variant: str = ""  # token_expired: token | session; printer_off: reprint_while_off

    def describe_fault(self) -> str:
        """The fault in one line, for the report (no personal data: resident keys only)."""
        if self.fault is None:
            return "none"
        parts = [self.fault]
        if self.step:
            parts.append(f"at {self.step}")
        if self.fault in ("platform_429", "platform_503") or self.count > 1:
            parts.append(f"x{self.count}")
        if self.amount:
            parts.append(f"{self.amount:g}")
        if self.second_resident:
            parts.append(f"then {self.second_resident}")
        if self.variant:
            parts.append(self.variant)
        return " ".join(parts)


class Planner:
    """Seeded plans for ``sessions`` sessions; ``faults=False``: residents' sessions only (the
    benchmark's: how the kiosk runs when nothing goes wrong)."""

    def __init__(self, seed: int, sessions: int, *, faults: bool = True) -> None:
        self.rng = random.Random(seed)
        self.sessions = sessions
        self.faults = faults
        kills = max(1, round(sessions / 150)) if faults else 0
        candidates = list(range(3, sessions + 1)) or [1]
        self.pcscd_sessions = frozenset(self.rng.sample(candidates, min(kills, len(candidates))))

    def plan(self, number: int) -> Plan:
        """The plan of session ``number`` (1-based); call in order."""
        rng = self.rng
        resident = SOAK_RESIDENTS[(number - 1) % len(SOAK_RESIDENTS)]
        fault = PCSCD_KILL if number in self.pcscd_sessions else self._pick_fault()
        if fault == "camera_unplugged" and resident not in FACE_ELIGIBLE:
            resident = rng.choice(sorted(FACE_ELIGIBLE))
        factor = self._factor(resident, forced_face=fault == "camera_unplugged")
        extras = self._extras(resident)
        exits: list[Exit] = ["print", "finish", "pull", "walk_away"]
        exit_ = rng.choices(exits, weights=[78, 10, 10, 2])[0]
        if fault in _PRINTER_FAULTS or fault == "token_expired":
            exit_ = "print"
        plan = Plan(
            number=number,
            resident=resident,
            factor=factor,
            large_text=resident in ELDERLY or rng.random() < 0.05,
            extras=extras,
            exit=exit_,
            finish_on_done=rng.random() < 0.3,
            back_on_error=rng.random() < 0.5,
        )
        return self._with_fault(plan, fault) if fault is not None else plan

    def _pick_fault(self) -> str | None:
        draw = self.rng.random()
        if not self.faults:
            return None
        for kind, share in FAULT_SHARE.items():
            if draw < share:
                return kind
            draw -= share
        return None

    def _factor(self, resident: str, *, forced_face: bool) -> Factor:
        if forced_face:
            return "face"
        draw = self.rng.random()
        if resident in FACE_ELIGIBLE and draw < 0.2:
            return "face"
        if resident not in WITH_PHONE or draw < 0.4:
            return "staff"
        return "sms"

    def _extras(self, resident: str) -> tuple[str, ...]:
        rng = self.rng
        extras: list[str] = []
        if resident in WITH_NEGATIVE_RECORDS and rng.random() < 0.15:
            extras.append("guide_slip")
        if resident in WITH_NEGATIVE_RECORDS and rng.random() < 0.10:
            extras.append("dispute")
        if rng.random() < 0.10:
            extras.append("share")
        return tuple(extras)

    def _calls(self, plan: Plan) -> list[str]:
        """The resident calls this plan makes (where a platform fault may strike)."""
        calls = ["challenge", "verify"]
        calls += {"face": ["face"], "sms": ["otp_send", "otp_verify"], "staff": ["staff"]}[
            plan.factor
        ]
        calls.append("report")
        calls += [{"guide_slip": "guide", "dispute": "objection"}.get(e, e) for e in plan.extras]
        if plan.exit == "print":
            calls.append("prints")
        return calls

    def _with_fault(self, plan: Plan, fault: str) -> Plan:  # noqa: C901 - a case per fault
        rng = self.rng
        step, count, amount, second, variant = "", 1, 0.0, "", ""
        if fault == "card_pulled":
            step = rng.choice([s for s in PULL_STEPS if s != "report_page" or plan.extras])
            if step == "reading":
                count = rng.randint(1, 8)  # APDUs answered before it leaves
        elif fault == "two_cards":
            step = rng.choice(SWAP_STEPS)
            second = rng.choice([r for r in SOAK_RESIDENTS if r != plan.resident])
            amount = round(rng.uniform(0.0, 1.0), 2)
        elif fault == PCSCD_KILL:
            step = rng.choice(PCSCD_STEPS)
            amount = round(rng.uniform(0.5, 3.0), 2)
        elif fault in ("paper_out_during", "printer_off_mid_job"):
            amount = rng.randint(20, 1500)
            if fault == "printer_off_mid_job":
                variant = rng.choice(["", "reprint_while_off"])
        elif fault == "printer_slow":
            amount = round(rng.uniform(0.1, 0.45), 2)
        elif fault.startswith("platform_"):
            step = rng.choice(self._calls(plan))
            if fault == "platform_slow":
                amount = round(rng.uniform(1.5, 5.0), 1)
            elif fault == "platform_429":
                amount, count = rng.randint(1, 3), rng.randint(1, 2)
            elif fault == "platform_503":
                count = rng.randint(1, 3)
        elif fault == "token_expired":
            variant = "session" if rng.random() < 0.3 and plan.factor != "face" else "token"
        elif fault == "camera_unplugged":
            amount = round(rng.uniform(0.2, 2.0), 2)
        exit_ = plan.exit
        if step in ("printing", "done") or fault in _PRINTER_FAULTS:
            exit_ = "print"  # the step must come
        return dataclasses.replace(
            plan,
            exit=exit_,
            fault=fault,
            step=step,
            count=count,
            amount=amount,
            second_resident=second,
            variant=variant,
        )


_PRINTER_FAULTS = frozenset(
    {"paper_out_before", "paper_out_during", "cover_open", "printer_off_mid_job", "printer_slow"}
)
