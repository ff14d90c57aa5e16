"""The one guard for every outbound HTTP call printgate makes on a user's say-so.

URL sources, merchants' webhook endpoints and store addresses are chosen by users, and some answers
come back to them (a fetched file through the job's signed URL, a response snippet in a delivery
log). So no call may reach this machine's own network unless the operator allows it
(``PRINTGATE_ALLOW_PRIVATE_URLS=1``): not loopback, private, link-local, unique-local, multicast,
unspecified or reserved addresses, nor the cloud metadata endpoints, in any spelling (IPv4-mapped,
NAT64, 6to4 and Teredo IPv6 forms are unwrapped first).

Checking a name and then letting the HTTP library resolve it again lets a second DNS answer differ
(rebinding). So the check lives in the connection itself: :class:`GuardedTransport` resolves the
host once (:func:`resolve`), refuses if any answer is blocked, and connects to the address it
checked; TLS still verifies and sends SNI for the name, and the ``Host`` header is the URL's. Every
connection, so every redirect hop, goes through it. :func:`check_url` is the same check made up
front, for a clear error before any request is built. :class:`PinnedClients` keeps connections
alive across calls (outbound webhooks) while still checking every request: a kept connection is
reused only while the host resolves to the addresses it was dialled at. :func:`read_capped` bounds
a body's size and the time it takes to arrive.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

ALLOW_ENV = "PRINTGATE_ALLOW_PRIVATE_URLS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata endpoints (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS IPv6: fd00:ec2::254;
# Alibaba: 100.100.100.200; Oracle: 192.0.0.192). Most already fall in a blocked range; listed so no
# change to Python's range tables can let one through.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CARRIER_NAT = ipaddress.ip_network("100.64.0.0/10")


class Refused(httpx.ConnectError):
    """The destination is inside this network (or not an http(s) URL): nothing was sent.

    An ``httpx.ConnectError``, so a caller that handles transport failures handles this too."""


class TooLarge(httpx.HTTPError):
    """A response body went past its size cap; what was read is dropped."""


class TooSlow(httpx.TimeoutException):
    """A response body took longer than its overall time cap (a slow drip beats per-read timeouts)."""


def private_allowed() -> bool:
    """The operator's switch (``allow_private_urls``), current at every call (the settings tree is
    read again when the variable changes: tests and ``printgate serve`` children change it)."""
    from printgate.core.config import get_settings

    return get_settings().allow_private_urls


def _unwrap(addr: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, Teredo), else itself."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        if addr in _NAT64:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if addr.sixtofour is not None:
            return addr.sixtofour
        if addr.teredo is not None:
            return addr.teredo[1]
    return addr


def is_blocked(address: str | IPAddress) -> bool:
    """True for any address that is not plainly on the public internet."""
    addr = _unwrap(ipaddress.ip_address(address) if isinstance(address, str) else address)
    if addr in METADATA_ADDRESSES or (isinstance(addr, ipaddress.IPv4Address) and addr in _CARRIER_NAT):
        return True
    return (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast
            or addr.is_unspecified or addr.is_reserved or (isinstance(addr, ipaddress.IPv6Address)
                                                           and addr.is_site_local)
            or not addr.is_global)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself). Tests replace this."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpx.ConnectError(f"could not resolve {host!r}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def checked_addresses(host: str, port: int) -> list[str]:
    """Resolve ``host`` once and return the addresses to connect to; :class:`Refused` if it is inside
    this network (any answer: a name with one private answer is not trusted with the others)."""
    host = host.strip("[]")
    addresses = resolve(host, port)
    if not addresses:
        raise httpx.ConnectError(f"could not resolve {host!r}: no address")
    if not private_allowed():
        blocked = [a for a in addresses if is_blocked(a)]
        if blocked:
            raise Refused(f"{host!r} resolves to a private address ({blocked[0]}); set {ALLOW_ENV}=1 to allow "
                          "calls into this network")
    return addresses


def check_url(url: str) -> None:
    """The guard made up front: an http(s) URL whose host resolves only to public addresses."""
    _scheme, host, port = _destination(url)
    checked_addresses(host, port)


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket opener, connecting only to the addresses :func:`checked_addresses` passed."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return self._connect_first(checked_addresses(host, port), port, timeout, local_address, socket_options)

    def _connect_first(self, addresses: Iterable[str], port: int, timeout: float | None,
                       local_address: str | None, socket_options: Iterable[Any] | None) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # the next checked address, as socket.create_connection would
        assert error is not None
        raise error


class _PinnedBackend(_GuardedBackend):
    """A socket opener for one destination whose addresses were already checked: it connects only
    to those (see :class:`PinnedClients`)."""

    def __init__(self, addresses: tuple[str, ...]) -> None:
        self.addresses = addresses

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return self._connect_first(self.addresses, port, timeout, local_address, socket_options)


def _ssl_context(verify: bool) -> ssl.SSLContext:
    """One TLS context per process and setting: loading the CA bundle costs ~17 ms of CPU, which was
    most of an outbound webhook's cost when every call made two. A context is safe to share."""
    from printgate.core.config import tls_ca_locations

    return _ssl_context_for(verify, *tls_ca_locations())


