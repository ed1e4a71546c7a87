"""What a scan may keep about its client, and the per-client rate limit of the scan endpoints.

Nothing personal is kept: the network is a keyed hash of the client's /24 (IPv4) or /48 (IPv6)
prefix — enough to tell "many scans from one place" apart from "scans from many places", not
enough to find a household — the agent is one of six families, and a location is kept only when
the client sends one, rounded to 0.1° (about 10 km).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache as memoise
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from dibiao.core.request_context import current_client_ip


@dataclass(frozen=True)
class ClientInfo:
    network: str = ""
    agent: str = "other"
    latitude: Decimal | None = None
    longitude: Decimal | None = None

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@memoise
def _network_base(secret: str) -> hmac.HMAC:
    # A key of its own, derived from SECRET_KEY: the hashes cannot be recomputed without it,
    # and they are no use for anything else the secret key signs.
    key = hashlib.sha256(b"dibiao-scan-network\x00" + secret.encode()).digest()
    return hmac.new(key, b"", hashlib.sha256)


def network_of(ip: str | None) -> str:
    """First 16 hex characters of HMAC(key, the address's /24 or /48 prefix); "" without one."""
    if not ip:
        return ""
    return _network_hash(ip, settings.SECRET_KEY)


@lru_cache(maxsize=4096)
def _network_hash(ip: str, secret: str) -> str:
    # Remembered per address: the same phones and NAT gateways scan again and again.
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    mac = _network_base(secret).copy()
    mac.update(str(network).encode())
    return mac.hexdigest()[:16]


# Checked in this order: WeChat's and Alipay's in-app browsers also say "Android" or "iPhone".
_AGENT_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wechat", ("micromessenger",)),
    ("alipay", ("alipayclient",)),
    ("android", ("android",)),
    ("ios", ("iphone", "ipad", "ipod")),
    ("desktop", ("windows nt", "macintosh", "x11", "cros", "linux x86_64")),
)
AGENT_FAMILIES = (*(name for name, _ in _AGENT_MARKERS), "other")
AGENT_LABELS = {
    "wechat": "微信",
    "alipay": "支付宝",
    "android": "安卓浏览器",
    "ios": "苹果浏览器",
    "desktop": "电脑",
    "other": "其他",
}


def agent_family(user_agent: str) -> str:
    text = user_agent[:512].lower()
    for family, markers in _AGENT_MARKERS:
        if any(marker in text for marker in markers):
            return family
    return "other"


def _coordinate(raw: str | None, limit: int) -> Decimal | None:
    if not raw or len(raw) > 20:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or abs(value) > limit:
        return None
    return Decimal(f"{value:.1f}")


def coarse_location(lat: str | None, lon: str | None) -> tuple[Decimal | None, Decimal | None]:
    """The shared location rounded to 0.1°, or nothing when either half is missing or bad."""
    latitude, longitude = _coordinate(lat, 90), _coordinate(lon, 180)
    if latitude is None or longitude is None:
        return None, None
    return latitude, longitude


def client_info(request: HttpRequest) -> ClientInfo:
    """The coarse facts of the request's client (a DRF view passes `request._request`)."""
    latitude, longitude = coarse_location(request.GET.get("lat"), request.GET.get("lon"))
    return ClientInfo(
        network=network_of(current_client_ip()),
        agent=agent_family(request.META.get("HTTP_USER_AGENT", "")),
        latitude=latitude,
        longitude=longitude,
    )


RATE_WINDOW_SECONDS = 60


def rate_limited(network: str, *, per_minute: int) -> int | None:
    """Count this request in the client network's fixed one-minute window (Django cache). Over
    the limit: the seconds until the window ends (the Retry-After); else None.

    A fixed window lets a client send up to twice the limit across a window boundary; that is
    fine for a consumer page, and it costs one cache operation per request."""
    now = timezone.now().timestamp()
    window = int(now // RATE_WINDOW_SECONDS)
    key = f"trace:rate:{network or '-'}:{window}"
    # Most requests find the window's counter: one increment. The first of a window creates it
    # with add(), which is atomic where the cache is shared (Redis, memcached, database), so two
    # first requests at once cannot both start the count at 1.
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1 if cache.add(key, 1, RATE_WINDOW_SECONDS + 5) else cache.incr(key)
    if count <= per_minute:
        return None
    return max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))
