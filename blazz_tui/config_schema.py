"""Turning a parsed TOML document into the frozen dataclasses of ``settings``.

Driven by the dataclasses' own type hints, so every documented field is accepted and
nothing else: an unknown key gets a "did you mean", a wrong type names the expected one,
and every message carries the file, the line and the dotted key.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

from blazz_tui.settings import Config, FieldError, SshConfig, TargetConfig, instance_address

Path = tuple[str | int, ...]
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")
_INT64 = range(-(2**63), 2**63)
"""TOML's integers: a larger one is not a setting (and no float can hold it)."""


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names file, line and key."""


def build(raw: dict[str, Any], text: str, source: str, environ: Mapping[str, str]) -> Config:
    builder = _Builder(text, source, environ)
    return typing.cast(Config, builder.dataclass(Config, raw, ()))


def locate(text: str, path: Path) -> int:
    """The 1-based line defining ``path`` (or its closest enclosing table); 0 if unknown."""
    best_line, best_depth = 0, -1
    current: list[str | int] = []
    seen_arrays: dict[tuple[str | int, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = tuple(_split_dotted(header.group(2)))
            current = list(names)
            if header.group(1) == "[[":
                index = seen_arrays.get(names, -1) + 1
                seen_arrays[names] = index
                current.append(index)
            depth = _common_prefix(current, path)
            if depth == len(current) and depth > best_depth:
                best_line, best_depth = number, depth
            continue
        key = _KEY.match(line)
        if key and not line.lstrip().startswith("#"):
            full = current + _split_dotted(key.group(1))
            depth = _common_prefix(full, path)
            if depth == len(full) and depth > best_depth:
                best_line, best_depth = number, depth
    return best_line


def _split_dotted(text: str) -> list[str | int]:
    return [part.strip().strip('"').strip("'") for part in text.split(".")]


def _common_prefix(a: list[str | int], b: Path) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _dotted(path: Path) -> str:
    """The key as a message shows it: a part with a control character escaped, never raw."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        shown = part if part.isprintable() else repr(part)
        out += f".{shown}" if out else shown
    return out or "(top level)"


