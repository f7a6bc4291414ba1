"""Address policy: every refused range and spelling, resolved addresses, allow_nets."""

from __future__ import annotations

import ipaddress
import socket

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.fetch import FetchError, FetchSettings, SafeFetcher
from bot.netguard import BlockedAddressError, GuardedBackend, blocked_reason, is_blocked
from tests.fetch.loopback import LoopbackServer

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "169.254.1.1",
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.1",
    "198.18.0.1",
    "192.88.99.1",
    "::1",
    "::",
    "::127.0.0.1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd00:ec2::254",
    "fec0::1",
    "ff02::1",
    "100::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::1",
    "2002:7f00:1::",
    "2002:a00:1::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
    # Issue 11, item 7: IPv4-translated (SIIT) forms and the second documentation range, and their siblings.
    "::ffff:0:7f00:1",
    "::ffff:0:808:808",
    "::ffff:0:0:0",
    "3fff::1",
    "3fff:fff:ffff::1",
    "5f00::1",
    "2001:10::1",
    "2001:1ff::1",
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700::1111",
    "2a00:1450:4001:81a::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2001:200::1",  # just past 2001::/23
    "2a01:4f8::1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_refused(address: str) -> None:
    assert is_blocked(address), address


@pytest.mark.parametrize("address", ALLOWED)
def test_public_allowed(address: str) -> None:
    assert blocked_reason(address) is None


def test_allow_nets_overrides_one_range_only() -> None:
    allow = (ipaddress.ip_network("10.20.0.0/16"),)
    assert not is_blocked("10.20.3.4", allow)
    assert is_blocked("10.21.0.1", allow)
    assert is_blocked("127.0.0.1", allow)
    # the mapped form of an allowed address is the same host
    assert not is_blocked("::ffff:10.20.3.4", allow)


class FakeResolver:
    """Answers from a fixed table and records what was asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


@pytest.mark.asyncio
async def test_every_resolved_address_is_checked() -> None:
    resolver = FakeResolver({"news.example": ["93.184.216.34", "10.0.0.5"]})
    async with SafeFetcher(resolver=resolver) as fetcher:
        with pytest.raises(FetchError) as info:
            await fetcher.fetch("http://news.example/article")
    assert info.value.code == "blocked_address"
    assert "private or local network" in info.value.user_message
    assert resolver.asked == ["news.example"]


@pytest.mark.asyncio
async def test_backend_refuses_before_connecting() -> None:
    backend = GuardedBackend(resolver=FakeResolver({"meta.example": ["169.254.169.254"]}))
    with pytest.raises(BlockedAddressError) as info:
        await backend.connect_tcp("meta.example", 80)
    assert info.value.address == "169.254.169.254"


@pytest.mark.asyncio
async def test_unresolvable_host_is_dns_failed() -> None:
    async with SafeFetcher(resolver=FakeResolver({})) as fetcher:
        with pytest.raises(FetchError) as info:
            await fetcher.fetch("https://no-such-host.example/")
    assert info.value.code == "dns_failed"


ODD_SPELLINGS = [
    "http://2130706433/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://017700000001/",
    "http://0x7f.0x0.0x0.0x1/",
    "http://[::ffff:127.0.0.1]/",
    "http://0/",
    "http://[::1]/",
    "http://localhost/",
]


@pytest.mark.asyncio
@pytest.mark.parametrize("url", ODD_SPELLINGS)
async def test_odd_spellings_refused_via_system_resolver(url: str) -> None:
    async with SafeFetcher() as fetcher:  # default configuration, real getaddrinfo
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(url)
    assert info.value.code == "blocked_address"


@pytest.mark.asyncio
async def test_default_config_refuses_live_loopback_server(server: LoopbackServer) -> None:
    server.serve("/", b"<html><body>secret admin page</body></html>")
    settings_ = FetchSettings(allowed_ports=(server.port,))  # port allowed, address not
    async with SafeFetcher(settings_) as fetcher:
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(server.url("/"))
    assert info.value.code == "blocked_address"
    assert info.value.user_message == ("I can't read that link: it points to a private or local network address.")
    assert server.seen == []


# --- property test: blocked IPv4 hosts in every spelling getaddrinfo accepts -----------------

_V4_BLOCKED = [
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


@st.composite
def blocked_ipv4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    net = draw(st.sampled_from(_V4_BLOCKED))
    offset = draw(st.integers(0, net.num_addresses - 1))
    return net[offset]


def _spell(addr: ipaddress.IPv4Address, form: str) -> str:
    n = int(addr)
    a, b, c, d = addr.packed
    return {
        "dotted": str(addr),
        "decimal": str(n),
        "hex": hex(n),
        "octal": "0" + format(n, "o"),
        "hex_dotted": ".".join(hex(x) for x in (a, b, c, d)),
        "octal_dotted": ".".join("0" + format(x, "o") for x in (a, b, c, d)),
        "short2": f"{a}.{n & 0xFFFFFF}",
        "short3": f"{a}.{b}.{n & 0xFFFF}",
        "mapped": f"[::ffff:{addr}]",
        "mapped_hex": f"[::ffff:{n >> 16:x}:{n & 0xFFFF:x}]",
        "nat64": f"[64:ff9b::{n >> 16:x}:{n & 0xFFFF:x}]",
        "sixtofour": f"[2002:{n >> 16:x}:{n & 0xFFFF:x}::1]",
    }[form]


FORMS = [
    "dotted",
    "decimal",
    "hex",
    "octal",
    "hex_dotted",
    "octal_dotted",
    "short2",
    "short3",
    "mapped",
    "mapped_hex",
    "nat64",
    "sixtofour",
]


@pytest.mark.asyncio
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(addr=blocked_ipv4(), form=st.sampled_from(FORMS))
async def test_blocked_addresses_refused_in_any_spelling(addr: ipaddress.IPv4Address, form: str) -> None:
    host = _spell(addr, form)
    # Precondition: the spelling is numeric to the system resolver, so no DNS query leaves the box.
    socket.getaddrinfo(host.strip("[]"), 80, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    url = f"http://{host}/"
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        expected = "bad_url"  # httpx itself rejects e.g. 0177.0.0.1: refused before resolving
    else:
        expected = "blocked_address"
    async with SafeFetcher() as fetcher:
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(url)
    assert info.value.code == expected, (host, info.value)
