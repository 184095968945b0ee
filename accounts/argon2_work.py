"""What a hashing process computes (accounts.passwords.argon2_offloaded): Django's own argon2 steps
at the game's parameters. A hashing process imports only this module, so it starts quickly."""

from django.contrib.auth.hashers import Argon2PasswordHasher


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
