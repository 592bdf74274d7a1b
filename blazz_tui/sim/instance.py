"""A simulated WhatsApp-service instance: a real HTTP server speaking the Node service's API.

``python -m blazz_tui.sim.instance --port 3001 --name wa-3001 --state-dir DIR [--api-key K]``

- ``GET /health`` (open), ``GET /health/sessions``, ``GET /session/{id}/status``,
  ``POST /api/sessions``, ``DELETE /api/sessions/{id}`` (a logout: the auth is removed),
  ``POST /api/sessions/{id}/stop`` (ends it here, keeps the auth), ``GET /api/sessions/status``,
  ``GET /metrics``, ``POST /api/messages/send``; every route but ``/health`` wants
  ``X-Api-Key`` when a key is set.
- Hosted sessions are kept in ``DIR/<name>.json`` and their auth in the shared
  ``DIR/auth.json`` (as RemoteAuth keeps it in Redis), so sessions survive a restart and a
  session created on another instance restores here: INITIALIZING, then CONNECTED after
  ``--restore-delay`` seconds. A session without auth needs a QR scan (QR_REQUIRED).
- Faults without a restart: ``DIR/<name>.fault.json`` — ``{"mode": "slow", "delay": 5}``,
  ``{"mode": "garbage"}``, ``{"mode": "error"}`` — read on every request.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_SESSION_STATUS = re.compile(r"^/session/([^/]+)/status$")
_SESSION = re.compile(r"^/api/sessions/([^/]+)$")
_SESSION_STOP = re.compile(r"^/api/sessions/([^/]+)/stop$")


class InstanceState:
    """Sessions hosted by this instance, persisted; thread-safe."""

    def __init__(self, name: str, state_dir: Path, max_sessions: int,
                 restore_delay: float) -> None:
        self.name = name
        self.dir = state_dir
        self.max_sessions = max_sessions
        self.restore_delay = restore_delay
        self.started = time.time()
        self.messages_sent = 0
        self.messages_failed = 0
        self.send_seconds = 0.0
        """Seconds the sent messages took, all told (a Prometheus summary's _sum)."""
        self._lock = threading.Lock()
        self._hosted: dict[str, dict[str, Any]] = {}
        """session id → {"accountUuid", "readyAt"}."""
        for sid, info in _read_json(self._hosted_path).items():
            self._hosted[sid] = {"accountUuid": info.get("accountUuid"),
                                 "readyAt": self.started + restore_delay}

    @property
    def _hosted_path(self) -> Path:
        return self.dir / f"{self.name}.json"

    @property
    def _auth_path(self) -> Path:
        return self.dir / "auth.json"

    def status_of(self, sid: str, now: float) -> str | None:
        info = self._hosted.get(sid)
        if info is None:
            return None
        if sid not in _read_json(self._auth_path):
            return "QR_REQUIRED"
        return "CONNECTED" if now >= info["readyAt"] else "INITIALIZING"

    def sessions(self) -> list[dict[str, Any]]:
        now = time.time()
        with self._lock:
            auth = _read_json(self._auth_path)
            return [{"sessionId": sid, "accountUuid": info.get("accountUuid"),
                     "status": ("QR_REQUIRED" if sid not in auth else
                                "CONNECTED" if now >= info["readyAt"] else "INITIALIZING")}
                    for sid, info in self._hosted.items()]

    def create(self, sid: str, account: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if sid in self._hosted:
                return 200, {"sessionId": sid, "status": self.status_of(sid, time.time())}
            if len(self._hosted) >= self.max_sessions:
                return 507, {"error": f"instance at capacity ({self.max_sessions} sessions)"}
            auth = _read_json(self._auth_path)
            delay = self.restore_delay if sid in auth else self.restore_delay / 2
            auth[sid] = {"accountUuid": account, "instance": self.name}
            _write_json(self._auth_path, auth)
            self._hosted[sid] = {"accountUuid": account, "readyAt": time.time() + delay}
            self._save()
            return 201, {"sessionId": sid, "status": "INITIALIZING"}

    def delete(self, sid: str) -> bool:
        with self._lock:
            if self._hosted.pop(sid, None) is None:
                return False
            auth = _read_json(self._auth_path)
            auth.pop(sid, None)  # a deleted session is logged out: it needs a new QR scan
            _write_json(self._auth_path, auth)
            self._save()
            return True

    def stop(self, sid: str) -> bool:
        """End the session here and keep its stored auth (RemoteAuth's ``destroy()``): it
        restores on whichever instance starts it next, without a QR scan."""
        with self._lock:
            if self._hosted.pop(sid, None) is None:
                return False
            self._save()
            return True

    def _save(self) -> None:
        _write_json(self._hosted_path, {sid: {"accountUuid": info.get("accountUuid")}
                                        for sid, info in self._hosted.items()})

    def fault(self) -> dict[str, Any]:
        return _read_json(self.dir / f"{self.name}.fault.json")

    def send(self) -> float | None:
        """One message handed to WhatsApp: its send time, or None when it failed. Sends take
        30-90 ms and fail 0.2 % of the time, slower or more often under ``sim fault
        slow-sends`` / ``fail-sends`` (every instance: ``sends.fault.json``)."""
        fault = _read_json(self.dir / "sends.fault.json")
        seconds = random.uniform(0.03, 0.09) + float(fault.get("delay_ms", 0)) / 1000
        time.sleep(seconds)
        failed = random.random() * 100 < 0.2 + float(fault.get("fail_pct", 0))
        with self._lock:
            if failed:
                self.messages_failed += 1
                return None
            self.messages_sent += 1
            self.send_seconds += seconds
        return seconds


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


class Handler(BaseHTTPRequestHandler):
    state: InstanceState
    api_key: str | None
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle's algorithm a kept-alive connection waits
    # for the client's delayed ACK (40 ms). Node's http server sets noDelay, as this does.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.path.startswith(("/health", "/metrics", "/api/messages/send")):
            return  # probes (ours included) and every send would drown the service's own log
        print(f"[{self.state.name}] {self.command} {self.path} {args[1] if len(args) > 1 else ''}",
              flush=True)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        fault = self.state.fault()
        if fault.get("mode") == "slow":
            time.sleep(float(fault.get("delay", 5)))
        elif fault.get("mode") == "garbage":
            return self._send(200, b"<html><body>502 Bad Gateway</body></html>\x00\xff",
                              "text/html")
        elif fault.get("mode") == "error":
            return self._json(500, {"error": "simulated failure"})
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if path == "/health" and method == "GET":
            return self._json(200, self._health())
        if self.api_key and self.headers.get("X-Api-Key") != self.api_key:
            return self._json(401, {"error": "invalid or missing X-Api-Key"})
        if method == "GET" and path == "/health/sessions":
            return self._json(200, {"instanceId": self.state.name,
                                    "sessions": self.state.sessions()})
        if method == "GET" and path == "/api/sessions/status":
            return self._json(200, {"sessions": self.state.sessions()})
        if method == "GET" and path == "/metrics":
            return self._metrics()
        match = _SESSION_STATUS.match(path)
        if method == "GET" and match:
            status = self.state.status_of(match.group(1), time.time())
            return self._json(200 if status else 404,
                              {"sessionId": match.group(1), "status": status or "NOT_FOUND"})
        if method == "POST" and path == "/api/sessions":
            body = self._body()
            sid = body.get("sessionId") or body.get("session_id")
            if not sid:
                return self._json(422, {"error": "sessionId is required"})
            code, answer = self.state.create(str(sid), body.get("accountUuid"))
            return self._json(code, answer)
        match = _SESSION_STOP.match(path)
        if method == "POST" and match:
            stopped = self.state.stop(match.group(1))
            return self._json(200 if stopped else 404, {"stopped": stopped, "authKept": True})
        match = _SESSION.match(path)
        if method == "DELETE" and match:
            deleted = self.state.delete(match.group(1))
            return self._json(200 if deleted else 404, {"deleted": deleted})
        if method == "POST" and path == "/api/messages/send":
            body = self._body()
            sid = str(body.get("sessionId", ""))
            if self.state.status_of(sid, time.time()) != "CONNECTED":
                return self._json(404, {"error": f"session {sid} is not connected here"})
            took = self.state.send()
            if took is None:
                return self._json(502, {"error": "WhatsApp did not accept the message"})
            return self._json(200, {"sent": True, "instanceId": self.state.name,
                                    "seconds": round(took, 4)})
        return self._json(404, {"error": f"no route {method} {path}"})

    def _health(self) -> dict[str, Any]:
        sessions = self.state.sessions()
        return {"status": "healthy", "instanceId": self.state.name,
                "activeSessions": sum(1 for s in sessions if s["status"] == "CONNECTED"),
                "totalSessions": len(sessions), "maxSessions": self.state.max_sessions,
                "uptime": round(time.time() - self.state.started, 1),
                "memory": {"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}

    def _metrics(self) -> None:
        health = self._health()
        text = (f"whatsapp_sessions_active {health['activeSessions']}\n"
                f"whatsapp_sessions_total {health['totalSessions']}\n"
                f"whatsapp_messages_sent_total {self.state.messages_sent}\n"
                f"whatsapp_messages_failed_total {self.state.messages_failed}\n"
                f"whatsapp_message_send_seconds_sum {self.state.send_seconds:.6f}\n"
                f"whatsapp_message_send_seconds_count {self.state.messages_sent}\n"
                f"process_uptime_seconds {health['uptime']}\n")
        self._send(200, text.encode(), "text/plain; version=0.0.4")

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            data = json.loads(self.rfile.read(min(length, 1 << 20)) or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _json(self, code: int, data: dict[str, Any]) -> None:
        self._send(code, json.dumps(data).encode(), "application/json")

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(port: int, name: str, state_dir: Path, api_key: str | None, max_sessions: int,
          restore_delay: float, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    state_dir.mkdir(parents=True, exist_ok=True)
    handler = type("BoundHandler", (Handler,), {
        "state": InstanceState(name, state_dir, max_sessions, restore_delay),
        "api_key": api_key})
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blazz_tui.sim.instance")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--api-key")
    parser.add_argument("--max-sessions", type=int, default=300)
    parser.add_argument("--restore-delay", type=float, default=1.5)
    args = parser.parse_args(argv)
    server = serve(args.port, args.name, Path(args.state_dir), args.api_key,
                   args.max_sessions, args.restore_delay)
    print(f"[{args.name}] WhatsApp service listening on 127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
