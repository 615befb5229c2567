"""Russian mobile numbers as people type them, normalised to E.164."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s()\-.]")


def normalize_msisdn(text: str) -> str | None:
    """``+7 916 123-45-67``, ``89161234567``, ``9161234567`` -> ``+79161234567``; else None."""
    raw = _SEPARATORS.sub("", text.strip())
    if raw.startswith("+"):
        if not raw.startswith("+7"):
            return None
        digits = raw[2:]
    elif len(raw) == 11 and raw[0] in "78":
        digits = raw[1:]
    else:
        digits = raw
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit() or digits[0] != "9":
        return None
    return "+7" + digits
