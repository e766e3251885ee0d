"""Second factor: the resident chooses an SMS code or hall staff confirming in person, then
the page of that factor (``sms_code``, ``staff_check``) takes the screen under the same title.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from kiosk.flow import session
from kiosk.privacy import mask_name
from ui.i18n import translate
from ui.screens import base, sms_code, staff_check

Factor = session.Factor


class ChoicePage(QWidget):
    """ "Send me a code" (when the platform knows a phone) or "ask staff".

    Signals:
        sms_requested, staff_requested: the resident's choice.
    """

    sms_requested = Signal()
    staff_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(32)
        # A refusal that brought the resident back here (a code that could not be sent).
        self.message_title = base.label("", "HeadingWarning")
        column.addWidget(self.message_title)
        self.message = base.label("", "Warning")
        column.addWidget(self.message)
        self.sms_button = base.button("", primary=True)
        self.sms_button.clicked.connect(self.sms_requested)
        column.addWidget(self.sms_button)
        self.no_phone_note = base.label("", "Muted")
        column.addWidget(self.no_phone_note)
        self.staff_button = base.button("")
        self.staff_button.clicked.connect(self.staff_requested)
        column.addWidget(self.staff_button)
        column.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.staff_button.setText(translate("SecondFactorScreen", "请工作人员现场核验"))
        self.staff_button.setAccessibleName(translate("SecondFactorScreen", "请工作人员现场核验"))
        self.sms_button.setAccessibleName(translate("SecondFactorScreen", "发送短信验证码"))
        self.no_phone_note.setText(
            translate("SecondFactorScreen", "您没有预留手机号码，请工作人员现场为您核验身份。")
        )

    def show_state(self, state: session.SessionState) -> None:
        identity = state.resident.identity
        has_phone = identity is not None and bool(
            "sms_otp" in identity.second_factors and identity.phone_masked
        )
        self.sms_button.setVisible(has_phone)
        self.sms_button.setText(
            translate("SecondFactorScreen", "发送短信验证码到 %1").replace(
                "%1", identity.phone_masked or ""
            )
            if identity is not None and has_phone
            else ""
        )
        self.no_phone_note.setVisible(identity is not None and not has_phone)
        self.sms_button.setEnabled(not state.step.busy)
        self.staff_button.setEnabled(not state.step.busy)
        title, body = base.message_texts(
            state.step.message if state.step.factor is Factor.CHOOSING else None
        )
        self.message_title.setText(title)
        self.message.setText(body)
        self.message_title.setVisible(bool(title))
        self.message.setVisible(bool(body))


class SecondFactorScreen(base.Screen):
    """Lets the resident prove it is them a second way: the title and whose card it is, over
    the page of ``state.step.factor``. It routes the state to its pages and their intents out.

    Signals:
        sms_requested: "send me a code" (or "use an SMS code instead" on the staff page).
        resend_requested: "send the code again", once its countdown ran out.
        staff_requested: "ask staff to confirm" (the choice page, or "no SMS?" on the code
            page).
        code_entered(str): six digits confirmed.
        staff_confirmed(str, str): staff id and PIN confirmed.
    """

    sms_requested = Signal()
    resend_requested = Signal()
    staff_requested = Signal()
    code_entered = Signal(str)
    staff_confirmed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.title = base.label("", "Title")
        self.layout_.addWidget(self.title)
        self.subject = base.label("", "Muted")
        self.layout_.addWidget(self.subject)
        self.pages = QStackedWidget()
        self.layout_.addWidget(self.pages, 1)
        self.choice_page = ChoicePage()
        self.choice_page.sms_requested.connect(self.sms_requested)
        self.choice_page.staff_requested.connect(self.staff_requested)
        self.code_page = sms_code.SmsCodePage()
        self.code_page.resend_requested.connect(self.resend_requested)
        self.code_page.staff_requested.connect(self.staff_requested)
        self.code_page.code_entered.connect(self.code_entered)
        self.staff_page = staff_check.StaffCheckPage()
        self.staff_page.sms_requested.connect(self.sms_requested)
        self.staff_page.staff_confirmed.connect(self.staff_confirmed)
        self._page_for: dict[Factor, ChoicePage | sms_code.SmsCodePage | staff_check.StaffCheckPage]
        self._page_for = {
            Factor.CHOOSING: self.choice_page,
            Factor.SMS: self.code_page,
            Factor.STAFF: self.staff_page,
        }
        for page in self._page_for.values():
            self.pages.addWidget(page)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(translate("SecondFactorScreen", "确认是您本人"))
        for page in self._page_for.values():
            page.retranslate()

    def show_state(self, state: session.SessionState) -> None:
        """Show the page of the factor; every page re-renders so what ended clears."""
        identity = state.resident.identity
        self.subject.setText(
            f"{mask_name(identity.name)}　{identity.id_masked}" if identity is not None else ""
        )
        for page in self._page_for.values():
            page.show_state(state)
        self.pages.setCurrentWidget(self._page_for[state.step.factor])
