from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts import gm_commands, scenes  # noqa: F401  (register the GM commands and the scenes)
