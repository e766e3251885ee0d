"""The composition root: the one place the kiosk's object graph is built from the configuration.

``build_kiosk`` builds what ``kiosk run`` and ``kiosk demo`` run (the demo only points the
configuration at the simulators); the concrete adapters are named here and nowhere else in
the core (import-linter contract "Only the composition root imports concrete devices").
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from devices import (
    a4_printer,
    card_reader,
    escpos_printer,
    pcsc_reader,
    receipt_printer,
    vendor_reader,
)
from devices import camera as camera_device
from devices import errors as device_errors
from kiosk import assets
from kiosk import config as kiosk_config
from kiosk.card import trust_anchors as trust_anchors_mod
from kiosk.face import model_files as face_model_files
from kiosk.face import service as face_service
from kiosk.flow import controller, session
from kiosk.offline import public_content
from kiosk.offline import sender as outbox_sender
from kiosk.offline import services as offline_services
from kiosk.platform import client as platform_client
from kiosk.platform import credentials
from kiosk.platform import models as platform_models
from kiosk.staff import diagnostics, metrics
from offline_cache.keys import OUTBOX_KEY_NAME, REPORT_BUFFER_KEY_NAME, key_provider
from offline_cache.outbox import Outbox
from offline_cache.public_cache import PublicCache
from offline_cache.report_buffer import ReportBuffer

log = logging.getLogger(__name__)

# The probe's connect and read timeouts at most: a probe that hangs says nothing in time,
# but a platform under load may take up to 10 s to answer (platform-api.md §7) and is
# reachable, not offline: the read waits a little longer than that.
PROBE_TIMEOUTS_S = (3.0, 11.0)


def rules(cfg: kiosk_config.KioskConfig) -> session.Rules:
    """The journey's timeouts and elder-mode default from the configuration."""
    t = cfg.timeouts
    return session.Rules(
        consent=t.consent_s,
        card_read=t.card_read_s,
        second_factor=t.second_factor_s,
        report=t.report_s,
        printing=t.printing_s,
        done=t.done_s,
        error=t.error_s,
        elder_factor=cfg.elder_mode.timeout_factor,
        elder_default=cfg.elder_mode.default_on,
        staff=cfg.staff.idle_s,
        warn_before_s=t.warn_before_s,
        certified_reader=cfg.reader.backend == "vendor",
        face_attempt_s=cfg.camera.attempt_s,
    )


def verify_url(cfg: kiosk_config.KioskConfig) -> str:
    """Base of the public verification page printed as a QR code."""
    return cfg.platform.verify_url or cfg.platform.url.rstrip("/") + "/v1/verify"


def build_reader(cfg: kiosk_config.ReaderConfig) -> card_reader.CardReader:
    """The configured ID card reader back-end."""
    if cfg.backend == "vendor":
        return vendor_reader.VendorCardReader(
            cfg.vendor_library,
            decoder_library=cfg.vendor_decoder_library or None,
            port=cfg.vendor_port,
            call_timeout_s=cfg.vendor_call_timeout_s,
            poll_interval_s=cfg.vendor_poll_interval_s,
        )
    return pcsc_reader.PcscCardReader(cfg.name_pattern)


def build_face(cfg: kiosk_config.CameraConfig) -> face_service.FaceService | None:
    """The camera and face engine; None without a camera (the face check is not offered)."""
    if not cfg.source:
        return None
    source: int | str = int(cfg.source) if cfg.source.isdigit() else cfg.source
    camera = camera_device.OpenCvCamera(source, frame_timeout_s=cfg.frame_timeout_s)
    models = Path(cfg.models_dir) if cfg.models_dir else face_model_files.DEFAULT_MODEL_DIR
    return face_service.FaceService(camera, models)


