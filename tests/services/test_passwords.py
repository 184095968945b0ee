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
    hashing = await passwords.run_hashing(os.getpriority, os.PRIO_PROCESS, 0)
    assert hashing == os.getpriority(os.PRIO_PROCESS, 0) + passwords.HASHING_NICENESS
