"""The NPCs' talk lines, loaded into the NpcLine table by `manage.py load_game_data` (then editable
in the admin). `{name}` is replaced by the character's name, and a particle written right after it in
its 받침 form (은, 이, 을, 과, 이라는, 으로) takes the form that fits the name (mudserver.korean)."""

NPC_LINES = {
    "story": [
        (
            "어서 오세요, {name}님! 모험의 서에 새 이야기를 적을 준비가 됐어요.",
            "Welcome, {name}! The Book of Adventure is ready for a new story.",
        ),
        ("모험의 서에는 아직 빈 페이지가 많답니다.", "The Book of Adventure still has many blank pages."),
        ("용사님의 이야기는 제가 빠짐없이 적어 둘게요.", "I will write down every page of your story, brave one."),
        ("마왕 폴리베어의 이야기를 들어본 적 있나요?", "Have you ever heard the tale of the demon king Polibear?"),
    ],
    "heal": [
        ("다치면 언제든지 찾아오세요. 치료는 무료랍니다.", "Come whenever you are hurt. Healing is free."),
        ("무리하지 마세요, {name}님.", "Don't push yourself too hard, {name}."),
        ("던전의 마물들은 점점 강해지고 있어요.", "The monsters in the dungeons grow stronger every day."),
        ("오늘도 무사히 돌아오셨네요. 다행이에요.", "You came back safe again today. What a relief."),
        ("빛의 마나는 모두에게 공평하답니다.", "The light of mana is fair to everyone."),
    ],
    "enhance": [
        ("크하하! 강화는 용기와 경험치로 하는 거라구!", "Ha! Enhancing takes courage, and exp!"),
        ("무기가 좋아야 마물도 잘 잡지.", "A good weapon makes for good hunting."),
        ("실패해도 무기는 멀쩡하니 걱정 말라구.", "Even if I fail, your weapon stays whole. Don't you worry."),
        ("이몸이 젊었을 땐 마왕성도 혼자 다녀왔지!", "In my youth I walked into the demon king's castle alone!"),
        ("{name}, 자네 무기 좀 보여주게.", "{name}, let me have a look at that weapon of yours."),
        ("망치질 소리가 들리면 행운이 온다네.", "When you hear the hammer ring, luck is on its way."),
    ],
    "gamble": [
        ("주사위는 거짓말을 하지 않아.", "Dice never lie."),
        ("한 판 어때? 재미로 해도 좋고.", "Fancy a game? Just for fun is fine too."),
        ("운이 좋은 날인지 한번 시험해 봐, {name}.", "See whether today is your lucky day, {name}."),
        (
            "오늘은 {name}이 이길까, 내가 이길까? 주사위만 알지~",
            "Will you win today, {name}, or will I? Only the dice know~",
        ),
    ],
    "arena_npc": [
        ("칼을 뽑았으면 물러서지 말게! 으하하하!", "Once your blade is drawn, never step back! Hahaha!"),
        ("시련의 장에서는 세 명씩 편을 나눠 싸운다네.", "In the Trial Grounds, three fight three."),
        ("강한 자만이 이름을 남기지, {name}.", "Only the strong leave a name behind, {name}."),
    ],
}
