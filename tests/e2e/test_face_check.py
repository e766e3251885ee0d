"""The face check through every real layer: the kiosk as ``kiosk run`` builds it with a camera
(``OpenCvCamera`` reading the camera simulator's MJPEG stream), the pinned models, the RID-1
card's EF.PHOTO through pcscd (or a certified reader's decoded photo), and the platform
simulator over HTTPS judging each attempt (platform-api §3b). A "resident" follows the
screen's instructions by switching the camera simulator's scene.

Screens are driven through the controller's events here (the face pages' own tests press
their buttons); what matters is that the pieces meet: prompts, attempts, the platform's
verdicts, and that nothing of a face is left anywhere afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk import errors
from kiosk.app import composition
from kiosk.face import model_files
from kiosk.face.service import FaceService
from kiosk.flow import session
from kiosk.platform import credentials
from kiosk.staff import diagnostics
from simulators import demo
from simulators.camera_server import CameraSimulator, card_photo_jpeg
from simulators.card_factory import FID_PHOTO, IssuerCA, issue_card, tlv
from simulators.certified_reader import CertifiedReaderSimulator, chip_photo
from simulators.pcscd import PcscdInfo
from simulators.platform_server import PlatformSimulator
from simulators.residents import ZHANG_WEI
from simulators.virtual_card import VirtualCardClient
from simulators.virtual_printer import VirtualPrinter
from tests.support.kiosk import running_kiosk
from ui import app as ui_app

Phase = session.Phase
WAIT_MS = 40_000  # model loading, pcscd, TLS and a whole head-turn challenge
CST = dt.timezone(dt.timedelta(hours=8))
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"BM")


@pytest.fixture
def camera() -> Iterator[CameraSimulator]:
    with CameraSimulator(seed=7) as sim:
        yield sim


@pytest.fixture
def face_cfg(
    simulator_cfg: kiosk_config.KioskConfig, camera: CameraSimulator
) -> kiosk_config.KioskConfig:
    return demo.camera_config(simulator_cfg, camera)


def face_of(app: ui_app.KioskApp) -> FaceService:
    face = app.services.face
    assert isinstance(face, FaceService)
    return face


def approve_face(platform_sim: PlatformSimulator) -> None:
    creds = credentials.CredentialStore().load()
    assert creds is not None
    platform_sim.approve(creds.terminal_id, face=True)


@pytest.fixture
def kiosk_app(
    qtbot: QtBot,
    face_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    camera: CameraSimulator,
) -> Iterator[ui_app.KioskApp]:
    with running_kiosk(face_cfg, platform_sim) as app:
        approve_face(platform_sim)
        app.controller.add_listener(demo.follow_prompts(camera))
        # The idle screen's warm-up loads the models and tries the camera.
        qtbot.wait_until(face_of(app).ready, timeout=WAIT_MS)
        yield app


def wait_until(
    qtbot: QtBot, app: ui_app.KioskApp, ready: Callable[[session.SessionState], bool]
) -> session.SessionState:
    def reached() -> None:
        state = app.controller.state
        assert ready(state), f"{state.phase} {state.step.factor} {state.step.face_stage}"

    qtbot.wait_until(reached, timeout=WAIT_MS)
    return app.controller.state


def to_face_consent(
    qtbot: QtBot, app: ui_app.KioskApp, insert: Callable[[], object]
) -> session.SessionState:
    insert()
    wait_until(qtbot, app, lambda s: s.phase is Phase.CONSENT)
    app.controller.handle(session.ConsentGiven())
    state = wait_until(qtbot, app, lambda s: s.phase is Phase.SECOND_FACTOR)
    assert state.resident.face_offered
    app.controller.handle(session.FaceChosen())
    return app.controller.state


def agree(app: ui_app.KioskApp) -> None:
    app.controller.handle(session.FaceConsentGiven(dt.datetime.now(CST)))


def astronaut_card(
    virtual_card: Callable[..., VirtualCardClient], issuer_ca: IssuerCA
) -> Callable[[], VirtualCardClient]:
    image = issue_card(ZHANG_WEI, issuer_ca, photo_jpeg=card_photo_jpeg("astronaut"))
    return lambda: virtual_card(image=image)


def no_image_left(*roots: Path) -> list[str]:
    """Files under ``roots`` that start like a JPEG, PNG or BMP (a frame or photo kept)."""
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
            if path.is_file() and path.read_bytes()[:4].startswith(IMAGE_MAGIC):
                found.append(str(path))
    return found


def test_a_resident_passes_the_face_check_against_the_cards_photo(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    issuer_ca: IssuerCA,
    face_cfg: kiosk_config.KioskConfig,
) -> None:
    temp = Path(tempfile.gettempdir())
    temp_before = set(temp.iterdir())
    card = astronaut_card(virtual_card, issuer_ca)
    state = to_face_consent(qtbot, kiosk_app, card)
    assert state.step.face_stage is session.FaceStage.CONSENT
    face = face_of(kiosk_app)
    assert face.preview() is None  # nothing read, the camera off
    agree(kiosk_app)
    prompts: set[str] = set()
    kiosk_app.controller.add_listener(
        lambda s: prompts.add(s.step.face_prompt) if s.step.face_prompt else None
    )
    state = wait_until(qtbot, kiosk_app, lambda s: s.phase is Phase.REPORT)
    assert {"turn_left", "turn_right", "face_straight"} <= prompts
    (attempt,) = platform_sim.face_attempts
    assert attempt.passed and attempt.liveness_passed and attempt.score > 0.363
    assert face.preview() is None  # the camera is off again
    assert state.resident.card_photo is None

    kiosk_app.controller.handle(session.CardRemoved())
    state = wait_until(qtbot, kiosk_app, lambda s: s.phase is Phase.IDLE)
    assert state.resident.identity is None and state.resident.card_photo is None
    data = Path(face_cfg.paths.data_dir)
    logs = Path(face_cfg.paths.log_dir)
    assert no_image_left(data, logs) == []
    assert no_image_left(*(set(temp.iterdir()) - temp_before)) == []


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_printed_photo_fails_the_liveness_check_and_the_resident_uses_an_sms_code(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    camera: CameraSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    issuer_ca: IssuerCA,
) -> None:
    camera.set_scene("printed_photo")
    to_face_consent(qtbot, kiosk_app, astronaut_card(virtual_card, issuer_ca))
    agree(kiosk_app)
    state = wait_until(qtbot, kiosk_app, lambda s: s.step.face_stage is session.FaceStage.RETRY)
    assert state.step.face_failure == "frozen"
    assert state.resident.face_attempts_left == 2
    (attempt,) = platform_sim.face_attempts
    assert not attempt.liveness_passed and not attempt.passed  # reported all the same
    kiosk_app.controller.handle(session.FaceDeclined())
    kiosk_app.controller.handle(session.SmsChosen())
    wait_until(qtbot, kiosk_app, lambda s: s.step.otp_sent)
    kiosk_app.controller.handle(session.OtpEntered(platform_sim.sent_codes[-1]))
    wait_until(qtbot, kiosk_app, lambda s: s.phase is Phase.REPORT)


@pytest.mark.expect_log("kiosk.flow.controller")
def test_someone_else_in_front_of_the_camera_is_not_passed(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    issuer_ca: IssuerCA,
) -> None:
    """The card shows the photographer; the astronaut turns her head as asked."""
    image = issue_card(ZHANG_WEI, issuer_ca, photo_jpeg=card_photo_jpeg("photographer"))
    to_face_consent(qtbot, kiosk_app, lambda: virtual_card(image=image))
    agree(kiosk_app)
    state = wait_until(qtbot, kiosk_app, lambda s: s.step.face_stage is session.FaceStage.RETRY)
    assert state.step.face_failure == "score"
    (attempt,) = platform_sim.face_attempts
    assert attempt.liveness_passed and attempt.score < 0.363 and not attempt.passed


@pytest.mark.expect_log("kiosk.flow.controller", "devices.camera", "kiosk.face.service")
def test_a_camera_unplugged_mid_check_leaves_the_other_ways(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    camera: CameraSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    issuer_ca: IssuerCA,
) -> None:
    to_face_consent(qtbot, kiosk_app, astronaut_card(virtual_card, issuer_ca))
    agree(kiosk_app)
    wait_until(qtbot, kiosk_app, lambda s: s.step.face_stage is session.FaceStage.LOOKING)
    camera.set_scene("unplugged")
    state = wait_until(qtbot, kiosk_app, lambda s: s.step.factor is session.Factor.CHOOSING)
    assert state.step.message == errors.FACE_UNAVAILABLE
    assert not state.resident.face_offered
    assert platform_sim.face_attempts == []  # no attempt ran, none is reported
    assert not face_of(kiosk_app).ready()


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_card_whose_photo_is_not_the_one_its_sod_signed_is_refused(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    issuer_ca: IssuerCA,
) -> None:
    genuine = issue_card(ZHANG_WEI, issuer_ca, photo_jpeg=card_photo_jpeg("astronaut"))
    swapped = dataclasses.replace(
        genuine,
        files={**genuine.files, FID_PHOTO: tlv(0x5F2E, card_photo_jpeg("photographer"))},
    )
    to_face_consent(qtbot, kiosk_app, lambda: virtual_card(image=swapped))
    agree(kiosk_app)
    state = wait_until(qtbot, kiosk_app, lambda s: s.phase is Phase.ERROR)
    assert state.step.card_refused == session.CardRefusal("photo_hash", "terminal")
    assert platform_sim.face_attempts == []
    assert state.resident.identity is None


@pytest.fixture
def certified_face_app(
    qtbot: QtBot,
    tmp_path: Path,
    platform_sim: PlatformSimulator,
    virtual_printer: VirtualPrinter,
    memory_keyring: object,
    sim: CertifiedReaderSimulator,
    camera: CameraSimulator,
) -> Iterator[ui_app.KioskApp]:
    cfg = demo.simulator_config(
        platform_sim, virtual_printer, "", tmp_path / "data", tmp_path / "logs"
    )
    cfg = demo.camera_config(demo.certified_reader_config(cfg, sim), camera)
    with running_kiosk(cfg, platform_sim) as app:
        creds = credentials.CredentialStore().load()
        assert creds is not None
        platform_sim.approve(creds.terminal_id, security_module=True, face=True)
        app.controller.add_listener(demo.follow_prompts(camera))
        qtbot.wait_until(face_of(app).ready, timeout=WAIT_MS)
        yield app


def test_a_certified_readers_photo_serves_the_face_check(
    qtbot: QtBot,
    certified_face_app: ui_app.KioskApp,
    platform_sim: PlatformSimulator,
    sim: CertifiedReaderSimulator,
) -> None:
    photo = chip_photo(card_photo_jpeg("astronaut", quality=90))
    to_face_consent(qtbot, certified_face_app, lambda: sim.place_card("resident_id", photo=photo))
    agree(certified_face_app)
    wait_until(qtbot, certified_face_app, lambda s: s.phase is Phase.REPORT)
    (attempt,) = platform_sim.face_attempts
    assert attempt.passed and attempt.score > 0.363


def test_no_face_check_for_a_terminal_without_pcscd_approval_of_face(
    qtbot: QtBot,
    face_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    virtual_card: Callable[..., VirtualCardClient],
    issuer_ca: IssuerCA,
    pcscd: PcscdInfo,
) -> None:
    """The platform's operators have not approved the face check: it is not offered."""
    with running_kiosk(face_cfg, platform_sim) as app:
        astronaut_card(virtual_card, issuer_ca)()
        wait_until(qtbot, app, lambda s: s.phase is Phase.CONSENT)
        app.controller.handle(session.ConsentGiven())
        state = wait_until(qtbot, app, lambda s: s.phase is Phase.SECOND_FACTOR)
        assert state.resident.identity is not None
        assert "face" not in state.resident.identity.second_factors
        assert not state.resident.face_offered


