"""Finding and loading the configuration.

Lookup: ``--config PATH``, else ``./config.toml``, else ``~/.config/blazz-tui/config.toml``,
else built-in defaults — with a target read from Laravel's ``.env`` when run inside a Laravel
project. A bad file is refused with its path, line and key; nothing is half-loaded.
"""

from __future__ import annotations

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

__all__ = ["ConfigError", "find_config_path", "load_config", "parse_config"]


def find_config_path(explicit: str | None, cwd: Path | None = None) -> Path | None:
    """The file to load, or None for built-in defaults. An explicit path must exist."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if path.is_dir():
            raise ConfigError(f"{explicit}: is a directory, not a configuration file")
        if not path.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        return path
    cwd = cwd or Path.cwd()
    for candidate in (cwd / "config.toml", USER_CONFIG.expanduser()):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: str | None = None, cwd: Path | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Load the configuration the way the command line does."""
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    path = find_config_path(explicit, cwd)
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from exc
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
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
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


def _readable_secret_warning(path: Path, text: str) -> str | None:
    """Like ssh with a private key: warn when a file holding a literal secret is readable by
    others. Secrets taken from the environment (``${VAR}``) do not count."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    if not _holds_literal_secret(tomllib.loads(text)):
        return None
    return (f"warning: {path} holds a password or API key and is readable by others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}")


def _holds_literal_secret(node: Any) -> bool:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and not value.startswith("${"):
                if key in SECRET_KEYS and value:
                    return True
                if key == "url" and _url_has_password(value):
                    return True
            elif _holds_literal_secret(value):
                return True
    elif isinstance(node, list):
        return any(_holds_literal_secret(item) for item in node)
    return False


def _url_has_password(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return False
    return bool(password) and not str(password).startswith("${")
