"""Second factor: the resident chooses a face check (where offered), an SMS code or hall
staff confirming in person, then the page of that factor (``face_consent`` and ``face_check``,
``sms_code``, ``staff_check``) takes the screen under the same title.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from kiosk.flow import session
from kiosk.privacy import mask_name
from ui.i18n import translate
from ui.screens import base, face_check, face_consent, sms_code, staff_check

Factor = session.Factor


class ChoicePage(QWidget):
    """ "Check my face" first where it is offered, "send me a code" (when the platform knows a
    phone) or "ask staff". With the face check on offer the other two stay on the page, as
    equal choices under it: nobody has to go through the camera to get to them.

    Signals:
        face_requested, sms_requested, staff_requested: the resident's choice.
    """

    face_requested = Signal()
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
        self.face_button = base.button("", primary=True)
        self.face_button.clicked.connect(self.face_requested)
        column.addWidget(self.face_button)
        self.others_note = base.label("", "Muted")
        column.addWidget(self.others_note)
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
        self.face_button.setText(translate("SecondFactorScreen", "刷脸核验，照片不保存"))
        self.others_note.setText(translate("SecondFactorScreen", "也可以选择："))
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
        face = state.resident.face_offered
        self.face_button.setVisible(face)
        self.others_note.setVisible(face)
        # The face check offered: it is the one filled button, the others are equal choices.
        sms_role = "" if face else "Primary"
        if self.sms_button.objectName() != sms_role:
            self.sms_button.setObjectName(sms_role)
            base.repolish(self.sms_button)
        # "No phone: staff will check you" reads as the only way when the face is offered too.
        self.no_phone_note.setVisible(identity is not None and not has_phone and not face)
        for choice in (self.face_button, self.sms_button, self.staff_button):
            choice.setEnabled(not state.step.busy)
        base.show_message(
            self.message_title,
            self.message,
            state.step.message if state.step.factor is Factor.CHOOSING else None,
        )


class SecondFactorScreen(base.Screen):
    """Lets the resident prove it is them a second way: the title and whose card it is, over
    the page of ``state.step.factor``. It routes the state to its pages and their intents out.

    Signals:
        face_requested: "check my face" on the choice page (its notice comes next).
        face_agreed: the face check's notice agreed to (the window stamps the time).
        face_declined: another way than the face (on its notice, or while the camera is on).
        face_retry_requested: "try again" after a face check that did not pass.
        sms_requested: "send me a code" (or "use an SMS code instead" on the staff page).
        resend_requested: "send the code again", once its countdown ran out.
        staff_requested: "ask staff to confirm" (the choice page, or "no SMS?" on the code
            page).
        code_entered(str): six digits confirmed.
        staff_confirmed(str, str): staff id and PIN confirmed.
    """

    face_requested = Signal()
    face_agreed = Signal()
    face_declined = Signal()
    face_retry_requested = Signal()
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
        self.choice_page.face_requested.connect(self.face_requested)
        self.choice_page.sms_requested.connect(self.sms_requested)
        self.choice_page.staff_requested.connect(self.staff_requested)
        self.code_page = sms_code.SmsCodePage()
        self.code_page.resend_requested.connect(self.resend_requested)
        self.code_page.staff_requested.connect(self.staff_requested)
        self.code_page.code_entered.connect(self.code_entered)
        self.staff_page = staff_check.StaffCheckPage()
        self.staff_page.sms_requested.connect(self.sms_requested)
        self.staff_page.staff_confirmed.connect(self.staff_confirmed)
        self.face_consent_page = face_consent.FaceConsentPage()
        self.face_consent_page.agreed.connect(self.face_agreed)
        self.face_consent_page.declined.connect(self.face_declined)
        self.face_page = face_check.FaceCheckPage()
        self.face_page.retry_requested.connect(self.face_retry_requested)
        self.face_page.declined.connect(self.face_declined)
        self._page_list: list[
            ChoicePage
            | sms_code.SmsCodePage
            | staff_check.StaffCheckPage
            | face_consent.FaceConsentPage
            | face_check.FaceCheckPage
        ] = [
            self.choice_page,
            self.code_page,
            self.staff_page,
            self.face_consent_page,
            self.face_page,
        ]
        for page in self._page_list:
            self.pages.addWidget(page)
        self.retranslate()

    def set_preview_source(self, source: face_check.PreviewSource | None) -> None:
        """Where the face page's picture comes from (see ``FaceCheckPage.set_preview_source``)."""
        self.face_page.set_preview_source(source)

    def set_rules(self, rules: session.Rules) -> None:
        """The session's rules, for the face check's countdown."""
        self.face_page.set_rules(rules)

    def retranslate(self) -> None:
        self.title.setText(translate("SecondFactorScreen", "确认是您本人"))
        for page in self._page_list:
            page.retranslate()

    def page_for(self, step: session.Step) -> QWidget:
        """The page that shows ``step``: the face check's notice comes before its camera."""
        if step.factor is Factor.FACE:
            if step.face_stage is session.FaceStage.CONSENT:
                return self.face_consent_page
            return self.face_page
        return {
            Factor.CHOOSING: self.choice_page,
            Factor.SMS: self.code_page,
            Factor.STAFF: self.staff_page,
        }[step.factor]

    def show_state(self, state: session.SessionState) -> None:
        """Show the page of the factor; every page re-renders so what ended clears."""
        identity = state.resident.identity
        self.subject.setText(
            f"{mask_name(identity.name)}　{identity.id_masked}" if identity is not None else ""
        )
        for page in self._page_list:
            page.show_state(state)
        self.pages.setCurrentWidget(self.page_for(state.step))
