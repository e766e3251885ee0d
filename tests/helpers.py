"""Small builders shared by tests that need a controller without real devices."""

from __future__ import annotations

from kiosk import controller, runtime, session


def make_controller(
    reader: object, platform: object = None
) -> tuple[controller.SessionController, runtime.QueueDispatcher]:
    """A controller on a queue dispatcher and a manual clock, with the given fakes."""
    dispatcher = runtime.QueueDispatcher()
    services = controller.Services(
        reader=reader,  # type: ignore[arg-type]
        platform=platform,  # type: ignore[arg-type]
        printer=None,
        terminal_id="T1",
        verify_url="https://example.invalid/v1/verify",
    )
    ctl = controller.SessionController(
        services,
        rules=session.Rules(),
        dispatcher=dispatcher,
        clock=runtime.ManualClock(),
        runner=runtime.TaskRunner(dispatcher),
    )
    return ctl, dispatcher
