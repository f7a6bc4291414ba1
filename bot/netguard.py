"""Address policy and an httpcore network backend that only connects to addresses it has checked."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterable, Sequence
from typing import Protocol

import httpcore

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Synapse's default block list plus extras (see FIELD-NOTES). We do not rely on
# ipaddress.is_global alone because on 3.11 it is wrong for multicast, NAT64,
# 6to4 and ::ffff: mapped forms; it is used only as an extra safety net below.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, includes 169.254.169.254 cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "::/96",  # deprecated IPv4-compatible addresses (::a.b.c.d)
        # IPv4-translated (SIIT, RFC 6145: ::ffff:0:a.b.c.d), one hextet off the mapped ::ffff:a.b.c.d form and so
        # missed by ipv4_mapped; a stateless translator would take ::ffff:0:7f00:1 to 127.0.0.1. No site uses it.
        "::ffff:0:0:0/96",
        "64:ff9b:1::/48",  # local-use NAT64: translates to whatever the site's gateway wants
        "100::/64",
        "2001::/32",  # Teredo: the client address is obfuscated; no news site lives here
        "2001::/23",  # IETF protocol assignments (benchmarking, ORCHID); is_global agrees, but not on every Python
        "2001:db8::/32",
        "3fff::/20",  # documentation, the second range (RFC 9637)
        "5f00::/16",  # SRv6 segment identifiers (RFC 9602): routing functions, not hosts
        "fc00::/7",
        "fd00:ec2::254/128",  # AWS metadata over IPv6 (already in fc00::/7; named for clarity)
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


class BlockedAddressError(Exception):
    """The host resolved to (or is) an address the policy refuses."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} -> {address}: {reason}")
        self.host = host
        self.address = address
        self.reason = reason


class ResolveError(Exception):
    """The host name did not resolve to any address."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"{host}: {detail}")
        self.host = host


def parse_address(text: str) -> IPAddress:
    """Parse an IP string as getaddrinfo returns it (drops an IPv6 zone id)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 translation form carries (mapped, NAT64, 6to4), if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    return None


def _allowed(addr: IPAddress, allow_nets: Iterable[IPNetwork]) -> bool:
    return any(addr.version == net.version and addr in net for net in allow_nets)


def blocked_reason(address: str | IPAddress, allow_nets: Sequence[IPNetwork] = ()) -> str | None:
    """Why the policy refuses this address, or None when it may be contacted."""
    addr = parse_address(address) if isinstance(address, str) else address
    if _allowed(addr, allow_nets):
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        inner = embedded_ipv4(addr)
        if inner is not None:
            # Judge translation forms by the IPv4 host they reach: on DNS64
            # networks public sites legitimately resolve to 64:ff9b::a.b.c.d.
            inner_reason = blocked_reason(inner, allow_nets)
            return None if inner_reason is None else f"embeds {inner} ({inner_reason})"
        blocked: tuple[IPNetwork, ...] = _BLOCKED_V6
    else:
        blocked = _BLOCKED_V4
    for net in blocked:
        if addr in net:
            return f"in blocked range {net}"
    if not addr.is_global:
        return "not a globally routable address"
    return None


def is_blocked(address: str | IPAddress, allow_nets: Sequence[IPNetwork] = ()) -> bool:
    """True when the policy refuses this address."""
    return blocked_reason(address, allow_nets) is not None


class Resolver(Protocol):
    """Turns a host name into IP address strings."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """Resolver over the event loop's getaddrinfo (the system's stub resolver)."""

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        seen: list[str] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            ip = str(sockaddr[0])
            if ip not in seen:
                seen.append(ip)
        return seen


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves once, refuses the host if ANY address is blocked, connects to a checked address.

    httpcore hands connect_tcp the URL's host; TLS is started afterwards by
    httpcore with server_hostname=that host, so certificates are still verified
    against the name while the socket goes to the address we checked (no DNS
    rebinding window between check and connect). Every redirect hop opens its
    connection through here, so every hop is checked.
    """

    def __init__(
        self,
        allow_nets: Sequence[IPNetwork] = (),
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_nets = tuple(allow_nets)
        self._resolver: Resolver = resolver if resolver is not None else SystemResolver()
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def checked_addresses(self, host: str, port: int) -> list[str]:
        """Resolve host and return its addresses, or raise if any one is refused."""
        host = host.strip("[]")
        try:
            literal: IPAddress | None = parse_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await self._resolver.resolve(host, port)
            except (OSError, UnicodeError) as exc:
                raise ResolveError(host, str(exc)) from exc
            if not addresses:
                raise ResolveError(host, "no addresses")
        for address in addresses:
            try:
                reason = blocked_reason(address, self._allow_nets)
            except ValueError:
                reason = "not an IP address"
            if reason is not None:
                raise BlockedAddressError(host, address, reason)
        return [str(parse_address(a)) for a in addresses]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.checked_addresses(host, port)
        last_exc: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_exc = exc
                logger.debug("connect to %s (%s) port %d failed: %s", host, address, port, exc)
        assert last_exc is not None  # addresses is never empty
        raise last_exc

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(path, path, "unix sockets are never used for fetching")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
