from django.apps import AppConfig


class ArenaConfig(AppConfig):
    name = "arena"

    def ready(self):
        from arena.scenes import scenes_register

        scenes_register()
