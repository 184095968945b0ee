"""The admin's live page of battles."""

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.template.response import TemplateResponse

from battles.services import battles_overview


@permission_required("accounts.view_character", raise_exception=True)
def battles_view(request):
    """Active battles and how late their cycles run."""
    context = {**admin.site.each_context(request), "title": "Battles", **battles_overview(limit=200)}
    return TemplateResponse(request, "admin/mud_battles.html", context)
