from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
        from chat import hooks  # noqa: F401  (joins a shard on sign-in, leaves on sign-out)
