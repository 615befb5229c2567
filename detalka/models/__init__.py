"""Tortoise models of the whole domain (DESIGN.md section 4) and the queries over them.

Every model sets ``_no_comments = True`` in its own body: otherwise tortoise reads each
model's source (``inspect.getsource``, which parses the whole module per class) to find
``#:`` field comments, about 0.4 s of CPU at every start (1.2 s under a profiler) for
comments this project does not write (descriptions are ``description=``).
tests/test_startup.py holds every model to it.
"""

from detalka.models.account import Balance, MonthlyStatement, Payment, PromisedPayment, Subscriber
from detalka.models.auth import (
    ApiToken,
    Captcha,
    PasswordChallenge,
    RateCounter,
    Session,
    SignInThrottle,
)
from detalka.models.catalog import PackageAllowance, Region, Store, Tariff
from detalka.models.orders import (
    DetailOrder,
    DetailSchedule,
    Document,
    EmailDelivery,
    IdempotencyKey,
)
from detalka.models.usage import UsageDay, UsageRecord, ZoneOffset

# Importing it registers the Region pre_save hook that writes a zone's offsets (SQLite).
from detalka.models.usage_days import rebuild_usage_days, sync_zone_offsets
from detalka.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ApiToken",
    "Balance",
    "Captcha",
    "DetailOrder",
    "DetailSchedule",
    "Document",
    "EmailDelivery",
    "IdempotencyKey",
    "MonthlyStatement",
    "PackageAllowance",
    "PasswordChallenge",
    "Payment",
    "PromisedPayment",
    "RateCounter",
    "Region",
    "Session",
    "SignInThrottle",
    "Store",
    "Subscriber",
    "Tariff",
    "UsageDay",
    "UsageRecord",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "ZoneOffset",
    "rebuild_usage_days",
    "sync_zone_offsets",
]
