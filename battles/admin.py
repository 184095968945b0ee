from django.contrib import admin

from accounts.audit import AuditedAdmin
from battles.models import Dungeon, MonsterTemplate, Skill


class MonsterInline(admin.TabularInline):
    model = MonsterTemplate
    extra = 0


@admin.register(Dungeon)
class DungeonAdmin(AuditedAdmin):
    list_display = ("number", "name_ko", "name_en", "level_min", "level_max")
    inlines = [MonsterInline]


@admin.register(MonsterTemplate)
class MonsterTemplateAdmin(AuditedAdmin):
    list_display = ("name_ko", "name_en", "dungeon", "kind", "hp", "attack", "defense", "exp", "spawn_weight")
    list_filter = ("dungeon", "kind")
    list_editable = ("hp", "attack", "defense", "exp", "spawn_weight")


@admin.register(Skill)
class SkillAdmin(AuditedAdmin):
    list_display = ("name_ko", "name_en", "effect", "mp_cost", "multiple", "unlock_level", "duration_ms")
    list_editable = ("mp_cost", "multiple", "unlock_level")
