from django.apps import AppConfig


class BattlesConfig(AppConfig):
    name = "battles"

    def ready(self):
        from battles.catalog import catalog_signals_connect
        from battles.scenes import scenes_register

        catalog_signals_connect()
        scenes_register()