@pytest.mark.expect_log("kiosk.face.service", "devices.camera")
def test_staff_see_the_camera_and_the_models(
    face_cfg: kiosk_config.KioskConfig,
    camera: CameraSimulator,
    tmp_path: Path,
    platform_sim: PlatformSimulator,
) -> None:
    demo.enroll(face_cfg, platform_sim)

    def camera_check(cfg: kiosk_config.KioskConfig) -> diagnostics.Check:
        checks = diagnostics.run_checks(composition.build_diagnosis(cfg), deadline_s=15)
        (found,) = [c for c in checks if c.name == "camera"]
        return found

    healthy = camera_check(face_cfg)
    assert healthy.level is diagnostics.GREEN
    assert healthy.details["model_sha256"] == {m.name: m.sha256 for m in model_files.MODEL_FILES}

    # A model file that is not the pinned one is refused when loaded.
    models = tmp_path / "models"
    models.mkdir()
    for model in model_files.MODEL_FILES:
        data = bytearray((model_files.DEFAULT_MODEL_DIR / model.name).read_bytes())
        if model is model_files.YUNET:
            data[100] ^= 0xFF
        (models / model.name).write_bytes(bytes(data))
    tampered = dataclasses.replace(
        face_cfg, camera=dataclasses.replace(face_cfg.camera, models_dir=str(models))
    )
    refused = camera_check(tampered)
    assert refused.level is diagnostics.RED and "SHA-256" in refused.summary

    camera.set_scene("unplugged")
    unplugged = camera_check(face_cfg)
    assert unplugged.level is diagnostics.RED and "camera not answering" in unplugged.summary
