"""Queue workers as an operator recognises them: the queues a command line names, whatever
runs it, and the ``[[workers]]`` entry a supervisord program is."""

from __future__ import annotations

import pytest

from blazz_tui.sources.workers import names_program, parse_worker_command


@pytest.mark.parametrize(("command", "connection", "queues"), [
    ("php /www/wwwroot/blazz/artisan queue:work database --queue=default --sleep=3 --tries=3 "
     "--max-time=3600", "database", ("default",)),
    ("php /www/wwwroot/blazz/artisan queue:work database --queue=campaign-conflict --sleep=3 "
     "--tries=5 --max-time=3600", "database", ("campaign-conflict",)),
    ("php artisan queue:work --queue=messaging,campaign-stats,whatsapp-urgent",
     None, ("messaging", "campaign-stats", "whatsapp-urgent")),
    ("php artisan queue:listen redis --queue high,low", "redis", ("high", "low")),
    ("php artisan queue:work --sleep 3 --tries 3", None, ("default",)),
    ("python -m fake queue:work sqs", "sqs", ("default",)),
    ("sh -c 'cd /app && exec php artisan queue:work --queue=a,b,a >> w.log'", None, ("a", "b")),
    ("nice -n 10 php artisan queue:work --queue=whatsapp-high", None, ("whatsapp-high",)),
    ("/usr/bin/php8.3 /var/www/blazz/artisan queue:work database --queue=messaging",
     "database", ("messaging",)),
    ("/opt/blazz/bin/run-worker.sh --queue=whatsapp-urgent,whatsapp-high", None,
     ("whatsapp-urgent", "whatsapp-high")),
    ("php artisan blazz:consume --queue whatsapp-campaign --sleep=1", None,
     ("whatsapp-campaign",)),
])
def test_a_command_line_with_its_queues_names_them_whatever_runs_it(
        command: str, connection: str | None, queues: tuple[str, ...]) -> None:
    worker = parse_worker_command(command)
    assert worker is not None and (worker.connection, worker.queues) == (connection, queues)


@pytest.mark.parametrize("command", [
    "php /www/wwwroot/blazz/artisan reverb:start --host=0.0.0.0 --port=8080",
    "/www/server/nodejs/v24.11.1/bin/node /www/wwwroot/blazz/whatsapp-service/server.js",
    "php artisan schedule:work",
    "php artisan 'unbalanced",
])
def test_commands_that_run_no_worker_are_not_workers(command: str) -> None:
    assert parse_worker_command(command) is None


def test_a_worker_without_queue_option_serves_the_default_queue() -> None:
    worker = parse_worker_command("php artisan queue:work", "jobs")
    assert worker is not None and worker.queues == ("jobs",)


def test_horizon_is_a_worker_whose_queues_are_in_its_own_config() -> None:
    worker = parse_worker_command("php /var/www/artisan horizon")
    assert worker is not None and worker.queues == ()
    assert parse_worker_command("php artisan horizon:status") is None


def test_the_artisan_run_and_the_sleep_are_read_from_the_command() -> None:
    worker = parse_worker_command("php /var/www/blazz/artisan queue:work --sleep=5")
    assert worker is not None and (worker.artisan, worker.sleep) == ("/var/www/blazz/artisan",
                                                                     5.0)
    default = parse_worker_command("php artisan queue:work")
    assert default is not None and (default.artisan, default.sleep) == ("artisan", 3.0)


@pytest.mark.parametrize(("group", "process"), [
    ("blazz", "blazz-queue-default_00"), ("blazz", "blazz-queue-default_01"),
    ("blazz-queue-default", "blazz-queue-default_00"),  # no [group:]: its own group
    ("blazz-queue-default", "blazz-queue-default"),  # numprocs = 1
])
def test_a_workers_entry_names_every_process_of_its_program(group: str, process: str) -> None:
    assert names_program("blazz-queue-default", group, process)
    assert names_program("blazz:blazz-queue-default", group, process) == (group == "blazz")
    assert names_program("blazz-queue-*", group, process)


def test_a_workers_entry_does_not_name_a_program_that_merely_starts_like_it() -> None:
    assert not names_program("blazz-queue-default", "blazz", "blazz-queue-default-high_00")
    assert not names_program("blazz-queue", "blazz", "blazz-queue-default_00")