def build_printer(cfg: kiosk_config.PrinterConfig) -> receipt_printer.ReceiptPrinter | None:
    """The configured receipt printer; None when the terminal has none.

    Raises:
        ValueError: A USB id or serial setting the printer classes refuse (the configuration
            loader reports these first, naming the key).
    """
    if cfg.connection == "none":
        return None
    text_mode: escpos_printer.TextMode = "raster" if cfg.text_mode == "raster" else "native"
    font = assets.CJK_FONT if text_mode == "raster" else None
    if cfg.connection == "usb":
        return escpos_printer.UsbEscposPrinter(
            cfg.usb_vendor_id, cfg.usb_product_id, text_mode=text_mode, font_path=font
        )
    if cfg.connection == "serial":
        return escpos_printer.SerialEscposPrinter(
            cfg.serial_device, cfg.serial_baudrate, text_mode=text_mode, font_path=font
        )
    return escpos_printer.EscposReceiptPrinter(
        cfg.host, cfg.port, text_mode=text_mode, font_path=font
    )


def resident_patience_s(journey: session.Rules) -> float:
    """How long one platform call of a resident's session may wait out a busy platform's
    ``Retry-After``: well inside the shortest limit of a screen where the resident waits for
    the platform (the screen's own timeout still ends the session if it runs out first)."""
    waiting = min(journey.card_read, journey.second_factor, journey.report, journey.printing)
    return max(5.0, waiting * 2 / 3)


def build_platform_client(
    cfg: kiosk_config.KioskConfig,
    creds: credentials.TerminalCredentials | None,
    *,
    patience_s: float = platform_client.DEFAULT_PATIENCE_S,
    max_attempts: int = 3,
    timeouts_cap_s: tuple[float, float] | None = None,
) -> platform_client.PlatformClient:
    """A platform client for this terminal: every client of the process comes from here.

    Args:
        patience_s: How long a call may wait out the platform's ``Retry-After`` in all.
        max_attempts: Attempts per idempotent call (background clients: 1, they back off
            themselves).
        timeouts_cap_s: Connect and read timeouts to stay under, when shorter than the
            configured ones (the probe's and the diagnosis's).
    """
    connect_s, read_s = cfg.platform.connect_timeout_s, cfg.platform.read_timeout_s
    if timeouts_cap_s is not None:
        connect_s, read_s = min(connect_s, timeouts_cap_s[0]), min(read_s, timeouts_cap_s[1])
    return platform_client.PlatformClient(
        cfg.platform.url,
        ca_bundle=cfg.platform.ca_bundle or None,
        credentials=creds,
        connect_timeout=connect_s,
        read_timeout=read_s,
        max_attempts=max_attempts,
        patience_s=patience_s,
    )


@dataclasses.dataclass(eq=False)
class Kiosk:
    """One kiosk process's object graph, before any thread or window is started.

    Attributes:
        services: What the resident flow's controller calls.
        offline: Outbox and sender, report buffer, public cache, the probe's client.
        diagnosis: What staff checks test: the same reader and printer as ``services``.
        health: What the heartbeat and the metrics file say; the app has it follow the
            controller (``Health.follow``), the outbox sender's thread asks the devices.
    """

    services: controller.Services
    offline: offline_services.OfflineServices
    diagnosis: diagnostics.Targets
    face: face_service.FaceService | None = None
    health: metrics.Health = dataclasses.field(default_factory=metrics.Health)


def build_kiosk(cfg: kiosk_config.KioskConfig, creds: credentials.TerminalCredentials) -> Kiosk:
    """Everything a kiosk runs, built from the configuration (nothing started yet).

    Raises:
        offline_cache.errors.CacheError: A file under ``paths.data_dir`` cannot be opened.
        ValueError: A device setting the adapters refuse (the configuration loader reports
            these first, naming the key).
    """
    reader = build_reader(cfg.reader)
    face = build_face(cfg.camera)
    printer = build_printer(cfg.printer)
    diagnosis = _diagnosis(cfg, reader, printer, face)
    health = build_health(cfg, creds)
    offline = build_offline(cfg, creds, reader, health=health, devices=diagnosis)
    platform = build_platform_client(cfg, creds, patience_s=resident_patience_s(rules(cfg)))
    platform.jwks_store = public_content.CacheJwksStore(offline.public.cache)
    services = controller.Services(
        reader=reader,
        platform=platform,
        printer=printer,
        terminal_id=creds.terminal_id,
        verify_url=verify_url(cfg),
        kept_content=offline.public,
        report_buffer=offline.report_buffer,
        trust_anchors=trust_anchors_mod.TrustAnchors(offline.public.cache),
        paper_columns=cfg.printer.columns,
        hotline=cfg.terminal.hotline,
        a4_printer=a4_printer.CupsA4Printer(cfg.printer.a4_queue) if cfg.printer.a4_queue else None,
        certified_reader=reader if isinstance(reader, vendor_reader.VendorCardReader) else None,
        reader_model=reader_model(cfg.reader),
        face=face,
    )
    return Kiosk(services=services, offline=offline, diagnosis=diagnosis, face=face, health=health)


