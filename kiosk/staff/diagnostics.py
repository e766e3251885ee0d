"""Health checks and self-tests shared by ``kiosk diag`` and the staff screen. No personal data.

Every check returns ``Check`` lines: a level (green, amber, red), a short technical summary
(English, the same words ``kiosk diag`` prints and support tickets quote) and ``advice``, plain
Chinese words telling hall staff what to do. ``run_checks`` bounds the whole run by a deadline:
each group of checks runs on its own daemon thread, and a group that has not answered by then
is reported red ("no answer within N s") instead of holding up the caller.

The self-tests (``read_test_card``, ``print_test_page``, ``print_readiness_report``) and the
support bundle also live here. None of them reads personal data: the test card is only asked
whether it has the RID-1 application; nothing is read from its files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import importlib.metadata
import json
import logging
import re
import shutil
import socket
import ssl
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from devices import card_reader, receipt_printer, rid_card
from devices import errors as device_errors
from kiosk import assets, errors, privacy
from kiosk import config as kiosk_config
from kiosk.face import service as face_service
from kiosk.offline import services as offline_services
from kiosk.platform import client as platform_client
from kiosk.platform import credentials
from offline_cache import outbox
from offline_cache.errors import CacheError

log = logging.getLogger(__name__)

SKEW_WARN_S = 60.0
SKEW_RED_S = 300.0  # the platform refuses requests beyond this
LATENCY_WARN_MS = 2000
CERT_WARN_DAYS = 30
DISK_RED_BYTES = 200 * 1024 * 1024
DISK_AMBER_BYTES = 1024 * 1024 * 1024
COMPAT_FILE = assets.ASSETS_DIR / "compat" / "readers.json"


class Level(enum.StrEnum):
    """How a check went, as staff read it (the colour is only one of its cues)."""

    GREEN = "green"  # fine
    AMBER = "amber"  # works, but staff should look (paper low, slow network)
    RED = "red"  # residents cannot be served until it is fixed


GREEN, AMBER, RED = Level.GREEN, Level.AMBER, Level.RED
_PROCESS_STARTED = time.monotonic()  # close enough to process start: imported at start-up


@dataclasses.dataclass(eq=False)
class Targets:
    """What the checks look at: the kiosk's own reader and printer, and its platform.

    The composition root (``kiosk.app.composition``) builds them: in the running kiosk the
    reader and printer are the ones residents use, so staff test what residents get.

    Attributes:
        cfg: The configuration (paths, the platform's address, the names staff read).
        reader: The card reader residents use.
        printer: The receipt printer residents use (None: the terminal has none).
        survey_readers: Lists the readers the back-end sees (None: it cannot, as a
            vendor library behind one port).
        platform_client: A new platform client for one diagnosis, given the credentials and
            the longest connect and read timeout: one attempt, no waiting out a busy
            platform. New each time because a check abandoned at the deadline may still
            hold it on its thread.
        security_module_id: Reads a certified reader's security module id (None: the reader
            has no security module).
        face: The camera and the face engine (None: no camera configured).
    """

    cfg: kiosk_config.KioskConfig
    reader: card_reader.CardReader
    printer: receipt_printer.ReceiptPrinter | None
    survey_readers: Callable[[], list[card_reader.ReaderSlot]] | None
    platform_client: Callable[
        [credentials.TerminalCredentials, float], platform_client.PlatformClient
    ]
    security_module_id: Callable[[], str] | None = None
    face: face_service.FaceService | None = None


@dataclasses.dataclass(frozen=True)
class Check:
    """One line of the diagnosis: ``advice`` says what staff should do."""

    name: str
    level: Level
    summary: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    advice: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- card reader


@dataclasses.dataclass(frozen=True)
class CompatList:
    """The kiosk's known-compatible readers and cards (``assets/compat/readers.json``)."""

    readers: tuple[tuple[str, str], ...] = ()  # (pattern, note)
    cards: tuple[tuple[str, str], ...] = ()  # (ATR hex pattern, note)

    def reader_note(self, name: str) -> str | None:
        """The note of the first reader pattern ``name`` matches, None when unlisted."""
        return next((n for p, n in self.readers if re.search(p, name, re.IGNORECASE)), None)

    def card_note(self, atr: bytes) -> str | None:
        """The note of the first card pattern the ATR matches, None when unlisted."""
        hex_atr = atr.hex().upper()
        return next((n for p, n in self.cards if re.search(p, hex_atr, re.IGNORECASE)), None)


