"""Signing secrets and signatures by the Standard Webhooks spec (``standardwebhooks``).

An endpoint's secret is never stored: it is HMAC-SHA256 of a random per-endpoint salt under
a key derived from ``DETALKA_SECRET_KEY`` (docs/decisions.md says why), so a copy of the
database alone cannot sign a webhook. It is shown once, when the endpoint is made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # the spec's prefix, which Webhook() strips


def new_salt() -> str:
    return secrets.token_hex(16)


def signing_secret(key: str, salt: str) -> str:
    """``whsec_`` + base64 of 32 bytes, the same for a salt as long as the key stays."""
    master = hmac.new(key.encode(), b"detalka webhook signing secrets", hashlib.sha256).digest()
    raw = hmac.new(master, salt.encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three headers of the spec for one attempt at ``at`` (whole seconds, UTC)."""
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
