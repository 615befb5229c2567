"""The dummy hash an unknown number is verified against (detalka/passwords.py)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from detalka import passwords


def test_the_dummy_hash_carries_exactly_the_hashers_parameters() -> None:
    # Other parameters (a changed cost) would make an unknown number answer faster or slower.
    assert not passwords._hasher.check_needs_rehash(passwords._DUMMY_HASH)


def test_the_dummy_hash_is_a_real_hash_of_the_equaliser() -> None:
    assert passwords._hasher.verify(passwords._DUMMY_HASH, "detalka-timing-equaliser")


def test_an_absent_hash_still_costs_a_real_verification_and_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verified: list[str] = []

    class Recording(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash))
            return super().verify(hash, password)

    hasher = passwords._hasher
    monkeypatch.setattr(
        passwords,
        "_hasher",
        Recording(
            time_cost=hasher.time_cost,
            memory_cost=hasher.memory_cost,
            parallelism=hasher.parallelism,
            hash_len=hasher.hash_len,
            salt_len=hasher.salt_len,
            type=hasher.type,
        ),
    )
    assert passwords.verify_password(None, "correct-horse") is False
    # even the password the dummy hash was made from does not pass without a stored hash
    assert passwords.verify_password(None, "detalka-timing-equaliser") is False
    assert verified == [passwords._DUMMY_HASH, passwords._DUMMY_HASH]