def load_compat(data_dir: str) -> CompatList:
    """The staff's copy in ``<data_dir>/compat/readers.json`` if present, else the installed one.

    A broken file gives an empty list (every reader then shows amber "not on the list") and a
    warning in the log; it never stops the checks.
    """
    local = Path(data_dir) / "compat" / "readers.json"
    path = local if local.is_file() else COMPAT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        readers = tuple((str(r["pattern"]), str(r.get("note", ""))) for r in data["readers"])
        cards = tuple((str(c["atr_pattern"]), str(c.get("note", ""))) for c in data["cards"])
        for pattern, _ in readers + cards:
            re.compile(pattern)
    except (OSError, ValueError, KeyError, TypeError, re.error) as exc:
        log.warning("compatibility list %s unusable: %s", path, exc)
        return CompatList()
    return CompatList(readers, cards)


def check_reader(targets: Targets) -> Check:
    """The reader service reachable, the reader in use found, the card in it, both on the
    compatible list."""
    cfg = targets.cfg
    if targets.survey_readers is None:
        return _check_certified_reader(targets)
    try:
        slots = targets.survey_readers()
    except device_errors.DeviceUnavailable as exc:
        return Check(
            "card reader",
            RED,
            f"card reader service not running ({exc})",
            {"pcscd_reachable": False},
            "读卡服务未运行。请点“重启程序”；仍不行请联系技术支持。",
        )
    compat = load_compat(cfg.paths.data_dir)
    readers = [
        {
            "name": slot.name,
            "driver": slot.driver,
            "card_present": slot.card_present,
            "atr": slot.atr.hex(" ").upper() if slot.card_present else "",
            "reader_compatible": compat.reader_note(slot.name) is not None,
            "card_compatible": (
                compat.card_note(slot.atr) is not None if slot.card_present else None
            ),
        }
        for slot in slots
    ]
    details: dict[str, Any] = {"pcscd_reachable": True, "readers": readers}
    in_use = [reader for reader, slot in zip(readers, slots, strict=True) if slot.in_use]
    if not in_use:
        return Check(
            "card reader",
            RED,
            f"no reader matches {cfg.reader.name_pattern!r}",
            details,
            "没有找到读卡器。请检查读卡器的 USB 线是否插好，然后点“重新检测”。",
        )
    used = in_use[0]
    details["using"] = used["name"]
    if not used["reader_compatible"]:
        return Check(
            "card reader",
            AMBER,
            f"using {used['name']} (not on the compatible list)",
            details,
            "这台读卡器不在兼容列表中，可能无法读卡。请用测试卡试读。",
        )
    if used["card_present"] and not used["card_compatible"]:
        return Check(
            "card reader",
            AMBER,
            f"using {used['name']}; the card in it is not on the compatible list",
            details,
            "读卡区里的卡不是已知的身份证类型，请取出。",
        )
    return Check("card reader", GREEN, f"using {used['name']}", details)


def _check_certified_reader(targets: Targets) -> Check:
    """A certified reader: its vendor library, and its security module answering."""
    cfg = targets.cfg
    details: dict[str, Any] = {"backend": "vendor", "library": cfg.reader.vendor_library}
    if not Path(cfg.reader.vendor_library).is_file():
        return Check(
            "card reader",
            RED,
            f"vendor library missing: {cfg.reader.vendor_library}",
            details,
            "读卡器驱动文件缺失，请联系技术支持。",
        )
    module = targets.security_module_id
    if module is None:
        return Check("card reader", GREEN, "vendor library present", details)
    try:
        details["sam_id"] = module()
    except device_errors.DeviceError as exc:
        return Check(
            "card reader",
            RED,
            f"security module not answering: {exc}",
            details,
            "身份证阅读器没有响应。请检查 USB 线，然后点“重新检测”。",
        )
    return Check("card reader", GREEN, f"security module {details['sam_id']}", details)


