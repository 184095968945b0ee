from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
        from chat.hooks import chat_hooks_register

        chat_hooks_register()
