"""The bench characters the benchmark commands play with. Only benchmark commands import this
(an import-linter contract)."""

from django.contrib.auth.hashers import make_password
from tqdm import tqdm

from accounts.models import Character, User
from accounts.progression import stats_for_level

PREFIX = "bench"
LEVEL = 30  # strong enough never to die in dungeon 1, so an auto-battle chain runs the whole time
PASSWORD = "bench123"


def bench_characters(count: int) -> list[Character]:
    """The bench characters bench1..benchN (their users selected too), created once and reused."""
    names = [f"{PREFIX}{i}" for i in range(1, count + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    missing = [name for name in names if name not in existing]
    if missing:
        password = make_password(PASSWORD)  # one hash for all: hashing is not what is measured
        stats = stats_for_level(LEVEL, 1)
        for start in tqdm(range(0, len(missing), 2000), desc="creating bench characters", unit="2k"):
            chunk = missing[start : start + 2000]
            User.objects.bulk_create([User(username=name, password=password) for name in chunk])
            users = User.objects.filter(username__in=chunk)
            Character.objects.bulk_create(
                [Character(user=user, name=user.username, level=LEVEL, exp=90_160, **stats) for user in users]
            )
    return list(Character.objects.filter(name__in=names).select_related("user").order_by("pk"))