def check_camera(targets: Targets) -> Check:
    """The camera of the face check: opened and sending frames, the models loaded with the
    pinned hashes. Without a camera the face check is simply not offered (not a fault)."""
    if targets.face is None:
        return Check("camera", GREEN, "no camera configured: the face check is not offered", {})
    health = targets.face.check_now()
    details: dict[str, Any] = {
        "camera": health.camera_detail,
        "models": "loaded, SHA-256 as pinned" if health.models_ok else health.models_detail,
        "model_sha256": health.model_hashes,
    }
    if not health.models_ok:
        return Check(
            "camera",
            RED,
            f"face models not usable: {health.models_detail}",
            details,
            "刷脸核验的模型文件缺失或校验不符，暂不提供刷脸。请联系技术支持重新安装。",
        )
    if not health.camera_ok:
        return Check(
            "camera",
            RED,
            f"camera not answering: {health.camera_detail}",
            details,
            "摄像头没有画面，暂不提供刷脸。请检查摄像头的线，然后点“重新检测”。",
        )
    return Check("camera", GREEN, "frames arriving; face models loaded", details)


def read_test_card(targets: Targets) -> Check:
    """Connect to the card in the reader and select the RID-1 application; read no file.

    Blocks for up to a few seconds: call it on the card lane, off the GUI thread.
    """
    try:
        connection = targets.reader.connect()
        try:
            rid_card.select_application(connection)
        finally:
            connection.close()
    except device_errors.CardRemoved:
        return Check("test card", AMBER, "no card in the reader", {}, "请把测试卡放在读卡区再试。")
    except device_errors.NotAnIdCard:
        return Check(
            "test card",
            RED,
            "the card has no RID-1 application",
            {},
            "这张卡不是身份证，请换测试卡。",
        )
    except (device_errors.DeviceError, errors.KioskError) as exc:
        return Check(
            "test card",
            RED,
            f"{type(exc).__name__}: {exc}",
            {},
            "读卡失败。请重新插好读卡器再试；仍不行请联系技术支持。",
        )
    return Check("test card", GREEN, "the card answers as an RID-1 ID card (nothing was read)")


# ---------------------------------------------------------------- printer


def _printer_connection(cfg: kiosk_config.PrinterConfig) -> str:
    if cfg.connection == "network":
        return f"network {cfg.host}:{cfg.port}"
    return cfg.connection


def check_printer(targets: Targets) -> Check:
    """The printer answers and has paper; its real-time status bits in the details."""
    details: dict[str, Any] = {"connection": _printer_connection(targets.cfg.printer)}
    printer = targets.printer
    if printer is None:
        return Check("printer", AMBER, "no receipt printer configured", details)
    status = printer.status()
    details.update(dataclasses.asdict(status))
    if not status.known:
        return Check(
            "printer",
            RED,
            "printer did not answer a status request",
            details,
            "打印机没有响应。请检查电源和网线，关机再开机后点“重新检测”。",
        )
    if status.ready:
        if status.paper_near_end:
            return Check("printer", AMBER, "paper near end", details, "纸快用完了，请尽快换纸。")
        return Check("printer", GREEN, "ready", details)
    if status.paper_end:
        return Check("printer", RED, "paper out", details, "打印机缺纸。请打开盖子装入新纸卷。")
    if status.cover_open:
        return Check("printer", RED, "cover open", details, "打印机盖子没有关好，请关紧。")
    return Check("printer", RED, "offline", details, "打印机离线。请关机再开机。")


def build_test_page(
    terminal_id: str, now: dt.datetime, columns: int = 48
) -> receipt_printer.PrintJob:
    """A test page: title, terminal id, time and a QR code of the terminal id."""
    r = receipt_printer
    return r.PrintJob(
        job_id=f"test-page-{now:%Y%m%dT%H%M%S}",
        elements=(
            r.TextLine("打印测试页", r.Align.CENTER, bold=True, scale=2),
            r.Rule(),
            r.TextLine(f"终端编号: {terminal_id}"),
            r.TextLine(f"时间: {now.astimezone():%Y-%m-%d %H:%M:%S}"),
            r.QrCode(terminal_id),
            r.TextLine("看得清这张纸上的文字和二维码，打印机即正常。", r.Align.CENTER),
            r.Feed(2),
            r.Cut(),
        ),
        columns=columns,
    )


