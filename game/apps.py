from django.apps import AppConfig


class GameConfig(AppConfig):
    """The game as a whole: what spans its features (the rules `help <topic>` explains, the commands
    that work in every scene, loading the content), and the site's URLs. It may import every app;
    no app imports it."""

    name = "game"

    def ready(self):
        from game.global_commands import global_commands_register
        from game.help_topics import help_topics_register

        global_commands_register()
        help_topics_register()
