from django.apps import AppConfig


class MudserverConfig(AppConfig):
    name = "mudserver"

    def ready(self):
        # Imported for what they register: g/who/status/lang, and the topics of `help <topic>`.
        from mudserver import global_commands, help_topics  # noqa: F401
