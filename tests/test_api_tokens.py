"""API tokens: shown once, limited to their scopes, revocable, and never another
subscriber's."""

from __future__ import annotations

from detalka.models import ApiToken
from tests.factories import make_subscriber
from tests.sign_in import PASSWORD_CHANGE, TOKEN_CREATE, TOKEN_REVOKE, VIEWER, SignIn, codes

# --- API tokens -------------------------------------------------------------------------


async def test_an_api_token_is_shown_once_and_limited_to_its_scopes(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    session = await signin.token_for(subscriber.msisdn, "correct-horse")
    created = await signin.data(
        TOKEN_CREATE, {"input": {"name": "Агрегатор", "scopes": ["usage:read"]}}, token=session
    )
    token = created["apiTokenCreate"]["token"]
    assert token.startswith("dtk_")
    assert created["apiTokenCreate"]["apiToken"]["scopes"] == ["usage:read"]
    # the token itself is nowhere to be read again
    listed = await signin.data("{ viewer { apiTokens { name prefix } } }", token=session)
    assert token not in str(listed)
    assert (await ApiToken.get(subscriber_id=subscriber.id)).token_hash != token
    # a field outside its scopes is denied, with a code
    denied = await signin.body("{ viewer { msisdn } }", token=token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # and it cannot manage tokens or passwords
    for mutation, variables in [
        (TOKEN_CREATE, {"input": {"name": "x", "scopes": ["account:read"]}}),
        (PASSWORD_CHANGE, {"input": {"newPassword": "другой-пароль"}}),
    ]:
        body = await signin.body(mutation, variables, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_account_read_token_reads_the_account(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    session = await signin.token_for(subscriber.msisdn, "correct-horse")
    created = await signin.data(
        TOKEN_CREATE, {"input": {"name": "Бот", "scopes": ["account:read"]}}, token=session
    )
    token = created["apiTokenCreate"]["token"]
    assert (await signin.data(VIEWER, token=token))["viewer"]["msisdn"] == subscriber.msisdn


async def test_an_unknown_scope_is_a_user_error(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    session = await signin.token_for(subscriber.msisdn, "correct-horse")
    result = await signin.data(
        TOKEN_CREATE, {"input": {"name": "x", "scopes": ["admin"]}}, token=session
    )
    assert codes(result["apiTokenCreate"]) == ["INVALID_SCOPE"]


async def test_a_revoked_api_token_stops_working(signin: SignIn) -> None:
    subscriber = await make_subscriber("correct-horse")
    session = await signin.token_for(subscriber.msisdn, "correct-horse")
    created = (
        await signin.data(
            TOKEN_CREATE, {"input": {"name": "x", "scopes": ["account:read"]}}, token=session
        )
    )["apiTokenCreate"]
    revoked = await signin.data(
        TOKEN_REVOKE, {"input": {"id": created["apiToken"]["id"]}}, token=session
    )
    assert revoked["apiTokenRevoke"]["apiToken"]["revokedAt"] is not None
    assert await signin.unauthenticated(created["token"])


async def test_another_subscribers_token_never_sees_this_subscribers_data(signin: SignIn) -> None:
    # given two subscribers, each signed in
    alice = await make_subscriber("alice-password")
    bob = await make_subscriber("bob-password")
    alice_session = await signin.token_for(alice.msisdn, "alice-password")
    bob_session = await signin.token_for(bob.msisdn, "bob-password")
    alice_id = (await signin.data(VIEWER, token=alice_session))["viewer"]["id"]
    alice_token = (
        await signin.data(
            TOKEN_CREATE, {"input": {"name": "a", "scopes": ["account:read"]}}, token=alice_session
        )
    )["apiTokenCreate"]["apiToken"]["id"]
    # when Bob asks for Alice's objects
    node = await signin.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": alice_id}, token=bob_session
    )
    token_node = await signin.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": alice_token}, token=bob_session
    )
    revoke = await signin.data(TOKEN_REVOKE, {"input": {"id": alice_token}}, token=bob_session)
    # then he sees nothing and changes nothing
    assert node["node"] is None and token_node["node"] is None
    assert codes(revoke["apiTokenRevoke"]) == ["NOT_FOUND"]
    assert (await ApiToken.get(subscriber_id=alice.id)).revoked_at is None
    viewer = (await signin.data(VIEWER, token=bob_session))["viewer"]
    assert viewer["msisdn"] == bob.msisdn
