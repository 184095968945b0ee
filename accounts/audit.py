"""The audit trail: every change a staff member makes (an action, a form saved, a row deleted) as an
entry with who, what, when, and the values before and after. Entries are only ever added."""

import json

from django.contrib import admin
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


class AuditedAdmin(admin.ModelAdmin):
    """Every add, edit (its form, its inlines, or its row in an editable list) and deletion through
    this admin writes an audit entry."""

    def audit_target(self, row) -> tuple[int | None, str]:
        """What an entry names as its target: (id, name)."""
        return row.pk, str(row)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Fields whose change a service wrote into the trail itself (see UserAdmin.save_model).
        self._audit_form(request, form, change, exclude=getattr(form, "audited_elsewhere", ()))

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk is not None:  # a row, not a blank form ticked for deletion
                self._audit_deletion(request, inline_form.instance)
        super().save_formset(request, form, formset, change)
        for inline_form in formset.initial_forms + formset.extra_forms:
            if inline_form not in formset.deleted_forms and inline_form.has_changed():
                self._audit_form(request, inline_form, change=inline_form in formset.initial_forms)

    def delete_model(self, request, obj):
        self._audit_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            self._audit_deletion(request, row)
        super().delete_queryset(request, queryset)

    def _audit_form(self, request, form, change: bool, exclude=()) -> None:
        row = form.instance
        action = f"{'change' if change else 'add'}_{row._meta.model_name}"
        audit_form_save(actor=request.user, form=form, action=action, target=self.audit_target(row), exclude=exclude)

    def _audit_deletion(self, request, row) -> None:
        audit_deletion(
            actor=request.user, row=row, action=f"delete_{row._meta.model_name}", target=self.audit_target(row)
        )
