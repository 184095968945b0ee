from django.shortcuts import render


def index(request):
    # The WebSocket carries no cookies of its own: make sure the page hands out a session cookie
    # first, so that a sign-in over the socket survives a reload.
    if request.session.session_key is None:
        request.session.save()
    return render(request, "mudserver/index.html")
