"""Finding and loading the configuration.

Lookup: ``--config PATH``, else ``./config.toml``, else ``~/.config/blazz-tui/config.toml``,
else built-in defaults — with a target read from Laravel's ``.env`` when run inside a Laravel
project. A bad file is refused with its path, line and key; nothing is half-loaded.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from blazz_tui.config_schema import ConfigError, build, locate
from blazz_tui.laravel_env import find_laravel_project, target_from_env
from blazz_tui.settings import Config, FieldError

USER_CONFIG = Path("~/.config/blazz-tui/config.toml")
DEFAULTS_NOTICE = ("no configuration found (no -c, ./config.toml or "
                   "~/.config/blazz-tui/config.toml, and this is not a Laravel project): "
                   "watching the built-in defaults — MySQL root@127.0.0.1:3306/blazz, instances "
                   "on 127.0.0.1:3001-3004 without an API key; see config.toml in the "
                   "blazz-tui README")
SECRET_KEYS = {"password", "api_key"}
BOM = b"\xef\xbb\xbf"
"""Written at the start of UTF-8 files by editors on Windows; not part of the TOML."""
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))
"""Opening a FIFO must not wait for a writer: it is refused once open, never read."""
_SPECIAL = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))

__all__ = ["ConfigError", "find_config_path", "load_config", "parse_config"]


def find_config_path(explicit: str | None, cwd: Path | None = None) -> Path | None:
    """The file to load, or None for built-in defaults. An explicit path must exist."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        _require_file(path, explicit)
        return path
    cwd = cwd or Path.cwd()
    for candidate in (cwd / "config.toml", USER_CONFIG.expanduser()):
        if os.path.lexists(candidate):  # there, but perhaps not a file: said, not skipped
            _require_file(candidate, str(candidate))
            return candidate
    return None


def _require_file(path: Path, shown: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ConfigError(f"{shown}: {_open_failure(path, exc)}") from None
    problem = _not_a_file(mode)
    if problem is not None:
        raise ConfigError(f"{shown}: {problem}")


def _open_failure(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        try:
            return (f"no such configuration file (a symbolic link to {os.readlink(path)!r}, "
                    "which does not exist)")
        except OSError:
            return "no such configuration file"
    return f"cannot read: {exc.strerror or exc}"


def _not_a_file(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a configuration file"
    kind = next((name for test, name in _SPECIAL if test(mode)), "not a file")
    return f"is not a regular file ({kind})"


def _read_config(path: Path) -> str:
    """The file's text, BOM dropped; never blocks on a FIFO, never reads a device."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise ConfigError(f"{path}: {_open_failure(path, exc)}") from None
    with os.fdopen(fd, "rb") as file:
        problem = _not_a_file(os.fstat(file.fileno()).st_mode)
        if problem is not None:  # it changed since it was looked up
            raise ConfigError(f"{path}: {problem}")
        try:
            data = file.read().removeprefix(BOM)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: is not UTF-8 text (byte 0x{data[exc.start]:02x}): "
                          "save it as UTF-8") from None


def load_config(explicit: str | None = None, cwd: Path | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Load the configuration the way the command line does."""
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    path = find_config_path(explicit, cwd)
    if path is not None:
        text = _read_config(path)
        config = parse_config(text, str(path), environ)
        warning = _readable_secret_warning(path, text)
        return replace(config, warnings=config.warnings + ((warning,) if warning else ()))
    project = find_laravel_project(cwd)
    if project is not None:
        try:
            target = target_from_env(project, environ)
        except FieldError as exc:
            raise ConfigError(f"{project / '.env'}: the {exc.key} it gives: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{project} is a Laravel project without a readable .env "
                              f"({exc.strerror or exc}): copy .env.example to .env, or give a "
                              "configuration with -c") from exc
        return Config(targets=(target,), default_target=target.name,
                      source=str(project / ".env"))
    return Config(warnings=(DEFAULTS_NOTICE,))


def parse_config(text: str, source: str, environ: Mapping[str, str] | None = None) -> Config:
    """Parse TOML text into a Config; ``source`` names the file in error messages."""
    text = text.removeprefix("\ufeff")
    raw = _parse_toml(text, source)
    if not raw:
        raise ConfigError(f"{source}: holds no settings (an empty file is not the defaults: "
                          "give at least a [targets.NAME] table, or remove the file)")
    environ = os.environ if environ is None else environ
    config = build(raw, text, source, environ)
    names = [t.name for t in config.targets]
    if len(names) == 1 and "default_target" not in raw:
        config = replace(config, default_target=names[0])  # the one target is the default
    if config.default_target not in names:
        line = locate(text, ("default_target",))
        raise ConfigError(
            f"{source}:{line}: default_target: no target named {config.default_target!r} "
            f"(targets: {', '.join(names)})"
        )
    return replace(config, source=source)


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{source}: is nested too deeply (arrays or inline tables within "
                          "each other, deeper than any setting goes)") from None


def _readable_secret_warning(path: Path, text: str) -> str | None:
    """Like ssh with a private key: warn when a file holding a literal secret is readable by
    others. Secrets taken from the environment (``${VAR}``) do not count."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    if not _holds_literal_secret(_parse_toml(text, str(path))):
        return None
    return (f"warning: {path} holds a password or API key and is readable by others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}")


def _holds_literal_secret(document: Any) -> bool:
    """Walked with a stack, not recursion: however deep the document, no RecursionError."""
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str):
                    if _is_literal_secret(key, value):
                        return True
                else:
                    pending.append(value)
    return False


def _is_literal_secret(key: str, value: str) -> bool:
    if value.startswith("${"):
        return False
    return (key in SECRET_KEYS and bool(value)) or (key == "url" and _url_has_password(value))


def _url_has_password(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return False
    return bool(password) and not str(password).startswith("${")
