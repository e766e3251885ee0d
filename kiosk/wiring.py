"""Builds the real services (reader, printer, platform client) from the configuration."""

from __future__ import annotations

from devices import (
    a4_printer,
    card_reader,
    escpos_printer,
    pcsc_reader,
    receipt_printer,
    vendor_reader,
)
from kiosk import assets, controller, credentials, platform_client, session
from kiosk import config as kiosk_config


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
    )


def verify_url(cfg: kiosk_config.KioskConfig) -> str:
    """Base of the public verification page printed as a QR code."""
    return cfg.platform.verify_url or cfg.platform.url.rstrip("/") + "/v1/verify"


def build_reader(cfg: kiosk_config.ReaderConfig) -> card_reader.CardReader:
    """The configured ID card reader back-end."""
    if cfg.backend == "vendor":
        return vendor_reader.VendorCardReader(
            cfg.vendor_library,
            port=cfg.vendor_port,
            call_timeout_s=cfg.vendor_call_timeout_s,
            poll_interval_s=cfg.vendor_poll_interval_s,
        )
    return pcsc_reader.PcscCardReader(cfg.name_pattern)


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


def build_platform_client(
    cfg: kiosk_config.KioskConfig, creds: credentials.TerminalCredentials | None
) -> platform_client.PlatformClient:
    """A platform client for this terminal."""
    return platform_client.PlatformClient(
        cfg.platform.url,
        ca_bundle=cfg.platform.ca_bundle or None,
        credentials=creds,
        connect_timeout=cfg.platform.connect_timeout_s,
        read_timeout=cfg.platform.read_timeout_s,
    )


def build_services(
    cfg: kiosk_config.KioskConfig, creds: credentials.TerminalCredentials
) -> controller.Services:
    """Everything the session controller needs, built from configuration."""
    return controller.Services(
        reader=build_reader(cfg.reader),
        platform=build_platform_client(cfg, creds),
        printer=build_printer(cfg.printer),
        terminal_id=creds.terminal_id,
        verify_url=verify_url(cfg),
        paper_columns=cfg.printer.columns,
        hotline=cfg.terminal.hotline,
        a4_printer=a4_printer.CupsA4Printer(cfg.printer.a4_queue) if cfg.printer.a4_queue else None,
    )
