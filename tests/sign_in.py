"""Sign-in as a client walks it over HTTP: the mutations, and a client that asks for
captchas and SMS passwords (a real worker sends them) and signs in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from detalka.jobs.app import Jobs
from detalka.jobs.runtime import WorkerProcess
from detalka.settings import Settings
from detalka.web.app import create_app
from tests.client import GraphQL, asgi_http
from tests.factories import KnownCaptcha, MovableClock

CAPTCHA = "mutation { captchaCreate { id imageDataUrl expiresAt } }"
PASSWORD_REQUEST = """
mutation Ask($input: PasswordRequestInput!) {
  passwordRequest(input: $input) { accepted userErrors { field message code } }
}
"""
SESSION_CREATE = """
mutation SignIn($input: SessionCreateInput!) {
  sessionCreate(input: $input) {
    token expiresAt subscriber { msisdn homeRegion { code } }
    userErrors { field message code }
  }
}
"""
SESSION_DELETE = "mutation { sessionDelete { ended userErrors { code } } }"
PASSWORD_CHANGE = """
mutation Change($input: PasswordChangeInput!) {
  passwordChange(input: $input) { subscriber { msisdn } userErrors { field code } }
}
"""
TOKEN_CREATE = """
mutation Token($input: ApiTokenCreateInput!) {
  apiTokenCreate(input: $input) { token apiToken { id name scopes prefix } userErrors { code } }
}
"""
TOKEN_REVOKE = """
mutation Revoke($input: ApiTokenRevokeInput!) {
  apiTokenRevoke(input: $input) { apiToken { revokedAt } userErrors { code } }
}
"""
VIEWER = "{ viewer { id msisdn homeRegion { code } } }"
ORIGIN = "http://127.0.0.1:8000"


class SignIn(GraphQL):
    """The API in-process with a known captcha, its clock, and the worker's jobs."""

    def __init__(
        self, http: httpx.AsyncClient, clock: MovableClock, settings: Settings, jobs: Jobs
    ) -> None:
        super().__init__(http)
        self.clock, self.settings, self.jobs = clock, settings, jobs

    async def unauthenticated(self, token: str) -> bool:
        """The token no longer counts: a request with it is refused, not run anonymous."""
        body = await self.body(VIEWER, token=token)
        return "data" not in body and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def captcha(self) -> str:
        return str((await self.data(CAPTCHA))["captchaCreate"]["id"])

    async def ask_password(self, msisdn: str, answer: str = KnownCaptcha.answer) -> Any:
        captcha_id = await self.captcha()
        variables = {"input": {"msisdn": msisdn, "captchaId": captcha_id, "captchaAnswer": answer}}
        answer_ = (await self.data(PASSWORD_REQUEST, variables))["passwordRequest"]
        await self.sms_sent()
        return answer_

    async def sms_sent(self) -> None:
        """Wait until the worker has handled every queued send_sms message."""
        await asyncio.to_thread(self.jobs.broker.join, self.jobs.sms.queue_name)

    async def session_create(self, msisdn: str, password: str, region: str = "MOW") -> Any:
        """The ``sessionCreate`` payload: a token, or user errors."""
        variables = {"input": {"msisdn": msisdn, "password": password, "regionCode": region}}
        return (await self.data(SESSION_CREATE, variables))["sessionCreate"]

    async def token_for(self, msisdn: str, password: str) -> str:
        result = await self.session_create(msisdn, password)
        assert result["userErrors"] == [], result
        return str(result["token"])


@asynccontextmanager
async def signing_in(db: Settings, tmp_path: Path) -> AsyncIterator[SignIn]:
    """The API with an image captcha whose answer is known, and a worker that sends SMS."""
    settings = db.model_copy(update={"data_dir": tmp_path, "captcha": "image"})
    clock = MovableClock()
    jobs = Jobs.for_settings(settings, clock)
    app = create_app(settings, open_db=False, clock=clock, captcha=KnownCaptcha(), jobs=jobs)
    # A test's worker gives an actor still running at the end 20 s, not production's 10
    # minutes (an email render left mid-way once stalled a run for the whole 10; see
    # docs/decisions.md, "Test suite").
    async with WorkerProcess(jobs.broker, shutdown_timeout_s=20):
        async with asgi_http(app, ORIGIN) as http:
            yield SignIn(http, clock, settings, jobs)


def codes(payload: Any) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]
