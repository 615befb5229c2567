"""Sign-in over GraphQL: captcha, a password by SMS, sessions, the permanent password."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from detalka.adapters.events import publish_quietly
from detalka.errors import RequestErrorCode
from detalka.resolvers import access, account, rate_limits, sign_in
from detalka.schema.account import Subscriber
from detalka.schema.context import Info
from detalka.schema.errors import UserError
from detalka.schema.mutations import mutation
from detalka.schema.permissions import session_only


@strawberry.type(description="A captcha to solve before asking for a password by SMS.")
class Captcha:
    id: strawberry.ID = strawberry.field(description="Pass it back as `captchaId`.")
    image_data_url: str = strawberry.field(description="The picture: a PNG `data:` URL.")
    expires_at: datetime = strawberry.field(description="After this the answer is refused.")


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
        default=False, description="True when the request was taken (the same for any number)."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.input(description="Sign in with the number, a password and the home region.")
class SessionCreateInput:
    msisdn: str = strawberry.field(description="The number as typed.")
    password: str = strawberry.field(description="The permanent password or the SMS one.")
    region_code: str = strawberry.field(description="Home region of the number, e.g. `MOW`.")
    captcha_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="From `captchaCreate`: needed after five failed sign-ins of the number, "
        "for 15 minutes; the refusal then is TOO_MANY_ATTEMPTS with field `captchaAnswer` "
        "(with an empty field it is the client address that failed too often: wait instead).",
    )
    captcha_answer: str | None = strawberry.field(
        default=None, description="The characters on that captcha picture."
    )


@strawberry.type(description="A new session, or why there is none.")
class SessionCreatePayload:
    token: str | None = strawberry.field(
        default=None,
        description="Send it as `Authorization: Bearer <token>`; also set as an HttpOnly cookie.",
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the session ends."
    )
    subscriber: Subscriber | None = strawberry.field(default=None, description="Who signed in.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.type(description="The session has ended.")
class SessionDeletePayload:
    ended: bool = strawberry.field(default=False, description="True when a live session was ended.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.input(description="Set a permanent password.")
class PasswordChangeInput:
    new_password: str = strawberry.field(description="8 to 128 characters.")


@strawberry.type(description="The password was set; other sessions and every API token ended.")
class PasswordChangePayload:
    subscriber: Subscriber | None = strawberry.field(default=None, description="The subscriber.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="A new captcha picture to solve (5 minutes, single use); at most 20 a "
        "minute from one client address (THROTTLED)."
    )
    async def captcha_create(self, info: Info) -> Captcha:
        services = info.context.services
        settings = services.settings
        key = f"captcha:{info.context.client_address}"
        window = rate_limits.CAPTCHA_WINDOW
        if not await rate_limits.take(
            key, settings.captchas_per_minute, window, services.clock.now()
        ):
            raise GraphQLError(
                "Слишком много картинок подряд. Попробуйте через минуту.",
                extensions={"code": RequestErrorCode.THROTTLED.value},
            )
        new = await sign_in.create_captcha(
            services.captcha, services.settings, services.clock.now()
        )
        return Captcha(
            id=strawberry.ID(str(new.id)),
            image_data_url=new.image_data_url,
            expires_at=new.expires_at,
        )

    @mutation(description="Send a one-time password by SMS (at most 3 an hour).")
    async def password_request(
        self,
        info: Info,
        input: Annotated[PasswordRequestInput, strawberry.argument(description="The input.")],
    ) -> PasswordRequestPayload:
        services = info.context.services
        await sign_in.request_password(
            msisdn_text=input.msisdn,
            captcha_id=input.captcha_id,
            captcha_answer=input.captcha_answer,
            settings=services.settings,
            enqueue_sms=services.enqueue_sms,
            now=services.clock.now(),
        )
        return PasswordRequestPayload(accepted=True)

    @mutation(
        description="Sign in. After five failures in a row, for 15 minutes each attempt for the "
        "number needs a solved captcha; many failures from one address refuse it 15 minutes."
    )
    async def session_create(
        self,
        info: Info,
        input: Annotated[SessionCreateInput, strawberry.argument(description="The input.")],
    ) -> SessionCreatePayload:
        services = info.context.services
        new = await sign_in.create_session(
            msisdn_text=input.msisdn,
            password=input.password,
            region_code=input.region_code,
            settings=services.settings,
            now=services.clock.now(),
            attempt=sign_in.Attempt(
                address=info.context.client_address,
                captcha_id=input.captcha_id,
                captcha_answer=input.captcha_answer,
            ),
        )
        info.context.set_session_cookie(new.token, int(services.settings.session_ttl_hours * 3600))
        # The rest of this request (the payload's fields) is read as the new session.
        info.context.viewer = await access.authenticate(new.token, services.clock.now())
        return SessionCreatePayload(
            token=new.token,
            expires_at=new.expires_at,
            subscriber=await _subscriber(new.subscriber_id),
        )

    @mutation(description="Sign out: end this session.", extensions=session_only())
    async def session_delete(self, info: Info) -> SessionDeletePayload | None:
        viewer = info.context.viewer
        assert viewer is not None and viewer.session_id is not None
        services = info.context.services
        ended = await sign_in.end_session(viewer.session_id, services.clock.now())
        info.context.set_session_cookie("", 0)
        await publish_quietly(services.events, viewer.subscriber_id, access.CREDENTIALS_CHANGED)
        return SessionDeletePayload(ended=ended)

    @mutation(
        description="Set a permanent password; the other sessions and every API token end.",
        extensions=session_only(),
    )
    async def password_change(
        self,
        info: Info,
        input: Annotated[PasswordChangeInput, strawberry.argument(description="The input.")],
    ) -> PasswordChangePayload | None:
        viewer = info.context.viewer
        assert viewer is not None and viewer.session_id is not None
        await sign_in.change_password(
            subscriber_id=viewer.subscriber_id,
            session_id=viewer.session_id,
            new_password=input.new_password,
            now=info.context.services.clock.now(),
        )
        # The ended sessions' and tokens' sockets close within a second.
        events = info.context.services.events
        await publish_quietly(events, viewer.subscriber_id, access.CREDENTIALS_CHANGED)
        return PasswordChangePayload(subscriber=await _subscriber(viewer.subscriber_id))


async def _subscriber(subscriber_id: int) -> Subscriber | None:
    row = await account.subscriber(subscriber_id)
    return Subscriber.from_row(row) if row is not None else None
