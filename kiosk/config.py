"""Kiosk configuration: one TOML file, validated at start-up into frozen dataclasses.

Every problem in the file is reported at once, each naming its key (``printer.port: ...``).
Unknown keys are errors too, so a typo never silently falls back to a default.
The documented example with every key is ``config/kiosk.example.toml``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from kiosk import errors
from kiosk.staff import pin as staff_pin

# The choices a key allows are its annotation's Literal: validation reads them from there.
ReaderBackend = Literal["pcsc", "vendor"]
VendorApi = Literal["sdtapi"]
PrinterConnection = Literal["network", "usb", "serial", "none"]
PaperWidth = Literal[58, 80]
TextMode = Literal["native", "raster"]  # printer's Chinese font (GB18030) | images of text
VoiceEngine = Literal["espeak-ng", "none"]  # none: no spoken prompts at all
TerminalMode = Literal["production", "demo"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlatformConfig:
    """The central credit platform."""

    url: str = "https://127.0.0.1:8443"
    ca_bundle: str = ""  # PEM file; empty means the system's CA store
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    verify_url: str = ""  # public verification page base; empty means <url>/v1/verify


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReaderConfig:
    """The ID card reader: RID-1 over PC/SC, or a certified reader's vendor library."""

    backend: ReaderBackend = "pcsc"
    name_pattern: str = ""  # pcsc: the first reader whose name matches this regex
    vendor_library: str = ""  # vendor: absolute path of the sdtapi-style library
    # vendor: absolute path of the vendor's photo decoder library ("" = no face check against
    # the card photo on this terminal)
    vendor_decoder_library: str = ""
    model: str = ""  # the reader's model, as declared to the platform's operators
    vendor_api: VendorApi = "sdtapi"
    vendor_port: int = 1001
    vendor_call_timeout_s: float = 5.0
    vendor_poll_interval_s: float = 0.3


@dataclasses.dataclass(frozen=True, kw_only=True)
class PrinterConfig:
    """The receipt printer connection and paper."""

    connection: PrinterConnection = "network"
    host: str = "127.0.0.1"
    port: int = 9100
    usb_vendor_id: int = 0
    usb_product_id: int = 0
    serial_device: str = "/dev/ttyUSB0"
    serial_baudrate: int = 19200
    paper_width_mm: PaperWidth = 80
    text_mode: TextMode = "native"
    a4_queue: str = ""  # CUPS queue for the full A4 report; "" = no A4 printer

    @property
    def columns(self) -> int:
        """Characters per line in the printer's standard font (12x24 dots)."""
        return 32 if self.paper_width_mm == 58 else 48


@dataclasses.dataclass(frozen=True, kw_only=True)
class TimeoutsConfig:
    """Seconds of inactivity before each screen gives up and the session ends."""

    consent_s: float = 60.0
    card_read_s: float = 30.0
    second_factor_s: float = 180.0
    report_s: float = 180.0
    printing_s: float = 60.0
    done_s: float = 15.0
    error_s: float = 20.0
    warn_before_s: float = 20.0  # "are you still there?" countdown before a limit (0: none)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CameraConfig:
    """The camera of the face check (none: the face check is never offered)."""

    # "" none; a number: /dev/videoN (a USB camera); a URL: an IP camera's MJPEG stream
    source: str = ""
    frame_timeout_s: float = 2.0  # no frame for this long: the camera has failed
    attempt_s: float = 30.0  # one face-check attempt at most (doubled in large-text mode)
    models_dir: str = ""  # the two pinned model files ("" = the assets folder)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ElderModeConfig:
    """Large-text assisted mode."""

    default_on: bool = False
    timeout_factor: float = 2.0  # every timeout is this many times longer
    voice_prompts: bool = True


@dataclasses.dataclass(frozen=True, kw_only=True)
class VoiceConfig:
    """The speech engine behind large-text mode's spoken prompts (kiosk/voice/speech.py)."""

    engine: VoiceEngine = "espeak-ng"
    rate_wpm: int = 145  # Mandarin: syllables a minute; espeak-ng's own 175 is fast for elders
    volume: int = 100  # espeak-ng amplitude 0..200; the hall's loudness is set on the OS mixer


@dataclasses.dataclass(frozen=True, kw_only=True)
class TerminalConfig:
    """This terminal."""

    mode: TerminalMode = "production"
    hotline: str = "12345"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PathsConfig:
    """Where the kiosk keeps its files."""

    data_dir: str = "/var/lib/credit-kiosk"
    log_dir: str = "/var/log/credit-kiosk"


@dataclasses.dataclass(frozen=True, kw_only=True)
class LoggingConfig:
    """Rotating log file."""

    level: LogLevel = "INFO"
    max_bytes: int = 2_000_000
    backup_count: int = 5


@dataclasses.dataclass(frozen=True, kw_only=True)
class StaffConfig:
    """Hall staff mode (docs/staff.md)."""

    pin_hash: str = ""  # from `kiosk staff-pin`; empty: staff mode cannot be opened
    max_failures: int = 5  # wrong PINs in a row before staff mode locks
    lockout_s: float = 300.0
    idle_s: float = 60.0  # staff mode closes itself after this long without a touch
    long_press_s: float = 3.0  # hold the header's top-left corner this long to open it
    check_deadline_s: float = 4.0  # every diagnostic check answers within this