def readiness_job(
    checks: list[Check], terminal_id: str, now: dt.datetime, tested_at: dt.datetime, columns: int
) -> receipt_printer.PrintJob:
    """The readiness report: terminal id, time, every check's state and when it was tested."""
    r = receipt_printer
    marks = {GREEN: "[正常]", AMBER: "[注意]", RED: "[故障]"}
    lines: list[receipt_printer.PrintElement] = [
        r.TextLine("终端就绪报告", r.Align.CENTER, bold=True, scale=2),
        r.Rule(),
        r.TextLine(f"终端编号: {terminal_id}"),
        r.TextLine(f"打印时间: {now.astimezone():%Y-%m-%d %H:%M:%S}"),
        r.TextLine(f"检测时间: {tested_at.astimezone():%Y-%m-%d %H:%M:%S}"),
        r.Rule(),
    ]
    for check in checks:
        lines.append(r.TextLine(f"{marks.get(check.level, check.level)} {check.name}", bold=True))
        lines.append(r.TextLine(f"  {check.summary}"[: columns * 2]))
    lines += [r.Rule(), r.Feed(2), r.Cut()]
    return r.PrintJob(f"readiness-{now:%Y%m%dT%H%M%S}", tuple(lines), columns)


def print_job(targets: Targets, job: receipt_printer.PrintJob) -> None:
    """Print ``job`` on the kiosk's receipt printer (blocking: the print lane).

    Raises:
        devices.errors.PrinterError: The printer is missing, offline, out of paper or open.
    """
    if targets.printer is None:
        raise device_errors.PrinterOffline("no receipt printer is configured")
    targets.printer.print_job(job)


# ---------------------------------------------------------------- platform


def _tls_certificate(cfg: kiosk_config.KioskConfig, timeout_s: float) -> dict[str, Any]:
    """Subject and expiry of the platform's TLS certificate, verified against the CA bundle.

    Raises:
        OSError: The platform cannot be reached or its certificate does not verify.
    """
    url = urllib.parse.urlsplit(cfg.platform.url)
    host, port = url.hostname or "", url.port or 443
    context = ssl.create_default_context(cafile=cfg.platform.ca_bundle or None)
    with (
        socket.create_connection((host, port), timeout=timeout_s) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        cert = tls.getpeercert() or {}
    subject = ""
    for rdn in cert.get("subject", ()):
        for attribute in rdn:
            if attribute[0] == "commonName":
                subject = str(attribute[1])
    not_after_text = cert.get("notAfter")
    if not isinstance(not_after_text, str):
        raise ValueError("the platform's certificate has no expiry")
    not_after = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after_text), dt.UTC)
    return {"subject": subject, "expires": not_after.isoformat(timespec="seconds")}


def _platform_ok(latency_ms: int, cert: dict[str, Any]) -> Check:
    details = {
        "latency_ms": latency_ms,
        "tls_subject": cert["subject"],
        "tls_expires": cert["expires"],
    }
    days_left = (dt.datetime.fromisoformat(cert["expires"]) - dt.datetime.now(dt.UTC)).days
    level, advice = GREEN, ""
    if days_left < CERT_WARN_DAYS:
        level, advice = AMBER, f"平台证书 {days_left} 天后过期，请告知技术支持。"
    elif latency_ms > LATENCY_WARN_MS:
        level, advice = AMBER, "网络很慢，居民可能需要等待。"
    return Check("platform", level, f"reachable in {latency_ms} ms", details, advice)