def build_health(
    cfg: kiosk_config.KioskConfig, creds: credentials.TerminalCredentials
) -> metrics.Health:
    """The health the heartbeat and the metrics file share (docs/staff.md "Monitoring")."""
    return metrics.Health(
        diagnostics.app_version(),
        creds.terminal_id,
        reader_kind=metrics.reader_kind(cfg.reader.backend),
    )


def reader_model(cfg: kiosk_config.ReaderConfig) -> str:
    """The reader's model as declared to the platform: as configured, else its back-end."""
    return cfg.model or ("certified reader" if cfg.backend == "vendor" else "PC/SC reader")


def declared_hardware(
    cfg: kiosk_config.KioskConfig, reader: card_reader.CardReader
) -> platform_models.Hardware:
    """What this terminal declares to the platform at enrollment and in each heartbeat
    (spec §1): its reader, with the security module's id for a certified reader, and
    whether it has a camera.

    Raises:
        devices.errors.DeviceError: The security module's id cannot be read.
    """
    if isinstance(reader, vendor_reader.VendorCardReader):
        declared = platform_models.ReaderDeclaration(
            "security_module", reader_model(cfg.reader), reader.security_module_id()
        )
    else:
        declared = platform_models.ReaderDeclaration("pcsc", reader_model(cfg.reader))
    return platform_models.Hardware(readers=(declared,), camera=bool(cfg.camera.source))


def build_diagnosis(cfg: kiosk_config.KioskConfig) -> diagnostics.Targets:
    """What ``kiosk diag`` checks: the configured reader and printer, built as ``build_kiosk``
    builds them (nothing started; no outbox or sender, so it can run beside a kiosk).

    Raises:
        ValueError: A device setting the adapters refuse.
    """
    return _diagnosis(
        cfg, build_reader(cfg.reader), build_printer(cfg.printer), build_face(cfg.camera)
    )


def _diagnosis(
    cfg: kiosk_config.KioskConfig,
    reader: card_reader.CardReader,
    printer: receipt_printer.ReceiptPrinter | None,
    face: face_service.FaceService | None,
) -> diagnostics.Targets:
    def diagnosis_client(
        creds: credentials.TerminalCredentials, timeout_s: float
    ) -> platform_client.PlatformClient:
        return build_platform_client(
            cfg, creds, patience_s=0, max_attempts=1, timeouts_cap_s=(timeout_s, timeout_s)
        )

    return diagnostics.Targets(
        cfg=cfg,
        reader=reader,
        printer=printer,
        survey_readers=reader.survey if isinstance(reader, pcsc_reader.PcscCardReader) else None,
        platform_client=diagnosis_client,
        security_module_id=(
            reader.security_module_id
            if isinstance(reader, vendor_reader.VendorCardReader)
            else None
        ),
        face=face,
    )


