from django.apps import AppConfig


class MudserverConfig(AppConfig):
    name = "mudserver"

    def ready(self):
        from mudserver import global_commands  # noqa: F401  (registers g/who/status/lang)
