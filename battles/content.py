"""The shipped fight content of GAME.md §2–3, loaded by a data migration (and reset by
`manage.py load_game_data --reset`). Monster stats follow the formula; game masters may edit them."""

DUNGEONS = [
    # number, Korean, English, band, descriptions
    (
        1,
        "알비 던전",
        "Alby Dungeon",
        0,
        9,
        "코네일 마을 곁의 얕은 던전. 갓 모험을 시작한 이들이 솜씨를 닦는 곳이다.",
        "A shallow dungeon beside Connail village, where new adventurers learn the ropes.",
    ),
    (
        2,
        "라비 던전",
        "Rabbie Dungeon",
        10,
        19,
        "지속적으로 마을을 위협하는 마물들이 모여드는 던전.",
        "A dungeon where the monsters that keep threatening the village gather.",
    ),
    (
        3,
        "칼페온 신전",
        "Calpheon Temple",
        20,
        29,
        "칼페온 외곽에 버려진 옛 신전. 기도 소리 대신 마물의 울음이 메아리친다.",
        "An abandoned temple outside Calpheon, where monsters howl where prayers were once said.",
    ),
    (
        4,
        "마왕성 주변",
        "Demon Castle Outskirts",
        30,
        39,
        "마왕성을 둘러싼 황무지. 발을 들인 이들의 소식은 좀처럼 돌아오지 않는다.",
        "The wastes around the demon king's castle; word seldom comes back from those who go in.",
    ),
    (5, "마왕성", "Demon Castle", 40, 50, "마왕 폴리베어의 성.", "The castle of the demon king Polibear."),
]

MONSTER_NAMES = {
    1: [("다람쥐", "Squirrel"), ("고슴도치", "Hedgehog"), ("늑대", "Wolf")],
    2: [("고슴도치", "Hedgehog"), ("고블린", "Goblin"), ("고블린 대장", "Goblin Chief")],
    3: [("고블린", "Goblin"), ("오크", "Orc"), ("오크 대장", "Orc Chief")],
    4: [("오크", "Orc"), ("도적", "Bandit"), ("도적 대장", "Bandit Chief")],
    5: [("도적", "Bandit"), ("좀비", "Zombie"), ("좀비 숙주", "Zombie Host")],
}
SPAWN_WEIGHTS = (80, 15, 5)
MONSTER_BASE = {"hp": 50, "attack": 5, "defense": 5, "exp": 10}

SKILLS = [
    # Korean, English, effect, MP cost, damage %, unlock level, duration ms
    ("강타", "Smash", "damage", 100, 180, 1, 0),
    ("연속 베기", "Flurry", "damage", 200, 250, 10, 0),
    ("엑스칼리버", "Excalibur", "damage", 1500, 1000, 20, 0),
    ("매직아머", "Magic Armor", "armor", 2000, 0, 30, 10_000),
    ("발도", "Battou", "damage", 2500, 1200, 40, 0),
]


def monster_stat(base: int, dungeon: int, kind: int) -> int:
    """ceil(base · d · (0.8 + 0.2·d) · (1 + 1.5·type)), in integers: (0.8 + 0.2·d) = (4 + d)/5 and
    (1 + 1.5·type) = (2 + 3·type)/2 (floating point made dungeon 3's 210 come out as 211)."""
    return -(-base * dungeon * (4 + dungeon) * (2 + 3 * kind) // 10)


def fight_content_load(dungeon_model, monster_model, skill_model, *, reset: bool) -> int:
    """Load the shipped content (the models are passed in so a data migration can use it). Its rows
    keep the same ids through a reset: characters' skill slots and running battles hold them (every
    character starts with skill 1)."""
    if reset:
        monster_model.objects.all().delete()
        dungeon_model.objects.all().delete()
        skill_model.objects.all().delete()
    elif dungeon_model.objects.exists():
        return 0
    for number, name_ko, name_en, low, high, text_ko, text_en in DUNGEONS:
        dungeon = dungeon_model.objects.create(
            number=number,
            name_ko=name_ko,
            name_en=name_en,
            level_min=low,
            level_max=high,
            description_ko=text_ko,
            description_en=text_en,
        )
        kinds = MONSTER_NAMES[number]
        for kind, (monster_ko, monster_en) in enumerate(kinds):
            stats = {stat: monster_stat(base, number, kind) for stat, base in MONSTER_BASE.items()}
            monster_model.objects.create(
                pk=(number - 1) * len(kinds) + kind + 1,
                dungeon=dungeon,
                kind=kind,
                name_ko=monster_ko,
                name_en=monster_en,
                spawn_weight=SPAWN_WEIGHTS[kind],
                **stats,
            )
    for number, (name_ko, name_en, effect, cost, multiple, level, duration) in enumerate(SKILLS, start=1):
        skill_model.objects.create(
            pk=number,
            name_ko=name_ko,
            name_en=name_en,
            effect=effect,
            mp_cost=cost,
            multiple=multiple,
            unlock_level=level,
            duration_ms=duration,
        )
    return len(DUNGEONS)
