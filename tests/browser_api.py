"""The API served for real (uvicorn on loopback) and called as a browser's code calls it:
with an Origin, an Accept header, a bearer token, over POST or GET."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from detalka.models import Subscriber
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import SIGN_IN, GraphQL, served
from tests.factories import MovableClock, make_subscriber

GRAPHQL_RESPONSE = "application/graphql-response+json"
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
PASSWORD = "correct-horse"


def production(settings: Settings, **overrides: Any) -> Settings:
    """The same settings as production runs them (a real secret, GraphiQL off)."""
    values = {
        "env": "production",
        "graphiql": False,
        "secret_key": SecretStr("s" * 48),
        **overrides,
    }
    return settings.model_copy(update=values)


class Api(GraphQL):
    """The served API: its address, an HTTP client (no bearer by default), its clock."""

    def __init__(
        self, address: str, http: httpx.AsyncClient, clock: MovableClock, settings: Settings
    ) -> None:
        super().__init__(http)
        self.address, self.clock, self.settings = address, clock, settings

    @property
    def base(self) -> str:
        return f"http://{self.address}"

    async def new_session(self) -> tuple[Subscriber, str]:
        subscriber = await make_subscriber(PASSWORD)
        variables = {"i": {"msisdn": subscriber.msisdn, "password": PASSWORD, "regionCode": "MOW"}}
        body = (await self.post(SIGN_IN, variables)).json()
        return subscriber, str(body["data"]["sessionCreate"]["token"])


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """An answer without its ``extensions.cost``, which every answer carries and which
    reports the caller's budget at that moment (so two equal answers differ there)."""
    extensions = dict(body.get("extensions") or {})
    assert "cost" in extensions, body
    del extensions["cost"]
    rest = {k: v for k, v in body.items() if k != "extensions"}
    return rest | ({"extensions": extensions} if extensions else {})


@asynccontextmanager
async def serving(settings: Settings, data_dir: Path) -> AsyncIterator[Api]:
    """The app on a free loopback port, on the database the test already holds open."""
    clock = MovableClock()
    settings = settings.model_copy(update={"data_dir": data_dir})
    app = create_app(settings, open_db=False, clock=clock)
    async with served(app) as address:
        settings = settings.model_copy(update={"public_url": f"http://{address}"})
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http:
            yield Api(address, http, clock, settings)
