"""``--snapshot PATH.json`` / ``-``: the whole collected snapshot and its checks as JSON.

Readings never hold secrets (sources redact URLs and keep no keys); as a second line of
defence every configured secret value is also scrubbed from the output text.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from enum import Enum
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from blazz_tui.causes import problems
from blazz_tui.clients.dbconn import DatabaseUrlError, parse_database_url
from blazz_tui.monitoring import monitoring_table
from blazz_tui.rules import Check, Status
from blazz_tui.settings import TargetConfig, Thresholds
from blazz_tui.snapshot import Snapshot

SNAPSHOT_VERSION = 1


def to_data(value: Any) -> Any:
    """Dataclasses, enums and tuples → JSON-ready dicts, strings and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in ("ok", "up", "full_name", "unserved", "connected"):
            attr = getattr(type(value), name, None)
            if isinstance(attr, property):
                data[name] = to_data(getattr(value, name))
        return data
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


def snapshot_json(snapshot: Snapshot, checks: list[Check] | tuple[Check, ...], status: Status,
                  target: TargetConfig, thresholds: Thresholds) -> str:
    document = {
        "version": SNAPSHOT_VERSION,
        "status": status.value,
        "checks": [{"name": c.name, "status": c.status.value, "summary": c.summary,
                    "perfdata": [p.render() for p in c.perf]} for c in checks],
        "problems": [{"status": p.status.value, "text": p.text, "cause": p.cause,
                      "effects": p.effects, "checks": [c.name for c in p.checks]}
                     for p in problems(checks, snapshot)],
        "monitoring": to_data(monitoring_table(snapshot, checks, thresholds)),
        **to_data(snapshot),
    }
    return redact(json.dumps(document, indent=2, ensure_ascii=False), secrets_of(target))


def secrets_of(target: TargetConfig) -> set[str]:
    """Every secret value in a target's configuration."""
    found: set[str] = {i.api_key for i in target.instances if i.api_key}
    found |= {e.password for e in target.supervisor if e.password}
    if target.ssh is not None and target.ssh.password:
        found.add(target.ssh.password)
    if target.database is not None:
        try:
            password = parse_database_url(target.database.url).password
        except DatabaseUrlError:
            password = ""
        found |= {password, quote(password), target.database.password or ""}
    if target.redis is not None:
        redis_password = urlsplit(target.redis.url).password or ""
        found |= {redis_password, unquote(redis_password), target.redis.password or ""}
    for instance in target.instances:
        secret = urlsplit(instance.url).password or ""
        found |= {secret, unquote(secret)}
        found |= _basic(unquote(urlsplit(instance.url).username or ""), unquote(secret))
    for endpoint in target.supervisor:
        found |= _basic(endpoint.username or "", endpoint.password or "")
    return {s for s in found if len(s) >= 3}


def _basic(user: str, password: str) -> set[str]:
    """The base64 of ``user:password`` an echoed ``Authorization: Basic`` header carries."""
    if not password:
        return set()
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {encoded, encoded.rstrip("=")}


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
        text = text.replace(json.dumps(secret)[1:-1], "***")
    return text
