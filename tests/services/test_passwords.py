import os

import pytest
from django.contrib.auth.hashers import check_password

from accounts import passwords


async def test_hashes_are_argon2id_at_owasp_minimum():
    hashed = await passwords.password_hash("secret12")
    assert hashed.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("secret12", hashed)


async def test_a_full_queue_answers_busy(settings):
    settings.GAME = {**settings.GAME, "HASH_QUEUE_LIMIT": 0}
    with pytest.raises(passwords.ServerBusy):
        await passwords.password_hash("secret12")


async def test_hashing_yields_the_cpu_to_play():
    assert await passwords.run_hashing(os.sched_getscheduler, 0) == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the event loop's thread keeps its priority
