"""Configuration: lookup, TOML into typed settings, precise errors, .env discovery."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from blazz_tui.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """
default_target = "prod"
[targets.prod]
transport = "local"
[[targets.prod.instances]]
name = "wa-3001"
url = "http://127.0.0.1:3001"
"""


def test_shipped_config_parses_and_describes_four_local_instances() -> None:
    config = load_config(str(ROOT / "config.toml"), environ={})
    target = config.target()
    assert target.name == "local"
    assert [i.url for i in target.instances] == [f"http://127.0.0.1:{p}" for p in
                                                 range(3001, 3005)]
    assert target.queues.connection == "database"
    assert config.warnings == ()


def test_unknown_key_is_refused_with_line_and_suggestion() -> None:
    text = MINIMAL + 'ulr = "x"\n'
    with pytest.raises(ConfigError) as err:
        parse_config(text, "c.toml", {})
    assert str(err.value) == ("c.toml:8: targets.prod.instances[0].ulr: unknown key 'ulr' "
                              "(did you mean 'url'?)")


def test_wrong_type_names_the_expected_type() -> None:
    text = MINIMAL + '[thresholds]\nretries = "3"\n'
    with pytest.raises(ConfigError, match=r"c.toml:9: thresholds.retries: expected a whole "
                                          r"number, got str '3'"):
        parse_config(text, "c.toml", {})


def test_invalid_toml_reports_the_line() -> None:
    with pytest.raises(ConfigError, match=r"c.toml: not valid TOML: .*line 2"):
        parse_config("a = 1\nb = = 2\n", "c.toml", {})


def test_missing_required_key_names_the_table() -> None:
    text = MINIMAL.replace('url = "http://127.0.0.1:3001"\n', "")
    with pytest.raises(ConfigError, match=r"c.toml:5: targets.prod.instances\[0\]: missing "
                                          r"required key 'url'"):
        parse_config(text, "c.toml", {})


def test_default_target_must_exist() -> None:
    with pytest.raises(ConfigError, match=r"c.toml:2: default_target: no target named 'prod'"):
        parse_config(MINIMAL.replace("[targets.prod]", "[targets.staging]")
                     .replace("targets.prod.", "targets.staging."), "c.toml", {})


def test_environment_variables_are_substituted() -> None:
    text = MINIMAL + 'api_key = "${KEY}"\n'
    config = parse_config(text, "c.toml", {"KEY": "s3cret"})
    assert config.target().instances[0].api_key == "s3cret"


def test_missing_environment_variable_is_an_error_naming_it() -> None:
    text = MINIMAL + 'api_key = "${KEY}"\n'
    with pytest.raises(ConfigError, match=r"c.toml:8: .*api_key: environment variable KEY is "
                                          r"not set"):
        parse_config(text, "c.toml", {})


def test_environment_default_is_used_when_variable_is_unset() -> None:
    text = MINIMAL + 'api_key = "${KEY:-fallback}"\n'
    assert parse_config(text, "c.toml", {}).target().instances[0].api_key == "fallback"


def test_a_source_can_be_switched_off() -> None:
    text = MINIMAL.replace('transport = "local"', 'transport = "local"\ndatabase = false')
    assert parse_config(text, "c.toml", {}).target().database is None


def test_readable_file_with_literal_password_gets_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL + '[targets.prod.database]\nurl = "mysql://u:pw@h/db"\n')
    os.chmod(path, 0o644)
    config = load_config(str(path), environ={})
    assert len(config.warnings) == 1
    assert "readable by others (mode 0644)" in config.warnings[0]
    assert f"chmod 600 {path}" in config.warnings[0]


def test_private_file_or_secret_from_environment_gets_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL + '[targets.prod.database]\nurl = "mysql://u:pw@h/db"\n')
    os.chmod(path, 0o600)
    assert load_config(str(path), environ={}).warnings == ()
    path.write_text(MINIMAL + '[targets.prod.database]\nurl = "mysql://u:${PW}@h/db"\n')
    os.chmod(path, 0o644)
    assert load_config(str(path), environ={"PW": "x"}).warnings == ()


def test_explicit_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(str(tmp_path / "nope.toml"))


def test_config_in_working_directory_is_found(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(MINIMAL)
    assert load_config(cwd=tmp_path, environ={}).default_target == "prod"


def test_laravel_project_env_is_read_without_configuration(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "artisan").write_text("<?php\n")
    (tmp_path / ".env").write_text(
        "APP_NAME=\"Blazz App\"\nDB_CONNECTION=mysql\nDB_HOST=10.0.0.5\nDB_PORT=3307\n"
        "DB_DATABASE=blazz\nDB_USERNAME=blazz\nDB_PASSWORD='p@ss word'\n"
        "REDIS_HOST=127.0.0.1\nREDIS_PORT=6380\nQUEUE_CONNECTION=redis\n"
        "CACHE_PREFIX=blazz_cache_\n# a comment\n")
    config = load_config(cwd=tmp_path, environ={})
    target = config.target()
    assert target.name == "blazz_app"
    assert config.source == str(tmp_path / ".env")
    assert target.database is not None and target.redis is not None
    assert target.database.url == "mysql://blazz:p%40ss%20word@10.0.0.5:3307/blazz"
    assert target.redis.url == "redis://127.0.0.1:6380/0"
    assert target.redis.key_prefix == "blazz_app_database_"
    assert target.redis.cache_prefix == "blazz_cache_"
    assert target.queues.connection == "redis"
    assert target.logs.files == (str(tmp_path / "storage/logs/*.log"),)


def test_laravel_sqlite_default_database_path(tmp_path: Path) -> None:
    (tmp_path / "artisan").write_text("")
    (tmp_path / ".env").write_text("DB_CONNECTION=sqlite\n")
    target = load_config(cwd=tmp_path, environ={}).target()
    assert target.database is not None
    assert target.database.url == f"sqlite://{tmp_path}/database/database.sqlite"


def test_without_config_or_project_the_built_in_defaults_are_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config(cwd=tmp_path, environ={})
    assert config.source == "built-in defaults"
    assert len(config.target().instances) == 4
    assert config.warnings[0].startswith("no configuration found")  # said, never silent


@pytest.mark.parametrize("marker", ["artisan", "bootstrap/app.php", "composer.json"])
def test_a_laravel_project_is_recognised_by_any_of_its_marks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / marker).parent.mkdir(exist_ok=True)
    (tmp_path / marker).write_text('{"require": {"php": "^8.2", "laravel/framework": "^11"}}'
                                   if marker == "composer.json" else "<?php\n")
    (tmp_path / ".env").write_text("APP_NAME=Blazz\n")
    assert load_config(cwd=tmp_path, environ={}).source == str(tmp_path / ".env")


def test_the_env_names_the_instances_and_their_api_key(tmp_path: Path) -> None:
    (tmp_path / "artisan").write_text("")
    (tmp_path / ".env").write_text("WHATSAPP_NODE_SERVICE_URL=http://localhost:3001\n")
    (tmp_path / "whatsapp-service").mkdir()
    (tmp_path / "whatsapp-service" / ".env").write_text("PORT=3001\nAPI_KEY=node-key\n")
    [instance] = load_config(cwd=tmp_path, environ={}).target().instances
    assert (instance.name, instance.url, instance.api_key) == (
        "wa-3001", "http://localhost:3001", "node-key")


def test_a_laravel_project_without_env_says_so(tmp_path: Path) -> None:
    (tmp_path / "artisan").write_text("")
    with pytest.raises(ConfigError, match="Laravel project without a readable .env"):
        load_config(cwd=tmp_path, environ={})


def test_an_empty_config_file_is_an_error_not_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("# nothing yet\n")
    with pytest.raises(ConfigError, match="holds no settings"):
        load_config(str(tmp_path / "config.toml"))


def test_a_directory_given_as_config_says_it_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(str(tmp_path))


def test_a_supervisor_is_required_when_the_config_names_one(tmp_path: Path) -> None:
    named = parse_config(MINIMAL + '[[targets.prod.supervisor]]\nurl = "unix:///run/s.sock"\n',
                         "c.toml", {})
    assert named.target().supervisor_required is True
    assert parse_config(MINIMAL, "c.toml", {}).target().supervisor_required is False


@pytest.mark.parametrize(("body", "where", "message"), [
    ('[[targets.prod.instances]]\nname = "x"\nurl = "http://127.0.0.1:99999"\n',
     "targets.prod.instances[1].url", "port that is not a number between 1 and 65535"),
    ('[targets.prod.redis]\nurl = "redis://:pa/ss@127.0.0.1:6379/0"\n',
     "targets.prod.redis.url", "given on its own as password"),
    ('[targets.prod.database]\nurl = "mysql://root:p#ss@127.0.0.1/blazz"\n',
     "targets.prod.database.url", "percent-encoded"),
    ("[targets.prod.logs]\ntail_bytes = -100\n", "targets.prod.logs.tail_bytes",
     "must be a positive number"),
    ('[targets.prod.logs]\ntimezone = "Mars/Olympus"\n', "targets.prod.logs.timezone",
     "is not a time zone"),
    ("[targets.prod.poll]\ninstances = { interval = 2, timeout = 0 }\n",
     "targets.prod.poll.instances.timeout", "must be a positive number"),
    ('[[targets.prod.ports]]\nname = "reverb"\nport = 0\n', "targets.prod.ports[0].port",
     "not between 1 and 65535"),
    ('[[targets.prod.instances]]\nname = "x"\nurl = "http://127.0.0.1:3001"\n'
     'api_key = "pa/ss-kéy"\n', "targets.prod.instances[1].api_key",
     "only printable ASCII can be sent as X-Api-Key"),
])
def test_values_that_would_fail_later_are_refused_with_their_key(body: str, where: str,
                                                                  message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(MINIMAL + body, "c.toml", {})
    assert f": {where}: " in str(raised.value) and message in str(raised.value)
    assert "pa/ss" not in str(raised.value) and "p#ss" not in str(raised.value)
    assert "é" not in str(raised.value)


def test_a_secret_written_as_a_number_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(MINIMAL + "[targets.prod.database]\npassword = 9817234\n", "c.toml", {})
    assert "9817234" not in str(raised.value) and "it is a secret" in str(raised.value)


def test_a_password_can_be_given_on_its_own_without_encoding() -> None:
    config = parse_config(MINIMAL + '[targets.prod.redis]\nurl = "redis://127.0.0.1:6379/0"\n'
                          'password = "p/a?s#s@w:o%r&d= +"\n', "c.toml", {})
    redis = config.target().redis
    assert redis is not None
    assert redis.password == "p/a?s#s@w:o%r&d= +"
