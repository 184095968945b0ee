from django.apps import AppConfig


class VillageConfig(AppConfig):
    name = "village"

    def ready(self):
        from village.scenes import scenes_register

        scenes_register()
