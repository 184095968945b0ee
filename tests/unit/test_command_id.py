"""The command id travels in the headers of the Celery tasks a command publishes (mudserver.celery_signals)."""

from celery import Celery

from mudserver.logs import command_logging


def _published_headers(publish) -> dict:
    """Publish through an in-memory broker with `publish(app)`; return the message's headers."""
    app = Celery("probe", broker="memory://", set_as_current=False)
    publish(app)
    with app.connection_for_read() as connection:
        message = connection.SimpleQueue("probe").get(timeout=1)
        message.ack()
        return message.headers


def test_a_task_published_during_a_command_carries_its_id():
    with command_logging(scene="village", character_id=7) as command_id:
        headers = _published_headers(lambda app: app.send_task("game.probe", queue="probe"))
    assert headers["command_id"] == command_id


def test_a_task_published_outside_a_command_gets_a_fresh_id():
    # beat's ticks, for instance: each gets its own, so a worker's lines of one run belong together
    first = _published_headers(lambda app: app.send_task("game.probe", queue="probe"))["command_id"]
    second = _published_headers(lambda app: app.send_task("game.probe", queue="probe"))["command_id"]
    assert len(first) == len(second) == 12 and first != second
