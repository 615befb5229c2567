"""Sign-in over GraphQL: captcha, a password by SMS, sessions, API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay

from detalka.errors import ErrorCode, UserFacingError
from detalka.models import ApiToken as ApiTokenRow
from detalka.resolvers import access, sign_in
from detalka.schema.account import Subscriber, load_subscriber
from detalka.schema.context import Info
from detalka.schema.errors import UserError
from detalka.schema.nodes import in_requested_order, node_pk
from detalka.schema.permissions import session_only

SESSION_COOKIE = "detalka_session"


@strawberry.type(description="A captcha to solve before asking for a password by SMS.")
class Captcha:
    id: strawberry.ID = strawberry.field(description="Pass it back as `captchaId`.")
    image_data_url: str = strawberry.field(description="The picture: a PNG `data:` URL.")
    expires_at: datetime = strawberry.field(description="After this the answer is refused.")


@strawberry.type(description="A token for a program acting for the subscriber, with scopes.")
class ApiToken(relay.Node):
    pk: relay.NodeID[int]
    name: str = strawberry.field(description="The subscriber's name for it.")
    prefix: str = strawberry.field(description="First characters, to tell tokens apart.")
    scopes: list[str] = strawberry.field(
        description="Granted: `account:read`, `usage:read`, `orders:read`, `orders:write`."
    )
    created_at: datetime = strawberry.field(description="When it was made.")
    last_used_at: datetime | None = strawberry.field(description="When it was last used.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")

    @classmethod
    def from_row(cls, row: ApiTokenRow) -> Self:
        return cls(
            pk=row.id,
            name=row.name,
            prefix=row.prefix,
            scopes=list(row.scopes),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [int(i) for i in node_ids]
        viewer = info.context.viewer
        if viewer is None or viewer.session_id is None:
            return [None for _ in ids]
        return in_requested_order(
            ids,
            await ApiTokenRow.filter(id__in=ids, subscriber_id=viewer.subscriber_id),
            cls.from_row,
        )


@strawberry.input(description="Ask for a one-time password by SMS.")
class PasswordRequestInput:
    msisdn: str = strawberry.field(description="The number as typed: `+7 916 123-45-67`.")
    captcha_id: strawberry.ID | None = strawberry.field(
        default=None, description="From `captchaCreate`."
    )
    captcha_answer: str | None = strawberry.field(
        default=None, description="The characters on the captcha picture."
    )


@strawberry.type(description="The request was taken; an SMS comes if the number is ours.")
class PasswordRequestPayload:
    accepted: bool = strawberry.field(
        description="True when the request was taken (the same for any number)."
    )
    user_errors: list[UserError] = strawberry.field(description="Problems with the input.")


@strawberry.input(description="Sign in with the number, a password and the home region.")
class SessionCreateInput:
    msisdn: str = strawberry.field(description="The number as typed.")
    password: str = strawberry.field(description="The permanent password or the SMS one.")
    region_code: str = strawberry.field(description="Home region of the number, e.g. `MOW`.")


@strawberry.type(description="A new session, or why there is none.")
class SessionCreatePayload:
    token: str | None = strawberry.field(
        description="Send it as `Authorization: Bearer <token>`; also set as an HttpOnly cookie."
    )
    expires_at: datetime | None = strawberry.field(description="When the session ends.")
    subscriber: Subscriber | None = strawberry.field(description="Who signed in.")
    user_errors: list[UserError] = strawberry.field(description="Problems with the input.")


@strawberry.type(description="The session has ended.")
class SessionDeletePayload:
    ended: bool = strawberry.field(description="True when a live session was ended.")
    user_errors: list[UserError] = strawberry.field(description="Problems with the input.")


@strawberry.input(description="Set a permanent password.")
class PasswordChangeInput:
    new_password: str = strawberry.field(description="8 to 128 characters.")


@strawberry.type(description="The password was set; other sessions have ended.")
class PasswordChangePayload:
    subscriber: Subscriber | None = strawberry.field(description="The subscriber.")
    user_errors: list[UserError] = strawberry.field(description="Problems with the input.")


@strawberry.input(description="A new API token.")
class ApiTokenCreateInput:
    name: str = strawberry.field(description="A name to recognise it by.")
    scopes: list[str] = strawberry.field(
        description="Any of `account:read`, `usage:read`, `orders:read`, `orders:write`."
    )


@strawberry.type(description="The new token: shown this once, never again.")
class ApiTokenCreatePayload:
    token: str | None = strawberry.field(description="The secret. Store it now.")
    api_token: ApiToken | None = strawberry.field(description="Its record.")
    user_errors: list[UserError] = strawberry.field(description="Problems with the input.")


@strawberry.input(description="Revoke an API token.")
class ApiTokenRevokeInput:
    id: relay.GlobalID = strawberry.field(description="The token's ID.")


@strawberry.type(description="The token no longer works.")
class ApiTokenRevokePayload:
    api_token: ApiToken | None = strawberry.field(description="Its record, with `revokedAt`.")
    user_errors: list[UserError] = strawberry.field(description="Problems with the input.")


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="A new captcha picture to solve (5 minutes, single use).")
    async def captcha_create(self, info: Info) -> Captcha:
        services = info.context.services
        new = await sign_in.create_captcha(
            services.captcha, services.settings, services.clock.now()
        )
        return Captcha(
            id=strawberry.ID(str(new.id)),
            image_data_url=new.image_data_url,
            expires_at=new.expires_at,
        )

    @strawberry.mutation(description="Send a one-time password by SMS (at most 3 an hour).")
    async def password_request(
        self,
        info: Info,
        input: Annotated[PasswordRequestInput, strawberry.argument(description="The input.")],
    ) -> PasswordRequestPayload:
        services = info.context.services
        try:
            await sign_in.request_password(
                msisdn_text=input.msisdn,
                captcha_id=input.captcha_id,
                captcha_answer=input.captcha_answer,
                settings=services.settings,
                enqueue_sms=services.enqueue_sms,
                now=services.clock.now(),
            )
        except UserFacingError as error:
            return PasswordRequestPayload(accepted=False, user_errors=[UserError.from_error(error)])
        return PasswordRequestPayload(accepted=True, user_errors=[])

    @strawberry.mutation(description="Sign in; five failures in a row lock the number 15 min.")
    async def session_create(
        self,
        info: Info,
        input: Annotated[SessionCreateInput, strawberry.argument(description="The input.")],
    ) -> SessionCreatePayload:
        services = info.context.services
        try:
            new = await sign_in.create_session(
                msisdn_text=input.msisdn,
                password=input.password,
                region_code=input.region_code,
                settings=services.settings,
                now=services.clock.now(),
            )
        except UserFacingError as error:
            return SessionCreatePayload(
                token=None,
                expires_at=None,
                subscriber=None,
                user_errors=[UserError.from_error(error)],
            )
        _set_session_cookie(info, new.token, int(services.settings.session_ttl_hours * 3600))
        # The rest of this request (the payload's fields) is read as the new session.
        info.context.viewer = await access.authenticate(new.token, services.clock.now())
        row = await load_subscriber(new.subscriber_id)
        return SessionCreatePayload(
            token=new.token,
            expires_at=new.expires_at,
            subscriber=Subscriber.from_row(row) if row else None,
            user_errors=[],
        )

    @strawberry.mutation(description="Sign out: end this session.", extensions=session_only())
    async def session_delete(self, info: Info) -> SessionDeletePayload:
        viewer = info.context.viewer
        assert viewer is not None and viewer.session_id is not None
        ended = await sign_in.end_session(viewer.session_id, info.context.services.clock.now())
        _set_session_cookie(info, "", 0)
        return SessionDeletePayload(ended=ended, user_errors=[])

    @strawberry.mutation(
        description="Set a permanent password; the other sessions end.", extensions=session_only()
    )
    async def password_change(
        self,
        info: Info,
        input: Annotated[PasswordChangeInput, strawberry.argument(description="The input.")],
    ) -> PasswordChangePayload:
        viewer = info.context.viewer
        assert viewer is not None and viewer.session_id is not None
        try:
            await sign_in.change_password(
                subscriber_id=viewer.subscriber_id,
                session_id=viewer.session_id,
                new_password=input.new_password,
                now=info.context.services.clock.now(),
            )
        except UserFacingError as error:
            return PasswordChangePayload(subscriber=None, user_errors=[UserError.from_error(error)])
        row = await load_subscriber(viewer.subscriber_id)
        return PasswordChangePayload(
            subscriber=Subscriber.from_row(row) if row else None, user_errors=[]
        )

    @strawberry.mutation(description="Make a scoped API token.", extensions=session_only())
    async def api_token_create(
        self,
        info: Info,
        input: Annotated[ApiTokenCreateInput, strawberry.argument(description="The input.")],
    ) -> ApiTokenCreatePayload:
        viewer = info.context.viewer
        assert viewer is not None
        try:
            token, row = await access.create_api_token(
                viewer.subscriber_id, input.name, input.scopes, info.context.services.clock.now()
            )
        except UserFacingError as error:
            return ApiTokenCreatePayload(
                token=None, api_token=None, user_errors=[UserError.from_error(error)]
            )
        return ApiTokenCreatePayload(token=token, api_token=ApiToken.from_row(row), user_errors=[])

    @strawberry.mutation(description="Revoke an API token.", extensions=session_only())
    async def api_token_revoke(
        self,
        info: Info,
        input: Annotated[ApiTokenRevokeInput, strawberry.argument(description="The input.")],
    ) -> ApiTokenRevokePayload:
        viewer = info.context.viewer
        assert viewer is not None
        try:
            token_id = node_pk(input.id, "ApiToken")
            if token_id is None:
                raise UserFacingError(ErrorCode.NOT_FOUND, "Токен не найден.", ("id",))
            row = await access.revoke_api_token(
                viewer.subscriber_id, token_id, info.context.services.clock.now()
            )
        except UserFacingError as error:
            return ApiTokenRevokePayload(api_token=None, user_errors=[UserError.from_error(error)])
        return ApiTokenRevokePayload(api_token=ApiToken.from_row(row), user_errors=[])


def _set_session_cookie(info: Info, token: str, max_age: int) -> None:
    response = info.context.response
    if response is None or not hasattr(response, "set_cookie"):
        return
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=info.context.settings.is_production,
        path="/",
    )
