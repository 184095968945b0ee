from django.apps import AppConfig


class MudserverConfig(AppConfig):
    """The shell: it registers nothing; the feature apps register with it (mudserver.registry)."""

    name = "mudserver"
