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
