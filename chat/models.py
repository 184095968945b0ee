from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Character


class ChatMessage(models.Model):
    """Every message, kept for game masters (written behind in batches; the last 50 of a channel
    live in Redis for players)."""

    channel = models.CharField(_("channel"), max_length=64, db_index=True)  # "whisper" for whispers
    sender = models.ForeignKey(Character, on_delete=models.SET_NULL, null=True, related_name="+")
    sender_name = models.CharField(_("from"), max_length=16, db_index=True)
    recipient_name = models.CharField(_("to"), max_length=16, blank=True, default="", db_index=True)
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"[{self.channel}] {self.sender_name}: {self.text}"


class Ignore(models.Model):
    """A player who does not want to see another's chat or whispers (`ignore <name>`): kept across
    sign-outs, loaded into the connection on arrival and filtered there (chat.hooks)."""

    owner = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "target"], name="chat_ignore_once")]


class Report(models.Model):
    """A player's report of another (`report <name> <reason>`), with both players' last messages as
    they were then; game masters with `handle_reports` read and close it in the admin."""

    reporter = models.ForeignKey(Character, on_delete=models.SET_NULL, null=True, related_name="+")
    reporter_name = models.CharField(_("reporter"), max_length=16)
    target = models.ForeignKey(Character, on_delete=models.SET_NULL, null=True, related_name="+")
    target_name = models.CharField(_("reported player"), max_length=16, db_index=True)
    reason = models.CharField(_("reason"), max_length=300)
    chat = models.JSONField(_("recent chat"), default=list)  # [{at, channel, from, to, text}], oldest first
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    is_open = models.BooleanField(_("open"), default=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-is_open", "-created_at"]  # open reports first, newest first
        indexes = [models.Index(fields=["is_open", "created_at"], name="chat_report_open_first")]
        permissions = [("handle_reports", _("Can see and close player reports"))]
        verbose_name = _("player report")
        verbose_name_plural = _("player reports")

    def __str__(self):
        return f"{self.reporter_name} → {self.target_name}: {self.reason[:40]}"
