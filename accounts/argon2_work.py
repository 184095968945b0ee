"""What a hashing process runs (accounts.passwords.argon2_offloaded): Django's own argon2 steps at
the game's parameters, at the lowest priority. A hashing process imports only this module (and
Django's hashers), so it starts quickly and holds little."""

import os
import threading
import time

from django.contrib.auth.hashers import Argon2PasswordHasher


def hashing_process_start() -> None:
    """A hashing process takes only CPU time nobody playing wants (Linux's SCHED_IDLE): a player's
    command that wakes up preempts a hash at once, and in a sign-in storm on a busy machine the
    sign-ins wait a little longer instead of everyone. A process, not a thread of the web process:
    a SCHED_IDLE thread that holds the web process's GIL when the machine is busy is scheduled
    again only when a core idles, and the event loop waits for the GIL that long (a priority
    inversion: docs/PERFORMANCE.md, session 8). It ends with the process that started it, however
    that one ended (a SIGKILL leaves its call queue open, and the process would wait on it forever)."""
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    parent = os.getppid()

    def end_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=end_with_parent, name="end-with-parent", daemon=True).start()


class OwaspArgon2(Argon2PasswordHasher):
    """argon2id at OWASP's minimum parameters (19 MiB, t=2, p=1): ~10 ms of CPU a hash on our
    machines with argon2 built for AVX2 (bin/argon2-native; ~20 ms with the generic wheel), against
    ~125 ms for Django's Argon2 defaults; never lower than this."""

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1


def argon2_encode(password: str, salt: str) -> str:
    return OwaspArgon2().encode(password, salt)


def argon2_verify(password: str, encoded: str) -> bool:
    return OwaspArgon2().verify(password, encoded)
