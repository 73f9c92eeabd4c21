"""Jasmin's console, jCli, as a script speaks it: telnet on its port, a line, the prompt back.

jCli is a telnet session (Twisted's ``conch``): ``Authentication required.`` (the
``Username:`` prompt is not drawn before the terminal answers), ``Password:``, then the
``jcli : `` prompt, and ``> `` inside an ``-a`` (add) block until ``ok``. Telnet option
negotiations (IAC sequences) are skipped, never answered: jCli works without them.
``command`` returns what jCli printed and raises ``JCliError`` when it says it refused.

Example::

    with JCli(8990, "jcliadmin", "jclipwd") as jcli:
        jcli.block("smppccm -a", cid="smsc1", host="127.0.0.1", port=2775, ...)
        jcli.command("smppccm -1 smsc1")
"""

from __future__ import annotations

import contextlib
import re
import socket
import time

PROMPTS = (b"jcli : ", b"> ", b"Username: ", b"Password: ")
IAC = re.compile(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0|\xff[\xf0-\xfa]", re.DOTALL)
REFUSED = ("Unknown", "Error", "error", "Incorrect", "not ", "Cannot", "must", "Invalid")


class JCliError(RuntimeError):
    """jCli refused a command."""


class JCli:
    def __init__(self, port: int, username: str, password: str, timeout: float = 20.0) -> None:
        self.port, self.username, self.password, self.timeout = port, username, password, timeout
        self.sock: socket.socket | None = None

    def _read_prompt(self, prompts: tuple[bytes, ...] = PROMPTS) -> str:
        data = b""
        deadline = time.monotonic() + self.timeout
        while not IAC.sub(b"", data).rstrip(b"\r\n").endswith(prompts):
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            chunk = self.sock.recv(4096)
            if not chunk:
                raise JCliError(f"jCli closed the session after {data!r}")
            data += chunk
        return IAC.sub(b"", data).decode("utf-8", "replace").replace("\r", "")

    def _line(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        return self._read_prompt()

    def open(self) -> JCli:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self._read_prompt((b"Authentication required.",))  # the Username: prompt is not drawn
        self._line(self.username)
        welcome = self._line(self.password)
        if "Incorrect" in welcome:
            raise JCliError("jCli refused the credentials")
        return self

    def command(self, line: str) -> str:
        printed = self._line(line)
        answer = printed.split("\n", 1)[1] if "\n" in printed else ""  # the echo first
        if any(word in answer for word in REFUSED):
            raise JCliError(f"{line!r}: {answer.strip()}")
        return answer

    def block(self, opening: str, **values: object) -> str:
        """``opening`` (``user -a``…), one ``key value`` line each, then ``ok``."""
        self.command(opening)
        for key, value in values.items():
            self.command(f"{key} {value}")
        return self.command("ok")

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.sendall(b"quit\r\n")
            self.sock.close()
            self.sock = None

    def __enter__(self) -> JCli:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()
