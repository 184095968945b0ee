from django.apps import AppConfig


class BattlesConfig(AppConfig):
    name = "battles"

    def ready(self):
        from battles import catalog, scenes  # noqa: F401  (edit signals; the dungeon and battle scenes)
