"""A GraphQL client over the real ASGI app, as a front-end would call it."""

from __future__ import annotations

from typing import Any

import httpx

from detalka.settings import Settings
from detalka.web.app import create_app


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}})

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a successful answer; fails the test on any top-level error."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


def api_client(settings: Settings) -> httpx.AsyncClient:
    """An HTTP client for the app, on a database the test already holds open."""
    app = create_app(settings, open_db=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://detalka.test")