@dataclasses.dataclass(frozen=True, kw_only=True)
class OfflineConfig:
    """The offline layer (docs/decisions.md "Offline cache"); files in ``paths.data_dir``."""

    outbox_max_items: int = 10_000  # waiting submissions before new ones are refused (staff alert)
    report_buffer_ttl_s: float = 600.0  # the sealed report buffer is wiped after this long
    audit_batch_size: int = 50  # audit events per request
    backoff_base_s: float = 2.0  # first pause after a failed delivery, doubling...
    backoff_max_s: float = 600.0  # ...up to this
    idle_poll_s: float = 30.0  # the sender looks at the outbox at least this often
    heartbeat_interval_s: float = 300.0  # a heartbeat (with the outbox backlog) this often
    probe_interval_s: float = 10.0  # platform reachability checked this often (idle screen)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MetricsConfig:
    """Prometheus metrics in node_exporter's textfile format (docs/staff.md "Monitoring")."""

    # Absolute path of a *.prom file in node_exporter's --collector.textfile.directory, e.g.
    # "/var/lib/prometheus/node-exporter/credit_kiosk.prom"; "" = no metrics file.
    textfile: str = ""
    interval_s: float = 60.0  # the file is written again this often


@dataclasses.dataclass(frozen=True, kw_only=True)
class KioskConfig:
    """The whole configuration."""

    platform: PlatformConfig = PlatformConfig()
    reader: ReaderConfig = ReaderConfig()
    printer: PrinterConfig = PrinterConfig()
    camera: CameraConfig = CameraConfig()
    timeouts: TimeoutsConfig = TimeoutsConfig()
    elder_mode: ElderModeConfig = ElderModeConfig()
    voice: VoiceConfig = VoiceConfig()
    terminal: TerminalConfig = TerminalConfig()
    paths: PathsConfig = PathsConfig()
    logging: LoggingConfig = LoggingConfig()
    staff: StaffConfig = StaffConfig()
    offline: OfflineConfig = OfflineConfig()
    metrics: MetricsConfig = MetricsConfig()


def _choices(section: type[Any]) -> dict[str, tuple[object, ...]]:
    """The allowed values of each key of ``section`` annotated with a ``Literal``."""
    hints = get_type_hints(section)
    return {name: get_args(hint) for name, hint in hints.items() if get_origin(hint) is Literal}


def _check_value(
    key: str,
    value: object,
    default: object,
    allowed: tuple[object, ...] | None,
    problems: list[str],
) -> object:
    """Return ``value`` converted to the default's type, or record a problem."""
    kind = type(default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) is not kind:
        problems.append(f"{key}: expected {kind.__name__}, got {type(value).__name__} {value!r}")
        return default
    if allowed is not None and value not in allowed:
        problems.append(f"{key}: {value!r} is not one of {', '.join(repr(c) for c in allowed)}")
    elif isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        problems.append(f"{key}: must not be negative, got {value!r}")
    return value


def _check_section(name: str, raw: object, default: Any, problems: list[str]) -> Any:
    if not isinstance(raw, dict):
        problems.append(f"{name}: expected a table ([{name}]), got {type(raw).__name__}")
        return default
    fields = {f.name: getattr(default, f.name) for f in dataclasses.fields(default)}
    choices = _choices(type(default))
    values = {}
    for key, value in raw.items():
        if key not in fields:
            problems.append(f"{name}.{key}: unknown key (known: {', '.join(fields)})")
            continue
        values[key] = _check_value(f"{name}.{key}", value, fields[key], choices.get(key), problems)
    return dataclasses.replace(default, **values)


def _offline_checks(off: OfflineConfig, problems: list[str]) -> None:
    for key in ("outbox_max_items", "audit_batch_size"):
        if getattr(off, key) < 1:
            problems.append(f"offline.{key}: must be at least 1")
    for key in (
        "report_buffer_ttl_s",
        "backoff_base_s",
        "idle_poll_s",
        "heartbeat_interval_s",
        "probe_interval_s",
    ):
        if getattr(off, key) <= 0:
            problems.append(f"offline.{key}: must be more than 0")
    if off.backoff_max_s < off.backoff_base_s:
        problems.append("offline.backoff_max_s: must be at least offline.backoff_base_s")


# espeak-ng speaks from 80 words a minute; above 300 a prompt is too fast to follow.
VOICE_RATE_RANGE = (80, 300)
VOICE_VOLUME_MAX = 200  # espeak-ng -a: 100 is its normal loudness, 200 its maximum


def _voice_checks(voice: VoiceConfig, problems: list[str]) -> None:
    low, high = VOICE_RATE_RANGE
    if not low <= voice.rate_wpm <= high:
        problems.append(
            f"voice.rate_wpm: must be between {low} and {high} words a minute, got {voice.rate_wpm}"
        )
    if voice.volume > VOICE_VOLUME_MAX:
        problems.append(
            f"voice.volume: must be between 0 and {VOICE_VOLUME_MAX}, got {voice.volume}"
        )


