"""Outbound webhook requests against real receivers on loopback: what production refuses,
redirects never followed, the original Host kept while connecting to the checked address."""

from __future__ import annotations

from pathlib import Path

import pytest

from detalka.adapters.webhook_http import Answer, WebhookPoster, is_public
from detalka.resolvers.webhook_sending import retryable
from tests.mail import free_port
from tests.tls_certs import localhost_tls
from tests.webhook_receiver import webhook_receiver

BODY = b'{"type":"detail_order.ready"}'
HEADERS = {"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "v1,x"}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_private_address_is_refused_in_production(host: str) -> None:
    with webhook_receiver() as receiver:
        # given a live receiver on loopback
        url = receiver.url.replace("127.0.0.1", host)
        # when production posts to it
        answer = await WebhookPoster(allow_private=False).post(url, BODY, HEADERS)
        # then nothing was sent, and the refusal is final (not retried)
        assert answer.refused and answer.status is None
        assert "not public" in (answer.error or "")
        assert not retryable(answer)
        assert receiver.received == []
        # while development reaches it, with the name it was given as Host
        answer = await WebhookPoster(allow_private=True).post(url, BODY, HEADERS)
        assert answer.status == 200
        (request,) = receiver.received
        assert request.headers["host"] == url.split("/")[2]
        assert request.headers["webhook-id"] == "msg_1" and request.body == BODY


async def test_a_redirect_is_not_followed_and_not_retried() -> None:
    with webhook_receiver(then=302) as moved, webhook_receiver() as elsewhere:
        moved.location = elsewhere.url
        answer = await WebhookPoster(allow_private=True).post(moved.url, BODY, HEADERS)
        assert answer.status == 302 and not retryable(answer)
        assert len(moved.received) == 1 and elsewhere.received == []


async def test_a_closed_port_is_a_connection_error_worth_a_retry() -> None:
    url = f"http://127.0.0.1:{free_port()}/gone"
    answer = await WebhookPoster(allow_private=True).post(url, BODY, HEADERS)
    assert answer.status is None and answer.error and retryable(answer)


@pytest.mark.parametrize(
    ("answer", "again"),
    [
        (Answer(status=500), True),
        (Answer(status=503), True),
        (Answer(status=429), True),
        (Answer(status=408), True),
        (Answer(error="ReadTimeout"), True),
        (Answer(status=404), False),
        (Answer(status=410), False),
        (Answer(status=301), False),
    ],
)
def test_timeouts_and_5xx_are_retried_other_answers_are_final(answer: Answer, again: bool) -> None:
    assert retryable(answer) is again


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2a00:1450:4010:c05::71", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:8.8.8.8", True),
        ("224.0.0.1", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(address) is public


async def test_https_goes_to_the_checked_address_with_the_name_in_sni_and_host(
    tmp_path: Path,
) -> None:
    # given an HTTPS receiver on 127.0.0.1 whose certificate names localhost only
    server_tls, client_tls = localhost_tls(tmp_path)
    with webhook_receiver(tls=server_tls) as receiver:
        # when a webhook goes to https://localhost:<port> (resolved once, then the address)
        poster = WebhookPoster(allow_private=True, tls=client_tls)
        answer = await poster.post(receiver.url, BODY, HEADERS)
        # then TLS verified the certificate against the name, sent as SNI and as Host
        assert answer.status == 200, answer.error
        assert "localhost" in receiver.server_names
        (request,) = receiver.received
        assert request.headers["host"] == receiver.url.split("/")[2]
    # and a certificate that does not name the target is refused, not ignored
    with webhook_receiver(tls=localhost_tls(tmp_path)[0]) as stranger:
        answer = await poster.post(stranger.url, BODY, HEADERS)
        assert answer.status is None and stranger.received == []
