from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts.gm_commands import gm_commands_register
        from accounts.players import players_register
        from accounts.rankings import rankings_deleted_connect
        from accounts.scenes import scenes_register

        gm_commands_register()
        scenes_register()
        players_register()
        rankings_deleted_connect()