class _Builder:
    def __init__(self, text: str, source: str, environ: Mapping[str, str]) -> None:
        self.text = text
        self.source = source
        self.environ = environ

    def error(self, path: Path, message: str) -> ConfigError:
        line = locate(self.text, path)
        where = f"{self.source}:{line}" if line else self.source
        return ConfigError(f"{where}: {_dotted(path)}: {message}")

    def dataclass(self, cls: type, table: Any, path: Path, **fixed: Any) -> Any:
        if not isinstance(table, dict):
            raise self.error(path, f"expected a table, got {_kind(table)}")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        allowed = [name for name in fields if name not in fixed and name not in _INTERNAL]
        values: dict[str, Any] = dict(fixed)
        for key, value in table.items():
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.error(path + (key,), f"unknown key {key!r}{suggestion}")
            if cls is Config and key == "targets":
                values[key] = self.targets(value, path + (key,))
            else:
                values[key] = self.value(hints[key], value, path + (key,))
        missing = [n for n, f in fields.items() if n not in values
                   and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise self.error(path, f"missing required key {missing[0]!r}")
        try:
            return cls(**values)
        except FieldError as exc:  # a fixed field (a target's name) is the table's own key
            raise self.error(path if exc.key in fixed else path + (exc.key,), str(exc)) from exc
        except (TypeError, ValueError) as exc:
            raise self.error(path, str(exc)) from exc

    def targets(self, table: Any, path: Path) -> tuple[TargetConfig, ...]:
        if not isinstance(table, dict):
            raise self.error(path, f"expected tables [targets.NAME], got {_kind(table)}")
        targets = []
        for name, body in table.items():
            target = self.dataclass(TargetConfig, body, path + (name,), name=name)
            if target.supervisor_required is None and isinstance(body, dict):
                target = dataclasses.replace(target, supervisor_required="supervisor" in body)
            if target.transport == "ssh" and isinstance(body, dict) and "app_dir" in body \
                    and not _SOURCES & set(body):
                target = dataclasses.replace(target, remote_env=True)
            if target.transport not in {"local", "ssh"}:
                raise self.error(path + (name, "transport"),
                                 f"must be 'local' or 'ssh', not {target.transport!r}")
            if target.transport == "ssh" and target.ssh is None:
                raise self.error(path + (name,), "transport 'ssh' needs ssh = \"alias\" "
                                 "(or user@host:port), or an [ssh] table with host")
            if target.queues.connection not in {"database", "redis"}:
                raise self.error(path + (name, "queues", "connection"),
                                 f"must be 'database' or 'redis', not {target.queues.connection!r}")
            self.distinct_instances(target, path + (name, "instances"))
            targets.append(target)
        return tuple(targets)

    def distinct_instances(self, target: TargetConfig, path: Path) -> None:
        """Instances are told apart by name (rows, actions) and by host and port (the
        database's assigned_instance_url): two entries sharing either are one instance."""
        names: dict[str, int] = {}
        addresses: dict[tuple[str, int], int] = {}
        for index, instance in enumerate(target.instances):
            first = names.setdefault(instance.name, index)
            if first != index:
                raise self.error(path + (index, "name"), f"{instance.name!r} is already the "
                                 f"name of {self.entry(path, first)}: each instance needs "
                                 "its own name")
            host, port = instance_address(instance.url)
            first = addresses.setdefault((host, port), index)
            if first != index:
                raise self.error(path + (index, "url"), f"reaches {host}:{port}, as "
                                 f"{self.entry(path, first)} does: one instance cannot be "
                                 "listed twice")

    def entry(self, path: Path, index: int) -> str:
        line = locate(self.text, path + (index,))
        return _dotted(path + (index,)) + (f" (line {line})" if line else "")

    def value(self, hint: Any, value: Any, path: Path) -> Any:
        origin = typing.get_origin(hint)
        if origin in (types.UnionType, typing.Union):
            options = [a for a in typing.get_args(hint) if a is not type(None)]
            if value is False and dataclasses.is_dataclass(options[0]):
                return None  # `database = false` switches a source off
            return self.value(options[0], value, path)
        if origin is tuple:
            item = typing.get_args(hint)[0]
            if not isinstance(value, list):
                raise self.error(path, f"expected a list, got {_kind(value)}")
            return tuple(self.value(item, v, path + (i,)) for i, v in enumerate(value))
        if hint is SshConfig and isinstance(value, str):  # ssh = "alias" or "user@host:port"
            try:
                return SshConfig.parse(self.interpolate(value, path))
            except FieldError as exc:
                raise self.error(path, str(exc)) from exc
        if dataclasses.is_dataclass(hint):
            return self.dataclass(typing.cast(type, hint), value, path)
        if hint is bool:
            if not isinstance(value, bool):
                raise self.error(path, f"expected true or false, got {_kind(value)}")
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.error(path, f"expected a whole number, got {_kind(value)}")
            return self.int64(value, path)
        if hint is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(path, f"expected a number, got {_kind(value)}")
            if isinstance(value, int):
                return float(self.int64(value, path))
            if not math.isfinite(value):  # TOML has inf and nan; neither is a limit or a time
                raise self.error(path, f"expected a finite number, got {value}")
            return value
        if hint is str:
            if not isinstance(value, str):
                secret = path and path[-1] in ("password", "api_key")
                got = "another kind of value (not shown: it is a secret)" if secret \
                    else _kind(value)
                raise self.error(path, f"expected a string, got {got}")
            return self.interpolate(value, path)
        raise self.error(path, f"unsupported setting type {hint!r}")  # pragma: no cover

    def int64(self, value: int, path: Path) -> int:
        if value not in _INT64:
            raise self.error(path, "is too large a number (TOML integers are 64-bit)")
        return value

    def interpolate(self, value: str, path: Path) -> str:
        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.environ:
                return self.environ[name]
            if default is not None:
                return default
            raise self.error(path, f"environment variable {name} is not set "
                                   f"(use ${{{name}:-default}} for a fallback)")

        return _ENV.sub(substitute, value)


_INTERNAL = {"source", "warnings", "remote_env"}
_SOURCES = {"database", "redis", "instances", "queues", "logs"}
"""What a remote target's ``.env`` gives when its table names none of them."""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
