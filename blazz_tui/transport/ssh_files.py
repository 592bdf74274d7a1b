"""What the SSH transport reads from ``~/.ssh`` itself, with OpenSSH's meaning:

- ``known_hosts``, looked up as OpenSSH looks it up: for a port other than 22, only the
  ``[host]:port`` names. asyncssh falls back to the bare host, so an entry written for port 22
  would vouch for a server on any port of that host.
- ``config``'s ``Include`` lines, followed to find a loop before asyncssh follows it for ever
  (a ``RecursionError``). OpenSSH refuses such a config too.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncssh

DEFAULT_PORT = 22
_INCLUDE = re.compile(r"\s*include(?:\s*=\s*|\s+)(\S.*)", re.IGNORECASE)


def known_hosts_name(host: str, port: int | None) -> str:
    """The host's name in known_hosts: ``host`` on port 22, ``[host]:port`` on another."""
    return host if port in (None, DEFAULT_PORT) else f"[{host}]:{port}"


class KnownHosts(asyncssh.SSHKnownHosts):
    """A known_hosts file (none yet: every host is unknown, never "no checking")."""

    def __init__(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        super().__init__(text)
        self.path = path
        self.looked_up: tuple[str, list[asyncssh.SSHKey]] | None = None
        """The last host asked for, by its known_hosts name, and the host keys held for it."""

    def match(self, host: str, addr: str, port: int | None) -> Any:
        found: tuple[Sequence[Any], ...]
        if port in (None, DEFAULT_PORT):
            found = super().match(host, addr, None)
        else:
            # Asked with the port already in the name and none apart, asyncssh compares the
            # names as they are (plain, pattern or hashed) and does not fall back.
            names = dict.fromkeys(known_hosts_name(n, port) for n in (host, addr) if n)
            each = [super(KnownHosts, self).match(name, "", None) for name in names] \
                or [super().match("", "", None)]
            found = tuple([k for one in part for k in one] for part in zip(*each, strict=True))
        self.looked_up = (known_hosts_name(host, port), list(found[0]))
        return found


class IncludeLoop(Exception):
    """``~/.ssh/config`` leads back to a file it is read from."""

    def __init__(self, chain: list[Path]) -> None:
        self.chain = chain
        loop = " → ".join(_short(p, chain[0].parent) for p in chain)
        super().__init__(f"{chain[0]} includes itself (an Include loop: {loop}) — remove the "
                         f"Include that closes it; nothing was connected or changed")


def _short(path: Path, beside: Path) -> str:
    return path.name if path.parent == beside else str(path)


def check_includes(config: Path, ssh_dir: Path) -> None:
    """Raise ``IncludeLoop`` if ``config``'s Include lines lead back to a file on the way."""
    if config.is_file():
        chain = _loop([config.resolve()], ssh_dir)
        if chain is not None:
            raise IncludeLoop(chain)


def _loop(chain: list[Path], ssh_dir: Path) -> list[Path] | None:
    """The first Include path from the end of ``chain`` back onto it, depth first."""
    for child in _included(chain[-1], ssh_dir):
        if child in chain:
            return [*chain[chain.index(child):], child]
        found = _loop([*chain, child], ssh_dir)
        if found is not None:
            return found
    return None


def _included(path: Path, ssh_dir: Path) -> list[Path]:
    """The files ``path`` includes, in order, resolved as asyncssh resolves them: ``~``
    expanded, a relative pattern under ``~/.ssh``, globs matched (files only)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    files: list[Path] = []
    for line in lines:
        include = _INCLUDE.match(line)
        if include is None:
            continue
        try:
            patterns = shlex.split(include.group(1))
        except ValueError:
            continue  # asyncssh reports the bad line itself
        for pattern in patterns:
            files.extend(_glob(pattern, ssh_dir))
    return files


def _glob(pattern: str, ssh_dir: Path) -> list[Path]:
    path = Path(pattern).expanduser()
    base, rest = (Path(path.anchor), str(Path(*path.parts[1:]))) if path.anchor \
        else (ssh_dir, pattern)
    if rest in ("", "."):
        return []
    return sorted(p.resolve() for p in base.glob(rest) if p.is_file())