def build_offline(
    cfg: kiosk_config.KioskConfig,
    creds: credentials.TerminalCredentials,
    reader: card_reader.CardReader | None = None,
    *,
    health: metrics.Health | None = None,
    devices: diagnostics.Targets | None = None,
) -> offline_services.OfflineServices:
    """Outbox and sender, report buffer (wiped now: start-up), public cache, under data_dir.

    Keys come from the service's systemd credentials, else the OS keyring
    (``offline_cache.keys.key_provider``; the demo and the tests install
    ``simulators.memory_keyring.MemoryKeyring`` first). The sender and the reachability probe
    get platform clients of their own: one attempt per call, and the probe's timeouts short.
    The sender's thread also keeps ``health`` current, asking ``devices`` (the kiosk's own
    reader and printer) how they are, for each heartbeat and, with ``[metrics] textfile``,
    the metrics file every ``metrics.interval_s``.

    Raises:
        offline_cache.errors.CacheError: A file cannot be opened or the buffer not wiped.
    """
    off = cfg.offline
    data_dir = Path(cfg.paths.data_dir)
    outbox = Outbox(
        data_dir / offline_services.OUTBOX_FILE,
        key_provider(OUTBOX_KEY_NAME),
        max_items=off.outbox_max_items,
    )
    cache = PublicCache(data_dir / offline_services.PUBLIC_CACHE_FILE)
    # Background clients: one attempt per call and no waiting inside it; the sender keeps
    # its own back-off, and for the probe a busy platform is an answer.
    sender_client = build_platform_client(cfg, creds, patience_s=0, max_attempts=1)
    probe_client = build_platform_client(
        cfg, creds, patience_s=0, max_attempts=1, timeouts_cap_s=PROBE_TIMEOUTS_S
    )
    public = public_content.PublicContent(cache)
    probe_client.jwks_store = public_content.CacheJwksStore(cache)
    version = diagnostics.app_version()
    collector = metrics.Collector(
        health if health is not None else build_health(cfg, creds),
        devices,
        outbox_stats=outbox.stats,
        # The sender's own client, on its own thread: the Date of its last answer.
        clock_skew=lambda: sender_client.clock_skew_s,
        textfile=Path(cfg.metrics.textfile) if cfg.metrics.textfile else None,
        printer_connection=cfg.printer.connection,
        a4_printer=bool(cfg.printer.a4_queue),
    )
    sender = outbox_sender.OutboxSender(
        outbox,
        sender_client,
        audit_batch_size=off.audit_batch_size,
        backoff=outbox_sender.Backoff(base_s=off.backoff_base_s, max_s=off.backoff_max_s),
        idle_poll_s=off.idle_poll_s,
        heartbeat=lambda: outbox_sender.Heartbeat(
            version, collector.heartbeat_devices(), _hardware_or_none(cfg, reader)
        ),
        heartbeat_interval_s=off.heartbeat_interval_s,
        tick=collector.write if collector.textfile is not None else None,
        tick_interval_s=cfg.metrics.interval_s,
    )
    return offline_services.OfflineServices(
        outbox=outbox,
        sender=sender,
        sender_client=sender_client,
        report_buffer=ReportBuffer(
            data_dir, key_provider(REPORT_BUFFER_KEY_NAME), ttl_s=off.report_buffer_ttl_s
        ),
        public=public,
        probe_client=probe_client,
        probe_interval_s=off.probe_interval_s,
    )


def hardware_for_enrollment(cfg: kiosk_config.KioskConfig) -> platform_models.Hardware:
    """The hardware ``kiosk enroll`` declares: the configured reader is opened just long
    enough to read its security module's id (a certified reader's approval is tied to it).

    Raises:
        devices.errors.DeviceError: The reader or its security module cannot be read.
    """
    reader = build_reader(cfg.reader)
    if not isinstance(reader, vendor_reader.VendorCardReader):
        return declared_hardware(cfg, reader)
    reader.start(lambda event: None)
    try:
        return declared_hardware(cfg, reader)
    finally:
        reader.stop()


def _hardware_or_none(
    cfg: kiosk_config.KioskConfig, reader: card_reader.CardReader | None
) -> dict[str, Any] | None:
    """The hardware a heartbeat re-declares; None (the platform keeps what it had) when the
    reader cannot say now, e.g. a certified reader whose library is not answering."""
    if reader is None:
        return None
    try:
        return declared_hardware(cfg, reader).to_wire()
    except device_errors.DeviceError as exc:
        log.warning("heartbeat without hardware: the reader cannot say now (%s)", exc)
        return None