def check_platform(targets: Targets, *, timeout_s: float = 5.0) -> list[Check]:
    """Enrollment in the keyring, TLS certificate, round-trip latency, clock skew from ``Date``."""
    cfg = targets.cfg
    try:
        creds = credentials.CredentialStore().load()
    except errors.KioskError as exc:
        return [Check("enrollment", RED, str(exc), {}, "钥匙串不可用，请联系技术支持。")]
    if creds is None:
        return [
            Check(
                "enrollment",
                RED,
                "not enrolled: run `kiosk enroll --code ...`",
                {"enrolled": False},
                "本机尚未注册到平台（钥匙串里没有终端凭据），请联系技术支持注册。",
            )
        ]
    checks = [
        Check(
            "enrollment",
            GREEN,
            f"terminal {creds.terminal_id}",
            {"enrolled": True, "terminal_id": creds.terminal_id},
        )
    ]
    down_advice = "连不上信用平台。请检查网线；大厅网络正常时请联系技术支持。"
    try:
        cert = _tls_certificate(cfg, timeout_s)
    except (OSError, ValueError, KeyError) as exc:
        checks.append(Check("platform", RED, f"unreachable: {type(exc).__name__}", {}, down_advice))
        return checks
    # The diagnosis must not wait out the session's patient timeouts and retries: one
    # attempt, and a busy platform answered (that is the finding, no waiting).
    client = targets.platform_client(creds, timeout_s)
    started = time.monotonic()
    try:
        client.trust_anchors()
    except errors.PlatformError as exc:
        busy = getattr(exc, "status", 0) == 429 or (
            getattr(exc, "status", 0) == 503 and getattr(exc, "retry_after_s", None) is not None
        )
        if busy:  # it answered: residents are served, each call waiting its turn
            checks.append(
                Check(
                    "platform",
                    AMBER,
                    f"busy: {exc}",
                    cert,
                    "信用平台繁忙，查询会慢一些。如持续很久，请联系技术支持。",
                )
            )
        else:
            # A refusal still carries a Date: a skewed clock is often the very reason (401).
            checks.append(
                Check("platform", RED, f"unreachable or refusing: {exc}", cert, down_advice)
            )
    else:
        checks.append(_platform_ok(round((time.monotonic() - started) * 1000), cert))
        checks.append(_check_approvals(targets, client))
    finally:
        client.close()
    skew = client.clock_skew_s
    if skew is not None:
        level = RED if abs(skew) > SKEW_RED_S else AMBER if abs(skew) > SKEW_WARN_S else GREEN
        checks.append(
            Check(
                "clock",
                level,
                f"{skew:+.1f} s from the platform",
                {"skew_s": round(skew, 1)},
                "" if level == GREEN else "本机时间不准，平台可能拒绝请求。请联系技术支持校时。",
            )
        )
    return checks


def _check_approvals(targets: Targets, client: platform_client.PlatformClient) -> Check:
    """What the platform's operators approved for this terminal (spec v1.2 §1, §6): a
    certified reader serves nobody until they approve its security module."""
    certified = targets.cfg.reader.backend == "vendor"
    try:
        document = client.content_document(None)
    except errors.PlatformError as exc:
        return Check("approvals", AMBER, f"not known: {exc}", {})
    data = document[0] if document is not None else {}
    if "approvals" not in data:
        return Check(
            "approvals",
            RED if certified else AMBER,
            "the platform speaks API v1: no certified reader, no face check",
            {"api": "v1"},
            "信用平台尚不支持身份证阅读器和刷脸核验，请联系技术支持。" if certified else "",
        )
    approvals = platform_client.parse_approvals(data)
    details = {"security_module": approvals.security_module, "face": approvals.face}
    summary = (
        f"certified reader {'approved' if approvals.security_module else 'not approved'}, "
        f"face check {'approved' if approvals.face else 'not approved'}"
    )
    if certified and not approvals.security_module:
        return Check(
            "approvals",
            RED,
            summary,
            details,
            "本机的身份证阅读器尚未获信用平台批准（或更换过安全模块），请联系技术支持。",
        )
    return Check("approvals", GREEN, summary, details)


# ---------------------------------------------------------------- queue and system


QUEUE_OLD_S = 3600.0  # an item waiting longer than this: amber (the platform is away)


