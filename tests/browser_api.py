"""The API served for real (uvicorn on loopback) and called as a browser's code calls it:
with an Origin, an Accept header, a bearer token, over POST or GET."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from detalka.models import Subscriber
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.live import served
from tests.signin_fixtures import MovableClock, make_subscriber

GRAPHQL_RESPONSE = "application/graphql-response+json"
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
SIGN_IN = "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { token } }"
PASSWORD = "correct-horse"


def production(settings: Settings, **overrides: Any) -> Settings:
    """The same settings as production runs them (a real secret, GraphiQL off)."""
    values = {"env": "production", "graphiql": False, "secret_key": "s" * 48, **overrides}
    return settings.model_copy(update=values)


@dataclass
class Api:
    address: str  # host:port
    http: httpx.AsyncClient
    clock: MovableClock
    settings: Settings

    @property
    def base(self) -> str:
        return f"http://{self.address}"

    async def post(
        self,
        query: str | None,
        variables: dict[str, Any] | None = None,
        *,
        token: str = "",
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"variables": variables or {}}
        if query is not None:  # a persisted query's hash alone
            body["query"] = query
        if extensions is not None:
            body["extensions"] = extensions
        return await self.http.post("/graphql", json=body, headers=_headers(token, headers))

    async def get(
        self,
        query: str | None,
        variables: dict[str, Any] | None = None,
        *,
        token: str = "",
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Response:
        params: dict[str, str] = {}
        if query is not None:
            params["query"] = query
        if variables:
            params["variables"] = json.dumps(variables)
        if extensions is not None:
            params["extensions"] = json.dumps(extensions)
        return await self.http.get("/graphql", params=params, headers=_headers(token, headers))

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


def _headers(token: str, extra: dict[str, str] | None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return headers | (extra or {})


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
