"""The client's address, for limits per address: the TCP peer, or what trusted proxies say.

``X-Forwarded-For`` is anyone's to write, so it counts only hop by hop from the right while
each hop that appended to it is a proxy listed in ``DETALKA_TRUSTED_PROXIES``: the first
address a trusted proxy vouches for and that is not itself a trusted proxy is the client.
With no trusted proxies the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(given: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(n, strict=False) for n in given]


def client_address(connection: HTTPConnection, trusted: list[Network]) -> str:
    peer = connection.client.host if connection.client else ""
    if not trusted:
        return peer
    forwarded = ",".join(connection.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    address = peer
    while hops and _is_trusted(address, trusted):
        hop = hops.pop()
        if _parsed(hop) is None:
            break  # not an address: what the proxy saw is all that is known
        address = hop
    return address


def _parsed(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: str, trusted: list[Network]) -> bool:
    parsed = _parsed(address)
    return parsed is not None and any(parsed in network for network in trusted)
