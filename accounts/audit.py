"""The audit trail: every change a staff member makes (an action, a form saved, a row deleted) as an
entry with who, what, when, and the values before and after. Entries are only ever added."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from accounts.models import AuditEntry, User

SECRET_FIELDS = {"password"}  # never copied into the trail


def audit_write(*, actor: User, action: str, target: tuple[int | None, str], before: dict, after: dict) -> AuditEntry:
    """`target` is (id, name): a player's character id and name, or a content row's id and name."""
    target_id, target_name = target
    return AuditEntry.objects.create(
        actor_id=actor.pk,
        actor_name=actor.get_username(),
        action=action,
        target_id=target_id,
        target_name=str(target_name)[:16],
        before=before,
        after=after,
    )


def audit_form_save(*, actor: User, form, action: str, target: tuple[int | None, str], exclude=()) -> AuditEntry | None:
    """After an admin form is saved: the model fields it changed, as loaded (None when adding) and as
    saved; no entry when it changed none."""
    row = form.instance
    fields = {field.name: field for field in [*row._meta.concrete_fields, *row._meta.many_to_many]}
    changed = [name for name in form.changed_data if name in fields and name not in {*SECRET_FIELDS, *exclude}]
    if not changed:
        return None
    before = {name: _plain(form.initial.get(name)) for name in changed}
    after = {name: _plain(fields[name].value_from_object(row)) for name in changed}
    return audit_write(actor=actor, action=action, target=target, before=before, after=after)


def audit_deletion(*, actor: User, row: models.Model, action: str, target: tuple[int | None, str]) -> AuditEntry:
    """Before the row is deleted: all its values."""
    fields = [field for field in row._meta.concrete_fields if field.name not in SECRET_FIELDS]
    before = {field.name: _plain(field.value_from_object(row)) for field in fields}
    return audit_write(actor=actor, action=action, target=target, before=before, after={})


def _plain(value):
    """A value as the JSON column keeps it: rows by their names, dates as ISO text."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return sorted(_plain(item) for item in value)
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
