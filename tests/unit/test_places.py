"""Each signed-in scene says where others see its player (`look`): the place follows from the way
into the scene (tests.client.SCENE_PATHS), so a new scene that forgets its place fails here."""

from mudserver.router import SCENES
from tests.client import SCENE_PATHS


def _expected(scene: str, path: list[str]) -> str:
    if scene.startswith("arena_") and scene != "arena_npc":  # the arena keeper stands in the village
        return "arena"
    return {"v": "village", "d": "dungeon"}.get(path[0] if path else "", "")


def test_every_scene_says_where_its_player_is():
    wrong = {
        scene: SCENES[scene].place
        for scene, path in SCENE_PATHS.items()
        if SCENES[scene].place != _expected(scene, path)
    }
    assert wrong == {}
    assert {SCENES[name].place for name in ("password_current", "password_new", "password_again")} == {""}
