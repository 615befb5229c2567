"""Password hashing: argon2id with at least the OWASP minimum (m=19 MiB, t=2, p=1)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

# Verified against when the number is unknown, so that the answer costs the same time.
# Precomputed (hashing it at import cost ~50 ms of every process's start): _hasher.hash of
# "detalka-timing-equaliser". It must carry exactly _hasher's parameters, or the dummy
# verification would cost a different time; tests/test_passwords.py fails when they part.
_DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$o8FKEONUxV5FMsJPZp3cfQ"
    "$vWNw9L6n6PoTsdbuK+isTUU5HJDv9Fw2oClLEp8/Lfk"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an absent hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
