from functools import cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation.trans_real import DjangoTranslation
from django.views.decorators.cache import never_cache
from django.views.i18n import JavaScriptCatalog
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from mudserver.health import health_report
from mudserver.sessions import session_cookie_value


@never_cache  # the cookie is this browser's own: no shared cache may hand it to another
def index(request):
    # The WebSocket cannot hand out a cookie: the page names the session to be, so that a sign-in
    # over the socket survives a reload. Nothing is stored until then (mudserver.sessions).
    response = render(request, "mudserver/index.html", {"catalogues": client_catalogues()})
    name = settings.GAME_SESSION_COOKIE_NAME
    response.set_cookie(
        name,
        session_cookie_value(request.COOKIES.get(name)),
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )
    return response


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