def check_offline_queue(cfg: kiosk_config.KioskConfig) -> Check:
    """Backlog size, oldest item age and last successful sync, read from the outbox file."""
    path = Path(cfg.paths.data_dir) / offline_services.OUTBOX_FILE
    try:
        stats = outbox.read_stats(path, max_items=cfg.offline.outbox_max_items)
    except CacheError as exc:
        return Check(
            "offline queue", RED, f"unreadable: {exc}", {}, "离线队列文件损坏，请联系技术支持。"
        )
    if stats is None:
        return Check("offline queue", GREEN, "empty (nothing queued yet)", {"size": 0})
    last = (
        None
        if stats.last_delivery_at is None
        else dt.datetime.fromtimestamp(stats.last_delivery_at, dt.UTC)
    )
    details: dict[str, Any] = {
        "size": stats.size,
        "max_items": stats.max_items,
        "oldest_age_s": None if stats.oldest_age_s is None else round(stats.oldest_age_s),
        "last_sync": None if last is None else last.isoformat(timespec="seconds"),
        "dead": stats.dead,
    }
    age = "" if stats.oldest_age_s is None else f", oldest {_age(stats.oldest_age_s)}"
    synced = "never" if last is None else last.astimezone().strftime("%m-%d %H:%M:%S")
    summary = f"{stats.size} waiting{age}; last sync {synced}"
    if stats.dead:
        summary += f"; {stats.dead} given up"
    if stats.full:
        advice = "离线队列已满，新的记录无法保存。请检查网络并联系技术支持。"
        return Check("offline queue", RED, summary, details, advice)
    if stats.oldest_age_s is not None and stats.oldest_age_s > QUEUE_OLD_S:
        advice = "有记录超过一小时未送达平台，请检查网络；恢复后会自动补送，也可点“立即同步”。"
        return Check("offline queue", AMBER, summary, details, advice)
    return Check("offline queue", GREEN, summary, details)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def check_system(cfg: kiosk_config.KioskConfig) -> Check:
    """Free disk space in the data directory, app version and uptime."""
    data_dir = Path(cfg.paths.data_dir)
    details: dict[str, Any] = {"version": app_version(), "uptime_s": round(uptime_s())}
    try:
        usage = shutil.disk_usage(data_dir if data_dir.exists() else data_dir.parent)
    except OSError as exc:
        return Check(
            "system",
            RED,
            f"data directory unusable: {exc}",
            details,
            "数据目录不可用，请联系技术支持。",
        )
    details.update(free_bytes=usage.free, total_bytes=usage.total, data_dir=str(data_dir))
    free_mb = usage.free // (1024 * 1024)
    summary = f"{free_mb} MB free; version {details['version']}"
    if usage.free < DISK_RED_BYTES:
        return Check("system", RED, summary, details, "磁盘快满了，请联系技术支持清理。")
    if usage.free < DISK_AMBER_BYTES:
        return Check("system", AMBER, summary, details, "磁盘空间不多，请告知技术支持。")
    return Check("system", GREEN, summary, details)


def app_version() -> str:
    """The installed kiosk's version."""
    try:
        return importlib.metadata.version("credit-kiosk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def uptime_s() -> float:
    """Seconds since the kiosk process started."""
    return time.monotonic() - _PROCESS_STARTED


def recent_log_lines(log_dir: str, count: int = 20) -> list[str]:
    """The last ``count`` lines of the kiosk's log file, masked again (belt and braces)."""
    path = Path(log_dir) / "kiosk.log"
    try:
        with path.open("rb") as file:
            file.seek(0, 2)
            size = file.tell()
            file.seek(max(0, size - 64 * 1024))  # the tail is enough; the file may be MBs
            text = file.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [privacy.mask_text(line) for line in text.splitlines()[-count:]]


# ---------------------------------------------------------------- running them all


def run_checks(targets: Targets, *, deadline_s: float | None = None) -> list[Check]:
    """Every check, in the order staff read them, all within ``deadline_s`` (default config).

    Each group runs on its own daemon thread: one that hangs (a platform that accepts the
    connection and never answers, a wedged printer) is reported red at the deadline and left
    to finish by itself; the process can still exit.
    """
    cfg = targets.cfg
    deadline = cfg.staff.check_deadline_s if deadline_s is None else deadline_s
    # Network timeouts a little inside the deadline, so a slow platform is named precisely.
    net_timeout = max(0.5, deadline * 0.8)
    groups: list[tuple[str, Callable[[], list[Check]]]] = [
        ("card reader", lambda: [check_reader(targets)]),
        *([("camera", lambda: [check_camera(targets)])] if targets.face is not None else []),
        ("printer", lambda: [check_printer(targets)]),
        ("platform", lambda: check_platform(targets, timeout_s=net_timeout)),
        ("offline queue", lambda: [check_offline_queue(cfg)]),
        ("system", lambda: [check_system(cfg)]),
    ]
    results: dict[str, list[Check]] = {}
    lock = threading.Lock()

    def run(name: str, fn: Callable[[], list[Check]]) -> None:
        try:
            checks = fn()
        except Exception as exc:  # thread boundary: a failing check is a red line
            log.warning("check %s failed: %s", name, exc, exc_info=exc)
            checks = [
                Check(name, RED, f"check failed: {type(exc).__name__}", {}, "请联系技术支持。")
            ]
        with lock:
            results[name] = checks

    threads = [
        threading.Thread(target=run, args=group, name=f"diag-{group[0]}", daemon=True)
        for group in groups
    ]
    ends = time.monotonic() + deadline
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, ends - time.monotonic()))
    out: list[Check] = []
    with lock:
        for name, _ in groups:
            out += results.get(name) or [
                Check(
                    name,
                    RED,
                    f"no answer within {deadline:g} s",
                    {"timed_out": True},
                    "检测超时没有结果，请稍后点“重新检测”；仍不行请联系技术支持。",
                )
            ]
    return out


