"""Outbound webhook POSTs: short timeouts, no redirects, no proxies from the environment,
and in production no private, loopback or link-local targets.

The name is resolved once; every address it gives is checked (one bad address refuses the
target: a name that also points inside is an attack); then the request goes to the checked
address itself, with the original name in ``Host`` and in TLS SNI, so the certificate is
still verified against the name. Resolving again at connect time is what DNS rebinding
exploits, so httpx never resolves the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

# httpx is imported where a webhook is sent, not at the top: it costs ~0.1 s of every
# process's start (the API imports this module and may never send one).

# A receiver answers in 10 s or the attempt counts as failed (retried later); the connect
# alone gets 3 s, the name lookup 3 s, the whole attempt 15 s (httpx's timeouts are per
# read: a server dripping a byte every 9 s would hold it for ever). The answer's body is
# never read.
READ_SECONDS = 10.0
CONNECT_SECONDS = 3.0
RESOLVE_SECONDS = 3.0
ATTEMPT_SECONDS = 15.0
USER_AGENT = "Detalka-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status code, or an error (``refused``: never sent)."""

    status: int | None = None
    error: str | None = None
    refused: bool = False


class TargetRefused(Exception):
    """The target resolves to an address webhooks may not reach."""


def is_public(address: str) -> bool:
    """A globally routable unicast address (an IPv4-mapped IPv6 one is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """Every address of ``host``, each checked; TargetRefused when one may not be reached."""
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
    except (socket.gaierror, TimeoutError) as exc:
        raise OSError(f"cannot resolve {host}: {exc or 'timed out'}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise TargetRefused(f"{host} resolves to {address}, which is not public")
    return addresses


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()


def _timeout() -> httpx.Timeout:
    import httpx

    return httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)


@dataclass(frozen=True)
class WebhookPoster:
    """POSTs a signed body; ``allow_private`` is for development (local receivers)."""

    allow_private: bool = False
    # The trusted CAs: the system's (certifi's) unless given (a test's own CA).
    tls: ssl.SSLContext | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            async with asyncio.timeout(ATTEMPT_SECONDS):
                return await self._post(url, body, headers)
        except TimeoutError:
            return Answer(error=f"no answer within {ATTEMPT_SECONDS:g} s")

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        import httpx

        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return Answer(error=f"invalid URL: {exc}", refused=True)
        # The ASCII (IDNA) form: what DNS, the Host header and SNI all carry.
        host = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            addresses = await resolve(host, port, self.allow_private)
        except TargetRefused as exc:
            return Answer(error=str(exc), refused=True)
        except OSError as exc:
            return Answer(error=str(exc))
        host_header = target.netloc.decode("ascii")
        last = "no address"
        async with httpx.AsyncClient(
            timeout=_timeout(),
            follow_redirects=False,
            trust_env=False,
            verify=self.tls or _tls(),
        ) as client:
            for address in addresses:
                request = client.build_request(
                    "POST",
                    target.copy_with(host=address),
                    content=body,
                    headers={
                        **headers,
                        "Host": host_header,
                        "Content-Type": "application/json",
                        "User-Agent": USER_AGENT,
                    },
                    extensions={"sni_hostname": host},
                )
                try:
                    response = await client.send(request, stream=True)
                except httpx.ConnectError as exc:
                    last = f"{address}: {exc or type(exc).__name__}"
                    continue  # the next address of the name, as a browser would
                except httpx.HTTPError as exc:
                    return Answer(error=f"{type(exc).__name__}: {exc}"[:500])
                await response.aclose()
                return Answer(status=response.status_code)
        return Answer(error=f"connection failed: {last}"[:500])
