from django.apps import AppConfig


class ArenaConfig(AppConfig):
    name = "arena"

    def ready(self):
        from arena import scenes  # noqa: F401  (the lobby, the room and the match)
