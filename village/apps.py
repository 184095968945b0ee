from django.apps import AppConfig


class VillageConfig(AppConfig):
    name = "village"

    def ready(self):
        from village import scenes  # noqa: F401  (registers the village and NPC scenes)