def worst(checks: list[Check]) -> Level:
    """The worst level among ``checks``."""
    levels = {c.level for c in checks}
    return RED if RED in levels else AMBER if AMBER in levels else GREEN


def configuration_check(path: Path, exc: errors.KioskError) -> Check:
    """The red line of a configuration that cannot be used: what is wrong, and where."""
    problems = (
        list(exc.problems) if isinstance(exc, errors.ConfigError) and exc.problems else [str(exc)]
    )
    return Check(
        "configuration",
        RED,
        f"{path}: {'; '.join(problems)}",
        {"path": str(path), "problems": problems},
        "本机的配置文件缺失或有误，无法检测设备。请联系技术支持。",
    )


def failed_check(exc: BaseException) -> Check:
    """The red line of a diagnosis that failed halfway (a bug, or a device adapter refusing
    its settings): the error's class and message, for support."""
    return Check(
        "diagnosis",
        RED,
        f"diagnosis failed: {type(exc).__name__}: {exc}",
        {"error": type(exc).__name__},
        "检测没有完成，请联系技术支持。",
    )


def diagnosis_document(
    checks: list[Check], *, terminal_id: str | None, checked_at: dt.datetime
) -> dict[str, Any]:
    """``kiosk diag --json``: the worst level on top, then every check (docs/staff.md)."""
    return {
        "level": worst(checks).value,
        "terminal_id": terminal_id,
        "version": app_version(),
        "checked_at": checked_at.astimezone(dt.UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "checks": [c.as_dict() for c in checks],
    }


def export_support_bundle(
    checks: list[Check], log_dir: str, dest_dir: Path, now: dt.datetime, terminal_id: str
) -> Path:
    """A zip of the diagnosis (JSON) and the kiosk's logs, masked line by line.

    Raises:
        OSError: ``dest_dir`` cannot be written.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"support-{terminal_id or 'unenrolled'}-{now:%Y%m%dT%H%M%S}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        diagnosis = {
            "terminal_id": terminal_id,
            "generated_at": now.isoformat(timespec="seconds"),
            "version": app_version(),
            "checks": [c.as_dict() for c in checks],
        }
        bundle.writestr("diagnostics.json", json.dumps(diagnosis, ensure_ascii=False, indent=2))
        for log_file in sorted(Path(log_dir).glob("kiosk.log*")):
            try:
                text = log_file.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                log.warning("support bundle: %s skipped: %s", log_file.name, exc)
                continue
            masked = "\n".join(privacy.mask_text(line) for line in text.splitlines())
            bundle.writestr(f"logs/{log_file.name}", masked + "\n")
    return path


def summary_details(checks: list[Check]) -> Mapping[str, str]:
    """Check name -> level, for audit entries (no details, no personal data)."""
    return {c.name: c.level for c in checks}
