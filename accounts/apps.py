from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts import scenes  # noqa: F401  (registers the front and sign-in scenes)
