"""Small pure formatters shared by the checks, the exports and the dashboard."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    """``text`` with every control character shown escaped (``\\x1b``, ``\\n``): what a
    watched system wrote can never drive the terminal or break a line it is put in."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else
                   _ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100
                                        else f"\\u{ord(ch):04x}")
                   for ch in text)


def duration(seconds: float | None) -> str:
    """``42s``, ``7m``, ``7m05s``, ``2h03m``, ``3d4h``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    s = int(max(0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s" if s < 600 and s % 60 else f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600}h"


def count(value: int | None, capped: bool = False) -> str:
    """``4,310``; ``≥ 10,000`` when the count is a lower bound; ``?`` when unknown."""
    if value is None:
        return "?"
    return f"≥ {value:,}" if capped else f"{value:,}"


def size(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


_CREDENTIAL = re.compile(r"(?i)\b(authorization|proxy-authorization|x-api-key|cookie)"
                         r"(\s*[:=]\s*)(?:(basic|bearer|digest)\s+)?[^\s,;]+")
_SCHEME = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}")


def scrub(text: str, secrets: Iterable[str] = (), users: Iterable[str] = ()) -> str:
    """What the watched system sent back, fit for any output: a header that carries a
    credential (``Authorization: Basic …``, ``X-Api-Key: …``) and every ``secret`` — as it is,
    and as the base64 of ``user:secret`` an echoed Basic header carries — become ``***``."""
    forms = set()
    for secret in (s for s in secrets if s and len(s) >= 3):
        forms.add(secret)
        for user in (*users, ""):
            forms.add(base64.b64encode(f"{user}:{secret}".encode()).decode().rstrip("="))
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _SCHEME.sub(lambda m: f"{m.group(1)} ***", text)
