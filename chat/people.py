"""Dealing with other players (issue 17, item 3): ignoring a player's chat and whispers, and reporting
a player to the game masters.

An ignore is kept in the database and held by the player's connection while it is signed in
(`Context.ignored`, loaded on arrival by chat.hooks): each chat message or whisper told to the
connection is dropped there when its sender is in that set, so a channel's fan-out costs one set
lookup per recipient and nothing more. Choices:

- A whisper to a player who ignores you is echoed to you as any whisper is and silently dropped at
  their connection: you are not told, so an ignore cannot be probed for, or answered by a harasser
  with a new name, and nothing about the other player's list leaks.
- Staff accounts (game masters, moderators) cannot be ignored: what they say may be a warning the
  player must see. A player troubled by one of them can still `report` them.
- Names are found as the unique index finds them (case and accents aside), after the cleaning every
  typed name gets (mudserver.text.text_clean).
"""

import enum
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_write
from accounts.models import Character, User
from accounts.validation import name_as_stored
from chat.models import ChatMessage, Ignore, Report
from chat.services import chat_log_flush
from mudserver.ratelimit import Window, window_reserve


class Outcome(enum.Enum):
    DONE = "done"
    NO_SUCH_PLAYER = "no_such_player"
    SELF = "self"
    STAFF = "staff"
    ALREADY = "already"  # ignored already / not ignored, for unignore
    FULL = "full"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    name: str = ""  # the player's name as stored, when found
    wait: int = 0  # seconds, when throttled


@database_sync_to_async
def ignored_names(owner_id: int) -> set[str]:
    """The names a player ignores (read into the connection on arrival)."""
    return set(Ignore.objects.filter(owner_id=owner_id).values_list("target__name", flat=True))


@database_sync_to_async
def ignore_add(*, owner_id: int, name: str) -> Result:
    target = Character.objects.filter(name=name_as_stored(name)).values("pk", "name", "user__is_staff").first()
    if target is None:
        return Result(Outcome.NO_SUCH_PLAYER)
    if target["pk"] == owner_id:
        return Result(Outcome.SELF, target["name"])
    if target["user__is_staff"]:
        return Result(Outcome.STAFF, target["name"])
    # One connection per account runs one command at a time: the count cannot race with itself.
    if Ignore.objects.filter(owner_id=owner_id).count() >= settings.GAME["IGNORE_LIMIT"]:
        return Result(Outcome.FULL, target["name"])
    try:
        with transaction.atomic():
            Ignore.objects.create(owner_id=owner_id, target_id=target["pk"])
    except IntegrityError:  # the unique (owner, target)
        return Result(Outcome.ALREADY, target["name"])
    return Result(Outcome.DONE, target["name"])


@database_sync_to_async
def ignore_remove(*, owner_id: int, name: str) -> Result:
    target = Character.objects.filter(name=name_as_stored(name)).values("pk", "name").first()
    if target is None:
        return Result(Outcome.NO_SUCH_PLAYER)
    deleted, _rows = Ignore.objects.filter(owner_id=owner_id, target_id=target["pk"]).delete()
    return Result(Outcome.DONE if deleted else Outcome.ALREADY, target["name"])


def _report_window(reporter_id: int) -> Window:
    return Window(f"mud:rl:report:{reporter_id}", settings.GAME["REPORT_LIMIT"], settings.GAME["REPORT_WINDOW"])


async def report_file(*, reporter_id: int, name: str, reason: str) -> Result:
    """Store a report with both players' recent chat; at most GAME["REPORT_LIMIT"] a window."""
    target = await Character.objects.filter(name=name_as_stored(name)).values("pk", "name").afirst()
    if target is None:
        return Result(Outcome.NO_SUCH_PLAYER)
    if target["pk"] == reporter_id:
        return Result(Outcome.SELF, target["name"])
    wait = await window_reserve(_report_window(reporter_id))
    if wait:
        return Result(Outcome.THROTTLED, target["name"], wait)
    await database_sync_to_async(_report_store)(reporter_id, target["pk"], target["name"], reason)
    return Result(Outcome.DONE, target["name"])


def _report_store(reporter_id: int, target_id: int, target_name: str, reason: str) -> Report:
    chat_log_flush()  # the messages still on their way to the database belong in the snapshot
    reporter_name = Character.objects.values_list("name", flat=True).get(pk=reporter_id)
    chat = sorted(
        [*_recent_chat(reporter_name), *_recent_chat(target_name)], key=lambda message: (message["at"], message["id"])
    )
    return Report.objects.create(
        reporter_id=reporter_id,
        reporter_name=reporter_name,
        target_id=target_id,
        target_name=target_name,
        reason=reason,
        chat=[{key: value for key, value in message.items() if key != "id"} for message in chat],
    )


def _recent_chat(name: str) -> list[dict]:
    """A player's last messages, channel and whispers (by the sender's index, newest first)."""
    rows = ChatMessage.objects.filter(sender_name=name).order_by("-id")[: settings.GAME["REPORT_CHAT_MESSAGES"]]
    return [
        {
            "id": row.pk,
            "at": row.created_at.isoformat(),
            "channel": row.channel,
            "from": row.sender_name,
            "to": row.recipient_name,
            "text": row.text,
        }
        for row in rows
    ]


def report_close(report: Report, staff: User) -> bool:
    """Close an open report, with its audit entry; False when someone closed it meanwhile."""
    with transaction.atomic():
        now = timezone.now()
        if not Report.objects.filter(pk=report.pk, is_open=True).update(is_open=False, closed_at=now, closed_by=staff):
            return False
        audit_write(
            actor=staff,
            action="close_report",
            target=(report.target_id, report.target_name),
            before={"report": report.pk, "is_open": True},
            after={"report": report.pk, "is_open": False, "closed_at": now.isoformat()},
        )
    return True
