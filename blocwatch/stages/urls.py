"""URL canonicalisation and dates written into URLs."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that identify a campaign or a click, never the article.
_TRACKING_PREFIXES = ("utm_",)
_TRACKING_NAMES = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "yclid", "igshid",
    "_ga", "_gl", "ref_src", "cmpid", "ito", "smid", "rss", "at_medium", "at_campaign",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def parses(url: str) -> bool:
    """Whether ``url`` can be taken apart at all (a port in range, a well-formed IPv6
    host): canonical_url and the fetcher raise on those that cannot."""
    try:
        urlsplit(url.strip()).port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return False
    return True


def canonical_url(url: str) -> str:
    """Normalise a URL so that one article has one key.

    Lower-cases scheme and host, drops the default port, the fragment and tracking
    parameters; keeps the path and the other parameters in their order.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host
    if port and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_NAMES]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def same_site(a: str, b: str) -> bool:
    """True when both URLs are on the same host (ignoring a leading www.)."""
    def host(u: str) -> str:
        h = (urlsplit(u).hostname or "").lower()
        return h[4:] if h.startswith("www.") else h
    return host(a) == host(b) != ""


_URL_DATE_PATTERNS = (
    re.compile(r"/((?:19|20)\d{2})/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])(?:/|$)"),
    re.compile(r"(?<!\d)((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)"),
)


def date_from_url(url: str) -> date | None:
    """The publication date many outlets write into article paths (/2025/03/04/...)."""
    path = urlsplit(url).path
    for pattern in _URL_DATE_PATTERNS:
        m = pattern.search(path)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return None