@lru_cache(maxsize=4)
def _ssl_context_for(verify: bool, _cert_file: str | None, _cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=verify)  # reads SSL_CERT_FILE / SSL_CERT_DIR, hence the key


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose every connection is checked and pinned; never through a proxy.
    ``addresses``: connect only to these, already checked (:class:`PinnedClients`)."""

    def __init__(self, *, verify: bool = True, limits: httpx.Limits = httpx.Limits(max_connections=20),
                 addresses: tuple[str, ...] | None = None) -> None:
        context = _ssl_context(verify)
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections, max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend(addresses) if addresses is not None else _GuardedBackend())


def client(*, timeout: httpx.Timeout | float, headers: dict[str, str] | None = None) -> httpx.Client:
    """An ``httpx.Client`` for user-chosen destinations: guarded, no redirects followed, no env proxies."""
    return httpx.Client(transport=GuardedTransport(), timeout=timeout, headers=headers, follow_redirects=False,
                        trust_env=False)


def _destination(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(f"not a valid port in {url}") from exc
    return parts.scheme, parts.hostname, port


class PinnedClients:
    """Kept-alive guarded clients for many calls to the same few destinations (outbound webhooks).

    :meth:`for_url` resolves and checks the URL's host on every call, as :func:`check_url` does, and
    answers with the client kept for exactly that destination and that set of checked addresses,
    whose connections go only to those addresses. So a connection is reused only while the host still
    resolves to what it was dialled at; a new answer (DNS rebinding, a move) gets a new client,
    checked again. Per process: a forked child starts with none of its parent's sockets.
    """

    def __init__(self, max_clients: int = 64) -> None:
        self.max_clients = max_clients
        self._clients: OrderedDict[tuple[Any, ...], httpx.Client] = OrderedDict()
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def for_url(self, url: str) -> httpx.Client:
        scheme, host, port = _destination(url)
        addresses = tuple(checked_addresses(host, port))
        key = (scheme, host.lower(), port, frozenset(addresses))
        evicted: list[httpx.Client] = []
        with self._lock:
            if self._pid != os.getpid():
                self._clients = OrderedDict()  # the parent's sockets are not ours to use
                self._pid = os.getpid()
            http = self._clients.pop(key, None)
            if http is None:
                http = httpx.Client(transport=GuardedTransport(addresses=addresses), follow_redirects=False,
                                    trust_env=False)
            self._clients[key] = http
            while len(self._clients) > self.max_clients:
                evicted.append(self._clients.popitem(last=False)[1])
        for old in evicted:
            old.close()
        return http

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), OrderedDict()
        for http in clients:
            http.close()


def read_capped(response: httpx.Response, max_bytes: int, max_seconds: float | None = None) -> Iterator[bytes]:
    """The body in chunks; :class:`TooLarge` past ``max_bytes``, :class:`TooSlow` past ``max_seconds``."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"the response is {int(declared)} bytes, over the {max_bytes} byte limit")
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"the response is larger than the {max_bytes} byte limit")
        if deadline is not None and time.monotonic() > deadline:
            raise TooSlow(f"the response took longer than {max_seconds:g} s")
        yield chunk


REDIRECTS = (301, 302, 303, 307, 308)


def get_following(http: httpx.Client, url: str, *, headers: dict[str, str] | None = None,
                  max_redirects: int = 5) -> httpx.Response:
    """GET ``url`` as a stream, following redirects one hop at a time, each hop checked afresh (its
    connection is guarded too). Headers go to the first origin only. The caller closes the response."""
    target = url
    for _hop in range(max_redirects + 1):
        check_url(target)
        same_origin = _origin(target) == _origin(url)
        response = http.send(http.build_request("GET", target, headers=headers if same_origin else None),
                             stream=True)
        location = response.headers.get("location")
        if response.status_code not in REDIRECTS or not location:
            return response
        response.close()
        target = str(response.url.join(location))
    raise httpx.TooManyRedirects(f"more than {max_redirects} redirects from {url}")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)
