"""One diagnostic check on the staff screen: a state badge (icon and word, not colour alone),
the check's name, its facts in plain words, and what to do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QWidget

from kiosk.staff import diagnostics
from ui.screens import base

# Icon + word + colour: the state reads without colour (WCAG 1.4.1).
BADGES = {
    diagnostics.GREEN: ("✔ 正常", "BadgeGreen"),
    diagnostics.AMBER: ("! 注意", "BadgeAmber"),
    diagnostics.RED: ("✖ 故障", "BadgeRed"),
}
TITLES = {
    "card reader": "读卡器",
    "camera": "摄像头",
    "printer": "打印机",
    "enrollment": "终端注册",
    "platform": "信用平台",
    "approvals": "平台批准",
    "clock": "时钟",
    "offline queue": "离线队列",
    "trust anchors": "证件签发机构证书",
    "system": "磁盘与程序",
}


def _yes(value: object, yes: str = "是", no: str = "否") -> str:
    return yes if value else no


def _reader_facts(d: dict[str, Any]) -> str:
    if "backend" in d:
        module = f"；安全模块 {d['sam_id']}" if "sam_id" in d else ""
        return f"身份证阅读器（厂商读卡库 {d.get('library', '')}）{module}"
    if not d.get("pcscd_reachable"):
        return "读卡服务 pcscd：连不上"
    using = next((r for r in d.get("readers", []) if r["name"] == d.get("using")), None)
    if using is None:
        names = "、".join(r["name"] for r in d.get("readers", [])) or "无"
        return f"读卡服务 pcscd：正常；看到的读卡器：{names}"
    card = f"有卡，ATR {using['atr']}" if using["card_present"] else "无卡"
    listed = _yes(using["reader_compatible"], "在兼容列表中", "不在兼容列表中")
    driver = using.get("driver", "unknown")
    return f"{using['name']}（{listed}；驱动 {driver}）；{card}；pcscd：正常"


def _printer_facts(d: dict[str, Any]) -> str:
    if "known" not in d:
        return f"连接：{d.get('connection', '')}"
    if not d["known"]:
        return f"连接：{d['connection']}；没有回应状态查询"
    return (
        f"连接：{d['connection']}；在线：{_yes(d['online'])}；"
        f"盖子：{_yes(d['cover_open'], '开', '关')}；"
        f"缺纸：{_yes(d['paper_end'])}；纸将尽：{_yes(d['paper_near_end'])}"
    )


def _system_facts(d: dict[str, Any]) -> str:
    uptime = int(d.get("uptime_s", 0))
    text = f"版本 {d.get('version', '')}；已运行 {uptime // 3600} 小时 {uptime % 3600 // 60} 分"
    if "free_bytes" in d:
        free_mb = d["free_bytes"] // (1024 * 1024)
        total_gb = d["total_bytes"] / 1024**3
        text = f"数据目录可用 {free_mb} MB（共 {total_gb:.0f} GB）；" + text
    return text


def _approvals_facts(d: dict[str, Any]) -> str:
    if "security_module" in d:
        return (
            f"身份证阅读器：{_yes(d['security_module'], '已批准', '未批准')}；"
            f"刷脸核验：{_yes(d['face'], '已批准', '未批准')}（由平台运营方决定）"
        )
    if d.get("api") == "v1":
        return "信用平台为 v1 接口：不支持身份证阅读器和刷脸核验"
    return ""


def _enrollment_facts(check: diagnostics.Check) -> str:
    if check.details.get("enrolled"):
        return f"终端编号 {check.details['terminal_id']}；凭据在系统钥匙串中"
    return "系统钥匙串中没有本机凭据"


def _platform_facts(check: diagnostics.Check) -> str:
    d = check.details
    if "latency_ms" not in d:
        if check.level == diagnostics.AMBER:
            return f"可以连接，但平台繁忙，请求要排队（{check.summary}）"
        return f"连不上或被拒绝（{check.summary}）"
    return (
        f"可以连接，往返 {d['latency_ms']} 毫秒；证书 {d['tls_subject']}，"
        f"有效期至 {d['tls_expires'][:10]}"
    )


def _when(key: str, say: Callable[[dict[str, Any]], str]) -> Callable[[diagnostics.Check], str]:
    """Facts from ``say`` when the details hold ``key``; the summary otherwise."""
    return lambda check: say(check.details) if key in check.details else check.summary


_FACTS: dict[str, Callable[[diagnostics.Check], str]] = {
    "card reader": lambda check: _reader_facts(check.details),
    "printer": lambda check: _printer_facts(check.details),
    "enrollment": _enrollment_facts,
    "platform": _platform_facts,
    "camera": _when("camera", lambda d: f"摄像头：{d['camera']}；人脸模型：{d['models']}"),
    "approvals": lambda check: _approvals_facts(check.details) or check.summary,
    "clock": _when("skew_s", lambda d: f"本机时间与平台相差 {d['skew_s']:+.0f} 秒"),
    "offline queue": lambda _check: "本版本尚未提供（没有队列数据可显示）",
    "system": lambda check: _system_facts(check.details),
    "trust anchors": _when(
        "issuer_cas", lambda d: f"已从信用平台更新，共 {d['issuer_cas']} 个签发机构"
    ),
}


def facts(check: diagnostics.Check) -> str:
    """The check's details in plain words; the technical summary when there are none."""
    if check.details.get("timed_out"):
        return check.summary
    say = _FACTS.get(check.name)
    return say(check) if say is not None else check.summary


class CheckRow(QFrame):
    """A check: badge, name and facts on the first line; what to do below when needed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CheckRow")
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 10, 16, 10)
        grid.setHorizontalSpacing(20)
        grid.setVerticalSpacing(4)
        self.badge = base.label("", "BadgeGreen", wrap=False)
        self.badge.setFixedWidth(140)
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = base.label("", "", wrap=False)
        self.title.setFixedWidth(170)
        self.facts = base.label("", "Small")
        self.advice = base.label("", "Advice")
        grid.addWidget(self.badge, 0, 0)
        grid.addWidget(self.title, 0, 1)
        grid.addWidget(self.facts, 0, 2)
        grid.addWidget(self.advice, 1, 1, 1, 2)
        grid.setColumnStretch(2, 1)

    def show_check(self, check: diagnostics.Check) -> None:
        """Show ``check``."""
        text, role = BADGES.get(check.level, ("? 未知", "BadgeAmber"))
        self.badge.setText(text)
        self.badge.setAccessibleName(f"{TITLES.get(check.name, check.name)}：{text[2:]}")
        if self.badge.objectName() != role:
            self.badge.setObjectName(role)
            base.repolish(self.badge)
        self.title.setText(TITLES.get(check.name, check.name))
        self.facts.setText(facts(check))
        self.advice.setText(check.advice)
        advice_role = "Warning" if check.level is diagnostics.RED else "Advice"
        if self.advice.objectName() != advice_role:
            self.advice.setObjectName(advice_role)
            base.repolish(self.advice)
        self.advice.setVisible(bool(check.advice))


def badge_text(level: diagnostics.Level | None) -> str:
    """The badge's words for ``level`` (tests and the readiness summary)."""
    return BADGES[level][0] if level is not None else "? 未知"
