from asgiref.sync import sync_to_async
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from mudserver.health import health_report


def index(request):
    # The WebSocket carries no cookies of its own: make sure the page hands out a session cookie
    # first, so that a sign-in over the socket survives a reload.
    if request.session.session_key is None:
        request.session.save()
    return render(request, "mudserver/index.html")


async def healthz(request):
    """For load balancers and orchestrators: 200 when the database, Redis and the broker answer, else 503."""
    # Off the thread that daphne's sync views share: an unhealthy check may take up to two seconds.
    report = await sync_to_async(health_report, thread_sensitive=False)()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def metrics(request):
    """Prometheus' scrape of this web process (mudserver.metrics)."""
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
