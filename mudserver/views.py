from functools import cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation.trans_real import DjangoTranslation
from django.views.i18n import JavaScriptCatalog
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from mudserver.health import health_report


def index(request):
    # The WebSocket carries no cookies of its own: make sure the page hands out a session cookie
    # first, so that a sign-in over the socket survives a reload.
    if request.session.session_key is None:
        request.session.save()
    return render(request, "mudserver/index.html", {"catalogues": client_catalogues()})


@cache
def client_catalogues() -> dict[str, dict]:
    """The page's own strings (terminal.js, the djangojs domain) in every language: the page switches
    with the player's `lang` without asking again. Compiled catalogues do not change while running."""
    catalogues = {}
    for lang, _name in settings.LANGUAGES:
        view = JavaScriptCatalog(domain="djangojs")
        view.translation = DjangoTranslation(lang, domain="djangojs", localedirs=settings.LOCALE_PATHS)
        catalogues[lang] = view.get_catalog()
    return catalogues


async def healthz(request):
    """For load balancers and orchestrators: 200 when the database, Redis and the broker answer, else 503."""
    # Off the thread that daphne's sync views share: an unhealthy check may take up to two seconds.
    report = await sync_to_async(health_report, thread_sensitive=False)()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def metrics(request):
    """Prometheus' scrape of this web process (mudserver.metrics)."""
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
