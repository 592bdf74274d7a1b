"""Zero-configuration for Laravel developers: a target read from the project's ``.env``.

Reads the keys Laravel 11 itself reads (DB_*, REDIS_*, QUEUE_CONNECTION, APP_NAME,
CACHE_PREFIX, APP_TIMEZONE) and applies Laravel's own defaults where a key is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path, PurePath, PurePosixPath
from urllib.parse import quote

from blazz_tui.config_schema import ConfigError
from blazz_tui.settings import (
    DatabaseConfig,
    InstanceConfig,
    LogsConfig,
    QueuesConfig,
    RedisConfig,
    TargetConfig,
    default_instances,
)

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def find_laravel_project(cwd: Path) -> Path | None:
    """``cwd`` when it is a Laravel project: an ``artisan`` file, a ``bootstrap/app.php``, or
    a ``composer.json`` requiring ``laravel/framework``."""
    if (cwd / "artisan").is_file() or (cwd / "bootstrap" / "app.php").is_file():
        return cwd
    try:
        composer = json.loads((cwd / "composer.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    required = composer.get("require") if isinstance(composer, dict) else None
    return cwd if isinstance(required, dict) and "laravel/framework" in required else None


def parse_env(text: str) -> dict[str, str]:
    """Parse a dotenv file as Laravel (vlucas/phpdotenv) does, for the common cases:
    comments, quotes, ``export``, and ``${OTHER}`` references in unquoted/double-quoted values."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        key, raw = match.groups()
        if raw[:1] == "'" and raw.rfind("'") > 0:
            value = raw[1:raw.rfind("'")]
        else:
            if raw[:1] == '"' and raw.rfind('"') > 0:
                value = raw[1:raw.rfind('"')].replace('\\"', '"').replace("\\n", "\n")
            else:
                value = raw.split(" #", 1)[0].strip()
            value = _REF.sub(lambda m: values.get(m.group(1), ""), value)
        values[key] = value
    return values


def slug(text: str) -> str:
    """Laravel's ``Str::slug($text, '_')`` for ASCII names."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def target_from_env(project: Path, environ: Mapping[str, str]) -> TargetConfig:
    """The target a Laravel project's ``.env`` describes (raises OSError without one). The
    WhatsApp service's API key may also come from its own ``whatsapp-service/.env``."""
    env = (project / ".env").read_text(encoding="utf-8", errors="replace")
    try:
        node = (project / "whatsapp-service" / ".env").read_text(encoding="utf-8",
                                                                 errors="replace")
    except OSError:
        node = ""
    return target_from_env_text(project, env, node, environ)


def remote_target(target: TargetConfig, env_text: str, node_text: str) -> TargetConfig:
    """A remote target that names only its link and ``app_dir``, completed from the server's
    ``.env`` (paths in it are the server's). Its name, link and the rest it sets stay."""
    found = target_from_env_text(PurePosixPath(target.app_dir), env_text, node_text, {})
    return replace(target, database=found.database, redis=found.redis, queues=found.queues,
                   logs=found.logs, instances=found.instances, remote_env=False)


def target_from_env_text(project: PurePath, env_text: str, node_text: str,
                         environ: Mapping[str, str]) -> TargetConfig:
    env = parse_env(env_text)
    env.update({k: v for k, v in environ.items() if k in env})  # real env wins, as in Laravel
    node = parse_env(node_text)
    if node.get("API_KEY"):
        env.setdefault("WHATSAPP_API_KEY", node["API_KEY"])
    app = slug(env.get("APP_NAME", "laravel")) or "laravel"
    return TargetConfig(
        name=slug(env.get("APP_NAME", "laravel")) or "laravel",
        app_dir=str(project),
        database=_database(env, project),
        redis=_redis(env, app),
        queues=QueuesConfig(connection=_queue_connection(env)),
        logs=LogsConfig(files=(str(project / "storage/logs/*.log"),),
                        timezone=env.get("APP_TIMEZONE", "UTC") or "UTC"),
        instances=_instances(env),
    )


def _database(env: Mapping[str, str], project: PurePath) -> DatabaseConfig:
    connection = env.get("DB_CONNECTION", "sqlite")
    if connection == "sqlite":
        name = env.get("DB_DATABASE") or "database/database.sqlite"
        path = PurePath(name) if PurePath(name).is_absolute() else project / name
        return DatabaseConfig(url=f"sqlite://{path}")
    user = quote(env.get("DB_USERNAME", "root"), safe="")
    password = env.get("DB_PASSWORD", "")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host = env.get("DB_HOST", "127.0.0.1")
    port = env.get("DB_PORT", "3306")
    return DatabaseConfig(url=f"mysql://{auth}@{host}:{port}/{env.get('DB_DATABASE', 'laravel')}")


def _redis(env: Mapping[str, str], app: str) -> RedisConfig:
    url = env.get("REDIS_URL")
    if not url:
        password = env.get("REDIS_PASSWORD", "")
        auth = f":{quote(password, safe='')}@" if password and password != "null" else ""
        url = (f"redis://{auth}{env.get('REDIS_HOST', '127.0.0.1')}:"
               f"{env.get('REDIS_PORT', '6379')}/{env.get('REDIS_DB', '0')}")
    return RedisConfig(
        url=url,
        cache_db=_int(env, "REDIS_CACHE_DB", 1),
        key_prefix=env.get("REDIS_PREFIX", f"{app}_database_"),
        cache_prefix=env.get("CACHE_PREFIX", f"{app}_cache_"),
    )


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    value = env.get(key, "") or str(default)
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f".env: {key}={value!r} is not a whole number") from None


def _queue_connection(env: Mapping[str, str]) -> str:
    connection = env.get("QUEUE_CONNECTION", "database")
    return "redis" if connection == "redis" else "database"


_INSTANCE_LISTS = ("WHATSAPP_INSTANCES", "WHATSAPP_INSTANCE_URLS", "WHATSAPP_NODE_INSTANCES")
_INSTANCE_URLS = ("WHATSAPP_NODE_SERVICE_URL", "WHATSAPP_SERVICE_URL", "WHATSAPP_NODE_URL")
_API_KEYS = ("WHATSAPP_API_KEY", "WHATSAPP_NODE_API_KEY", "WHATSAPP_INTERNAL_TOKEN")


def _instances(env: Mapping[str, str]) -> tuple[InstanceConfig, ...]:
    """The instances the .env names (a comma-separated list, or the one service URL), else the
    seeds' four on 3001-3004; the API key from the first of the keys the seeds use."""
    key = next((env[k] for k in _API_KEYS if env.get(k)), None)
    listed = next((env[k] for k in _INSTANCE_LISTS if env.get(k)), "") \
        or next((env[k] for k in _INSTANCE_URLS if env.get(k)), "")
    if listed:
        urls = [u.strip() for u in listed.split(",") if u.strip()]
        return tuple(InstanceConfig(name=_instance_name(u), url=u, api_key=key) for u in urls)
    return tuple(InstanceConfig(name=i.name, url=i.url, api_key=key)
                 for i in default_instances())


def _instance_name(url: str) -> str:
    port = url.rstrip("/").rsplit(":", 1)[-1]
    return f"wa-{port}" if port.isdigit() else url
