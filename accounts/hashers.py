from accounts.argon2_work import OwaspArgon2, argon2_encode, argon2_verify
from accounts.passwords import argon2_offloaded


class OwaspArgon2PasswordHasher(OwaspArgon2):
    """The game's hasher: OWASP's minimum argon2id, computed in a hashing process (accounts.passwords)."""

    def encode(self, password, salt):
        return argon2_offloaded(argon2_encode, password, salt)

    def verify(self, password, encoded):
        return argon2_offloaded(argon2_verify, password, encoded)
