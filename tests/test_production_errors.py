"""In production a bug's text is masked, but an error with a code still tells the client why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from detalka.resolvers import overview
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import GraphQL, asgi_http
from tests.factories import MovableClock, make_subscriber

EXPENSES = "query($p: PeriodInput!) { viewer { expenses(period: $p) { total { amount } } } }"
BALANCES = "{ viewer { balances { main { amount { amount } } } } }"


async def test_production_masks_bugs_and_keeps_coded_errors(
    db: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = db.model_copy(
        update={
            "data_dir": tmp_path,
            "env": "production",
            "graphiql": False,
            "secret_key": SecretStr("x" * 48),
        }
    )
    subscriber = await make_subscriber("correct-horse")
    app = create_app(settings, open_db=False, clock=MovableClock())
    async with asgi_http(app, settings.public_url) as http:
        anonymous = GraphQL(http)
        api = GraphQL(http, await anonymous.sign_in(subscriber.msisdn, "correct-horse"))
        # a rule the client broke keeps its code and its Russian message
        reversed_period = {"p": {"from": "2026-10-31", "to": "2026-10-01"}}
        body = (await api.post(EXPENSES, reversed_period)).json()
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "PERIOD_REVERSED"
        assert error["message"] != "Unexpected error."

        # a bug is masked: no internals in the answer
        async def broken(*_: Any) -> None:
            raise RuntimeError("connection string postgres://secret")

        monkeypatch.setattr(overview, "balances", broken)
        body = (await api.post(BALANCES)).json()
        (error,) = body["errors"]
        assert error["message"] == "Unexpected error."
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert "secret" not in str(body)
        # and introspection is off
        body = (await anonymous.post("{ __schema { types { name } } }")).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