def _camera_checks(camera: CameraConfig, problems: list[str]) -> None:
    for key in ("frame_timeout_s", "attempt_s"):
        if getattr(camera, key) <= 0:
            problems.append(f"camera.{key}: must be more than 0")
    if camera.models_dir and not Path(camera.models_dir).is_absolute():
        problems.append(f"camera.models_dir: must be an absolute path (got {camera.models_dir!r})")


METRICS_INTERVAL_MIN_S = 1.0  # more often only keeps the sender's thread busy


def _metrics_checks(metrics: MetricsConfig, problems: list[str]) -> None:
    # The folder is not required to exist: a kiosk must not refuse to serve residents because
    # node_exporter is not installed yet (the writer logs why it cannot write).
    if metrics.textfile:
        path = Path(metrics.textfile)
        if not path.is_absolute():
            problems.append(
                f"metrics.textfile: must be an absolute path (got {metrics.textfile!r})"
            )
        elif path.suffix != ".prom":
            problems.append(
                "metrics.textfile: node_exporter reads only files ending in .prom "
                f"(got {metrics.textfile!r})"
            )
    if metrics.interval_s < METRICS_INTERVAL_MIN_S:
        problems.append(
            f"metrics.interval_s: must be at least {METRICS_INTERVAL_MIN_S:g} s, "
            f"got {metrics.interval_s!r}"
        )


def _cross_checks(cfg: KioskConfig, problems: list[str]) -> None:
    if not re.match(r"^https?://", cfg.platform.url):
        problems.append(f"platform.url: must start with https:// (got {cfg.platform.url!r})")
    elif cfg.platform.url.startswith("http://") and cfg.terminal.mode == "production":
        problems.append("platform.url: production mode needs https://")
    if cfg.platform.ca_bundle and not Path(cfg.platform.ca_bundle).is_file():
        problems.append(f"platform.ca_bundle: no such file {cfg.platform.ca_bundle!r}")
    try:
        re.compile(cfg.reader.name_pattern)
    except re.error as exc:
        problems.append(f"reader.name_pattern: not a regular expression ({exc})")
    if cfg.reader.backend == "vendor":
        library = Path(cfg.reader.vendor_library)
        if not library.is_absolute() or not library.is_file():
            problems.append(
                "reader.vendor_library: the vendor backend needs the absolute path of an existing "
                f"library (got {cfg.reader.vendor_library!r})"
            )
    if cfg.printer.port > 65535:
        problems.append(f"printer.port: {cfg.printer.port} is not a TCP port")
    if cfg.printer.connection == "usb" and not (
        cfg.printer.usb_vendor_id and cfg.printer.usb_product_id
    ):
        problems.append("printer.usb_vendor_id/usb_product_id: required for a USB printer")
    if cfg.staff.pin_hash:
        try:
            staff_pin.parse_pin_hash(cfg.staff.pin_hash)
        except staff_pin.BadPinHash as exc:
            problems.append(f"staff.pin_hash: {exc}")
    _offline_checks(cfg.offline, problems)
    _voice_checks(cfg.voice, problems)
    _camera_checks(cfg.camera, problems)
    _metrics_checks(cfg.metrics, problems)
    if cfg.elder_mode.timeout_factor < 1:
        problems.append("elder_mode.timeout_factor: must be at least 1 (longer, never shorter)")


def parse_config(data: dict[str, Any], path: str = "") -> KioskConfig:
    """Validate an already-parsed TOML document.

    Raises:
        kiosk.errors.ConfigError: listing every problem found.
    """
    problems: list[str] = []
    base = KioskConfig()
    sections = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    values = {}
    for name, raw in data.items():
        if name not in sections:
            problems.append(f"{name}: unknown section (known: {', '.join(sections)})")
            continue
        values[name] = _check_section(name, raw, sections[name], problems)
    cfg = dataclasses.replace(base, **values)
    if not problems:
        _cross_checks(cfg, problems)
    if problems:
        raise errors.ConfigError(problems, path)
    return cfg


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    return repr(value)


def to_toml(cfg: KioskConfig) -> str:
    """``cfg`` as a TOML document that ``load_config`` reads back to the same value."""
    lines: list[str] = []
    for section in dataclasses.fields(cfg):
        lines.append(f"[{section.name}]")
        values = getattr(cfg, section.name)
        for field in dataclasses.fields(values):
            lines.append(f"{field.name} = {_toml_value(getattr(values, field.name))}")
        lines.append("")
    return "\n".join(lines)


def load_config(path: Path) -> KioskConfig:
    """Read and validate the TOML file at ``path``.

    Raises:
        kiosk.errors.ConfigError: The file is missing, not TOML, or has bad values.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise errors.ConfigError([f"file not found: {path}"], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.ConfigError([f"cannot read: {exc}"], str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise errors.ConfigError([f"not valid TOML: {exc}"], str(path)) from None
    return parse_config(data, str(path))
