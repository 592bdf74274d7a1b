"""The logs source on real files: tailing, rotation, truncation, bad bytes, Laravel parsing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from blazz_tui.settings import LogsConfig
from blazz_tui.sources.logs import LogsReading, LogsSource
from blazz_tui.transport.local import LocalTransport


def now_stamp(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + offset))


def logs(directory: Path, *files: str, tail: int = 256 * 1024) -> LogsSource:
    return LogsSource(LogsConfig(files=files or ("*.log",), tail_bytes=tail),
                      LocalTransport(), str(directory))


async def test_laravel_lines_are_parsed_and_stack_traces_folded(tmp_path: Path) -> None:
    (tmp_path / "laravel.log").write_text(
        f"[{now_stamp()}] production.ERROR: Send failed {{\"account\":1}}\n"
        "[stacktrace]\n#0 /www/app/Services/Send.php(42): send()\n#1 {main}\n"
        f"[{now_stamp()}] production.INFO: Session rediscovered\n")
    reading = await logs(tmp_path).read()
    first, second = reading.entries
    assert (first.level, first.environment, first.message) == (
        "ERROR", "production", 'Send failed {"account":1}')
    assert first.detail == ("[stacktrace]", "#0 /www/app/Services/Send.php(42): send()",
                            "#1 {main}")
    assert (second.level, second.message) == ("INFO", "Session rediscovered")


async def test_only_new_lines_are_read_after_the_first_poll(tmp_path: Path) -> None:
    path = tmp_path / "laravel.log"
    path.write_text(f"[{now_stamp()}] local.INFO: one\n")
    src = logs(tmp_path)
    await src.read()
    with path.open("a") as f:
        f.write(f"[{now_stamp()}] local.INFO: two\n")
    assert [e.message for e in (await src.read()).entries] == ["one", "two"]


async def test_a_partial_line_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "laravel.log"
    path.write_text(f"[{now_stamp()}] local.INFO: hal")
    src = logs(tmp_path)
    assert (await src.read()).entries == ()
    with path.open("a") as f:
        f.write("f done\n")
    assert [e.message for e in (await src.read()).entries] == ["half done"]


async def test_first_read_only_tails_the_end_of_a_big_file(tmp_path: Path) -> None:
    path = tmp_path / "laravel.log"
    with path.open("w") as f:
        for i in range(20_000):
            f.write(f"[{now_stamp()}] local.INFO: line {i}\n")
    reading = await logs(tmp_path, tail=4096).read()
    assert 0 < len(reading.entries) < 100
    assert reading.entries[-1].message == "line 19999"
    assert reading.entries[0].message.startswith("line ")  # never a cut first line


async def test_rotation_starts_the_new_file_from_the_beginning(tmp_path: Path) -> None:
    path = tmp_path / "laravel.log"
    path.write_text(f"[{now_stamp()}] local.INFO: old\n")
    src = logs(tmp_path)
    await src.read()
    os.rename(path, tmp_path / "laravel.log.1")
    path.write_text(f"[{now_stamp()}] local.INFO: new\n")
    messages = [e.message for e in (await src.read()).entries]
    assert messages[-1] == "new"


async def test_truncation_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "laravel.log"
    path.write_text(f"[{now_stamp()}] local.INFO: a long first line before truncation\n")
    src = logs(tmp_path)
    await src.read()
    path.write_text(f"[{now_stamp()}] local.INFO: after\n")
    assert (await src.read()).entries[-1].message == "after"


async def test_invalid_utf8_and_very_long_lines_do_not_break_reading(tmp_path: Path) -> None:
    path = tmp_path / "worker.log"
    path.write_bytes(b"bad \xff\xfe bytes\n" + b"x" * 1_000_000 + b"\nafter\n")
    reading = await logs(tmp_path, tail=2_000_000).read()
    messages = [e.message for e in reading.entries]
    assert messages[0] == "bad \ufffd\ufffd bytes"
    assert messages[1].endswith("…[cut]") and len(messages[1]) < 20_000
    assert messages[2] == "after"


async def test_errors_in_the_last_minute_are_counted(tmp_path: Path) -> None:
    (tmp_path / "laravel.log").write_text(
        f"[{now_stamp(-600)}] local.ERROR: old\n"
        f"[{now_stamp(-5)}] local.ERROR: recent\n"
        f"[{now_stamp(-3)}] local.CRITICAL: recent too\n"
        f"[{now_stamp(-2)}] local.WARNING: not an error\n")
    assert (await logs(tmp_path).read()).errors_last_minute == 2


async def test_errors_of_supervisord_node_and_plain_logs_are_counted_too(tmp_path: Path) -> None:
    iso = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 2))
    (tmp_path / "supervisord.log").write_text(
        f"{now_stamp(-4)},123 CRIT reaped unknown pid 4242\n"
        f"{now_stamp(-4)},124 INFO success: blazz-reverb entered RUNNING state\n"
        f"{now_stamp(-3)},125 ERRO pool blazz-queue-default event buffer overflowed\n")
    (tmp_path / "whatsapp-service.log").write_text(
        '{"level":"error","message":"Session session_abc failed to restore"}\n'
        '{"level":60,"msg":"Puppeteer crashed"}\n'
        '{"level":30,"msg":"Message sent"}\n'
        f"{iso} ERROR Redis connection lost\n"
        "[ERROR] Health check failed\n"
        "#0 a line that belongs to nothing\n")
    reading = await logs(tmp_path).read()
    counts = {Path(f.path).name: f.errors_last_minute for f in reading.files}
    assert counts == {"supervisord.log": 2, "whatsapp-service.log": 4}
    levels = [e.level for e in reading.entries if e.file.endswith("whatsapp-service.log")]
    assert levels == ["ERROR", "CRITICAL", "INFO", "ERROR", "ERROR", ""]


async def test_the_last_sync_line_is_found_with_its_counts(tmp_path: Path) -> None:
    (tmp_path / "laravel.log").write_text(
        f"[{now_stamp(-600)}] local.INFO: WhatsApp Instance URL Sync completed: 1 updated, "
        "2 verified\n"
        f"[{now_stamp(-60)}] local.INFO: WhatsApp Instance URL Sync completed: 3 updated, "
        "44 verified\n")
    sync = (await logs(tmp_path).read()).last_sync
    assert sync is not None and (sync.updated, sync.verified) == (3, 44)
    assert abs(time.time() - 60 - sync.at) < 2


async def test_a_sync_beyond_the_first_tail_is_found_by_searching_back(tmp_path: Path) -> None:
    path = tmp_path / "laravel.log"
    with path.open("w") as f:
        f.write(f"[{now_stamp(-240)}] local.INFO: WhatsApp Instance URL Sync completed: "
                "0 updated, 47 verified\n")
        for i in range(50_000):
            f.write(f"[{now_stamp()}] local.INFO: busy {i}\n")
    sync = (await logs(tmp_path, tail=8192).read()).last_sync
    assert sync is not None and sync.verified == 47


async def test_a_new_daily_file_is_picked_up_by_the_glob(tmp_path: Path) -> None:
    (tmp_path / "laravel-2026-11-24.log").write_text(f"[{now_stamp()}] local.INFO: monday\n")
    src = logs(tmp_path, "laravel-*.log")
    await src.read()
    (tmp_path / "laravel-2026-11-25.log").write_text(f"[{now_stamp()}] local.INFO: tuesday\n")
    reading = await src.read()
    assert [e.message for e in reading.entries][-1] == "tuesday"
    assert len(reading.files) == 2


async def test_a_missing_file_is_a_file_state_not_a_failure(tmp_path: Path) -> None:
    (tmp_path / "laravel.log").write_text(f"[{now_stamp()}] local.INFO: here\n")
    reading = await logs(tmp_path, "laravel.log", "queue-default.log").read()
    assert reading.error is None
    states = {Path(f.path).name: f.error for f in reading.files}
    assert states == {"laravel.log": None, "queue-default.log": "no such file"}


async def test_nothing_readable_is_an_error_reading(tmp_path: Path) -> None:
    reading = await logs(tmp_path, "nope.log").read()
    assert reading.error is not None and "no such file" in reading.error


async def test_a_line_repeated_in_one_file_hides_no_line_of_another(tmp_path: Path) -> None:
    from blazz_tui.widgets.logs_panel import _new_entries

    worker, app_log = tmp_path / "worker.log", tmp_path / "laravel.log"
    worker.write_text("Processing jobs...\n")
    app_log.write_text(f"[{now_stamp()}] production.INFO: started\n")
    src = logs(tmp_path)
    shown = list((await src.read()).entries)
    for n in range(3):  # the worker repeats its untimed line while the app logs errors
        with app_log.open("a") as f:
            f.write(f"[{now_stamp()}] production.ERROR: send failed {n}\n")
        with worker.open("a") as f:
            f.write("Processing jobs...\n")
        shown += _new_entries(shown, (await src.read()).entries)
    assert [e.message for e in shown if e.file == str(app_log)] == [
        "started", "send failed 0", "send failed 1", "send failed 2"]
    assert sum(1 for e in shown if e.message == "Processing jobs...") == 4


async def test_one_file_flooding_pushes_out_no_line_of_another(tmp_path: Path) -> None:
    from blazz_tui.sources.logs import KEEP

    (tmp_path / "laravel.log").write_text(f"[{now_stamp()}] production.ERROR: send failed\n")
    (tmp_path / "worker.log").write_text("Processing jobs...\n" * (KEEP + 500))
    entries = (await logs(tmp_path).read()).entries
    assert [e.message for e in entries if e.level == "ERROR"] == ["send failed"]


def owned_log_dir(tmp_path: Path, uid: int) -> Path:
    if os.geteuid() != 0:
        import pytest

        pytest.skip("giving a directory to another user needs root")
    directory = tmp_path / "logs"
    directory.mkdir()
    os.chown(directory, uid, uid)
    return directory


async def test_a_log_linked_to_a_file_its_directory_owner_does_not_own_is_not_read(
        tmp_path: Path) -> None:
    directory = owned_log_dir(tmp_path, 4321)
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n")
    secret.chmod(0o600)  # root's, as /etc/shadow
    (directory / "laravel.log").symlink_to(secret)
    reading = await logs(directory).read()
    [state] = reading.files
    assert state.error is not None and "not followed" in state.error
    assert f"a symbolic link to {secret}, owned by uid 0" in state.error
    assert not any("secret-hash" in e.message for e in reading.entries)


async def test_a_log_linked_within_its_owner_files_is_read(tmp_path: Path) -> None:
    directory = owned_log_dir(tmp_path, 4321)
    shared = tmp_path / "shared.log"
    shared.write_text(f"[{now_stamp()}] production.INFO: from the shared storage\n")
    os.chown(shared, 4321, 4321)
    (directory / "laravel.log").symlink_to(shared)
    reading = await logs(directory).read()
    assert [e.message for e in reading.entries] == ["from the shared storage"]


# -- the queue workers' own console lines (BLAZZ.md: Laravel 8 and Laravel 9+) --------------

def levels_and_messages(reading: LogsReading) -> list[tuple[str, str]]:
    return [(e.level, e.message) for e in reading.entries]


async def test_laravel_8_worker_lines_have_their_level_failed_being_an_error(
        tmp_path: Path) -> None:
    (tmp_path / "queue-default.log").write_text(
        f"[{now_stamp(-3)}][42] Processing: App\\Jobs\\SendWhatsAppMessage\n"
        f"[{now_stamp(-2)}][42] Processed:  App\\Jobs\\SendWhatsAppMessage\n"
        f"[{now_stamp(-1)}][43] Failed:     App\\Jobs\\FailingJob\n")
    assert levels_and_messages(await logs(tmp_path).read()) == [
        ("INFO", "Processing: App\\Jobs\\SendWhatsAppMessage"),
        ("INFO", "Processed: App\\Jobs\\SendWhatsAppMessage"),
        ("ERROR", "Failed: App\\Jobs\\FailingJob")]


async def test_a_laravel_8_worker_line_keeps_its_own_time(tmp_path: Path) -> None:
    (tmp_path / "queue-default.log").write_text(
        "[2025-11-22 10:00:00][43] Failed:     App\\Jobs\\FailingJob\n")
    [entry] = (await logs(tmp_path).read()).entries
    assert entry.time == 1763805600.0  # 2025-11-22 10:00:00 UTC


async def test_laravel_9_task_lines_have_their_level_fail_being_an_error(tmp_path: Path) -> None:
    (tmp_path / "queue-default.log").write_text(
        f"  {now_stamp(-3)} App\\Jobs\\SendWhatsAppMessage ............... RUNNING\n"
        f"  {now_stamp(-2)} App\\Jobs\\SendWhatsAppMessage ......... 27.44ms DONE\n"
        f"  {now_stamp(-1)} App\\Jobs\\FailingJob ............ 1s 204ms FAIL\n")
    assert levels_and_messages(await logs(tmp_path).read()) == [
        ("INFO", "App\\Jobs\\SendWhatsAppMessage RUNNING"),
        ("INFO", "App\\Jobs\\SendWhatsAppMessage 27.44ms DONE"),
        ("ERROR", "App\\Jobs\\FailingJob 1s 204ms FAIL")]


async def test_laravel_9_component_lines_take_their_level_from_the_tag(tmp_path: Path) -> None:
    (tmp_path / "queue-default.log").write_text(
        "   INFO  Processing jobs from the [default] queue.\n"
        "\n"
        "   WARN  Queue connection [database] is slow.\n"
        "   ERROR  Worker cannot boot: connection refused.\n")
    assert levels_and_messages(await logs(tmp_path).read()) == [
        ("INFO", "Processing jobs from the [default] queue."),
        ("WARNING", "Queue connection [database] is slow."),
        ("ERROR", "Worker cannot boot: connection refused.")]


async def test_worker_errors_count_in_the_last_minute_by_their_own_time(tmp_path: Path) -> None:
    (tmp_path / "queue-default.log").write_text(
        f"[{now_stamp(-600)}][41] Failed:     App\\Jobs\\FailingJob\n"
        f"[{now_stamp(-2)}][43] Failed:     App\\Jobs\\FailingJob\n"
        f"  {now_stamp(-900)} App\\Jobs\\FailingJob ............ 3.10ms FAIL\n"
        f"  {now_stamp(-1)} App\\Jobs\\FailingJob ............ 3.10ms FAIL\n"
        "   ERROR  Worker cannot boot: connection refused.\n")
    assert (await logs(tmp_path).read()).errors_last_minute == 3


async def test_a_worker_line_after_a_laravel_error_is_not_taken_for_its_stack_trace(
        tmp_path: Path) -> None:
    (tmp_path / "worker.log").write_text(
        f"[{now_stamp()}] production.ERROR: FailingJob always fails\n"
        "#0 {main}\n"
        f"[{now_stamp()}][43] Failed:     App\\Jobs\\FailingJob\n")
    first, second = (await logs(tmp_path).read()).entries
    assert first.detail == ("#0 {main}",)
    assert (second.level, second.message) == ("ERROR", "Failed: App\\Jobs\\FailingJob")
