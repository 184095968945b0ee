from django.db import models
from django.utils.translation import gettext_lazy as _


class Npc(models.TextChoices):
    STORY = "story", _("Fradeiri")
    HEALER = "heal", _("Agnes")
    BLACKSMITH = "enhance", _("Fergus")
    DICE = "gamble", _("Etna")
    ARENA = "arena_npc", _("Sir Shax")


class NpcLine(models.Model):
    """A line an NPC may say when talked to; `{name}` becomes the player's character name (a particle
    after it in its 받침 form fits itself to the name: mudserver.korean.name_fill)."""

    npc = models.CharField(_("NPC"), max_length=16, choices=Npc.choices, db_index=True)
    text_ko = models.CharField(_("Korean text"), max_length=300)
    text_en = models.CharField(_("English text"), max_length=300)

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_ko

    def __str__(self):
        return f"{self.get_npc_display()}: {self.text_ko}"
