import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

from accounts import hashers, passwords


async def test_hashes_are_argon2id_at_owasp_minimum():
    hashed = await passwords.password_hash("secret12")
    assert hashed.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("secret12", hashed)


async def test_a_full_queue_answers_busy(settings):
    settings.GAME = {**settings.GAME, "HASH_QUEUE_LIMIT": 0}
    with pytest.raises(passwords.ServerBusy):
        await passwords.password_hash("secret12")


def _hashing_process_policy() -> tuple[int, int]:
    return os.getpid(), os.sched_getscheduler(0)


async def test_argon2_runs_in_a_process_that_yields_the_cpu_to_play():
    pid, policy = await passwords.run_hashing(passwords.argon2_offloaded, _hashing_process_policy)
    assert pid != os.getpid()
    assert policy == os.SCHED_IDLE
    # The hashing threads share the web process's GIL with the event loop: they keep its priority.
    assert await passwords.run_hashing(os.sched_getscheduler, 0) == os.sched_getscheduler(0)


async def test_a_hashing_process_that_dies_is_replaced():
    pid, _policy = await passwords.run_hashing(passwords.argon2_offloaded, _hashing_process_policy)
    os.kill(pid, 9)
    hashed = await passwords.password_hash("secret12")
    assert check_password("secret12", hashed)
    assert not check_password("secret13", hashed)
    now, _policy = await passwords.run_hashing(passwords.argon2_offloaded, _hashing_process_policy)
    assert now not in (pid, os.getpid())


def test_sign_in_verifies_in_a_hashing_process(monkeypatch):
    """Every argon2 hash, made or checked, goes through the hashing processes: Django verifies with
    the hasher listed last under an algorithm's name, which must be the game's."""
    offloaded = []
    real = passwords.argon2_offloaded

    def counting(fn, *args):
        offloaded.append(fn.__name__)
        return real(fn, *args)

    monkeypatch.setattr(hashers, "argon2_offloaded", counting)
    hashed = make_password("secret12")
    assert check_password("secret12", hashed) and not check_password("secret13", hashed)
    assert offloaded == ["argon2_encode", "argon2_verify", "argon2_verify"]


def test_hashing_processes_end_with_a_web_process_killed_outright(tmp_path):
    """A SIGKILLed process leaves its hashing processes' call queue open: they end on their own."""
    script = tmp_path / "killed.py"
    script.write_text(
        "import os, signal, sys\n"
        "if __name__ == '__main__':\n"
        "    sys.path.insert(0, os.getcwd())\n"
        "    import django\n"
        "    django.setup()\n"
        "    from accounts import passwords\n"
        "    from tests.services.test_passwords import _hashing_process_policy\n"
        "    pid, _policy = passwords.argon2_offloaded(_hashing_process_policy)\n"
        "    print(pid, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=settings.BASE_DIR
    )
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
