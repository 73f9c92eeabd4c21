"""Jasmin and what it needs, as processes on free loopback ports: RabbitMQ (with its own
epmd), Redis, and Jasmin's four daemons, all configured here, stopped by process group.

``install()`` brings what is missing, the first time: Debian's ``rabbitmq-server`` and
``redis-server`` (``apt-get``; the services Debian may start are stopped: the bench starts
its own), and Jasmin (PyPI ``jasmin``, ``VERSION``) in a virtualenv of its own under
``var/jasmin-venv`` — Twisted and its other dependencies stay out of smsreply's.

``JasminBoxes(directory)`` writes one ``jasmin.cfg`` for the four daemons (every port on
127.0.0.1, every log at WARNING, as smsreply and Kannel log in the bench), starts epmd,
RabbitMQ and Redis, then ``jasmind.py`` (router, SMPP client connectors, HTTP API, jCli),
``deliversmd.py`` (MO to HTTP connectors), ``dlrlookupd.py`` and ``dlrd.py``, and waits for
jCli and the HTTP API. Each runs in its own process group; ``usage()`` gives the CPU of
each group (its processes and their reaped children) by part.

Example::

    with JasminBoxes(tmp / "jasmin") as boxes:
        boxes.ports["jcli"], boxes.ports["http"]
        boxes.usage()  # {"jasmin": Usage, "rabbitmq": Usage, "redis": Usage}
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from testkit.gunicorn import ROOT, Usage
from testkit.ports import free_port

VERSION = "0.11.1"
VENV = ROOT / "var" / "jasmin-venv"
RABBITMQ = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
AMQP_SPEC = next(
    (VENV / "lib").glob("python3*/site-packages/txamqp/specs/standard/amqp0-9-1.stripped.xml"),
    None,
)
DEBIAN = ("rabbitmq-server", "redis-server")
DAEMONS = ("jasmind.py", "deliversmd.py", "dlrlookupd.py", "dlrd.py")
JCLI_USER, JCLI_PASSWORD = "jcliadmin", "jclipwd"  # Jasmin's defaults
PARTS = {"epmd": "rabbitmq", "rabbitmq": "rabbitmq", "redis": "redis"}


def installed() -> bool:
    programs = (RABBITMQ, VENV / "bin" / "jasmind.py")
    return all(path.exists() for path in programs) and shutil.which("redis-server") is not None


def install(say=print) -> None:
    """Debian's RabbitMQ and Redis, and Jasmin in its own virtualenv, when missing."""
    if not RABBITMQ.exists() or shutil.which("redis-server") is None:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise RuntimeError("rabbitmq-server and redis-server are missing (need root + apt)")
        say("jasmin peer: apt-get install rabbitmq-server redis-server")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=900", *DEBIAN],
            check=True, env=env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        # Debian may start them as services: the bench runs its own.
        for service in DEBIAN if shutil.which("service") else ():
            subprocess.run(["service", service, "stop"], check=False, capture_output=True)
    if not (VENV / "bin" / "jasmind.py").exists():
        say(f"jasmin peer: pip install jasmin=={VERSION} into {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, f"jasmin=={VERSION}"], check=True)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stats(groups: set[int]) -> list[list[str]]:
    """The ``/proc/<pid>/stat`` fields (after the name) of the processes in ``groups``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in groups:  # pgrp
                found.append(fields)
    return found


def group_usage(leaders: list[int]) -> Usage:
    """CPU of every process in the groups ``leaders`` lead (and their reaped children)."""
    tick, found = os.sysconf("SC_CLK_TCK"), _stats(set(leaders))
    cpu = sum(int(value) for fields in found for value in fields[11:15]) / tick
    reaped = sum(int(value) for fields in found for value in fields[13:15]) / tick
    return Usage(cpu, 0.0, reaped)


class JasminBoxes:
    def __init__(self, directory: Path, log_level: str = "WARNING") -> None:
        self.dir, self.log_level = Path(directory), log_level
        for folder in ("etc/jasmin/store", "var/log/jasmin", "rabbitmq"):
            (self.dir / folder).mkdir(parents=True, exist_ok=True)
        names = ("amqp", "dist", "epmd", "redis", "router", "manager", "jcli", "http", "smpp")
        self.ports = {name: free_port() for name in (*names, "smpp_pb")}
        self.processes: dict[str, subprocess.Popen] = {}

    def config(self) -> str:
        p = self.ports
        sections = {
            # pip's jasmin ships no AMQP spec (Debian's package does): txamqp's own.
            "amqp-broker": f"host = 127.0.0.1\nport = {p['amqp']}\nspec = {AMQP_SPEC}",
            "redis-client": f"host = 127.0.0.1\nport = {p['redis']}",
            "router": f"bind = 127.0.0.1\nport = {p['router']}",
            "client-management": f"bind = 127.0.0.1\nport = {p['manager']}",
            "jcli": f"bind = 127.0.0.1\nport = {p['jcli']}",
            "http-api": f"bind = 127.0.0.1\nport = {p['http']}",
            "smpp-server": f"bind = 127.0.0.1\nport = {p['smpp']}",
            "smpp-server-pb": f"bind = 127.0.0.1\nport = {p['smpp_pb']}",
            "smpp-server-pb-client": f"host = 127.0.0.1\nport = {p['smpp_pb']}",
            "deliversm-thrower": "",
            "dlr-thrower": "",
            "dlr": "",
            "sm-listener": "",
            "service-smppclient": "",
        }
        return "".join(
            f"[{name}]\n{body}\nlog_level = {self.log_level}\n\n" for name, body in sections.items()
        )

    def _spawn(self, name: str, argv: list[str], env: dict | None = None) -> None:
        with (self.dir / f"{name}.out").open("ab") as output:
            self.processes[name] = subprocess.Popen(
                argv, cwd=self.dir, stdout=output, stderr=output,
                env={**os.environ, **(env or {})}, start_new_session=True,
            )  # fmt: skip

    def _wait(self, port: int, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not _listening(port):
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen within {timeout:.0f} s:\n{self.logs()}")
            time.sleep(0.2)

    def start(self, timeout: float = 90.0) -> JasminBoxes:
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        p, rabbit = self.ports, self.dir / "rabbitmq"
        (rabbit / "enabled_plugins").write_text("[].\n")
        self._spawn("epmd", ["epmd", "-port", str(p["epmd"]), "-address", "127.0.0.1"])
        self._spawn("rabbitmq", [str(RABBITMQ)], {
            "HOME": str(rabbit), "ERL_EPMD_PORT": str(p["epmd"]),
            "RABBITMQ_NODENAME": f"bench{p['amqp']}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(p["amqp"]),
            "RABBITMQ_DIST_PORT": str(p["dist"]),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "RABBITMQ_MNESIA_BASE": str(rabbit / "mnesia"), "RABBITMQ_LOG_BASE": str(rabbit),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(rabbit / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(rabbit / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(rabbit / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(rabbit / "env.conf"),
        })  # fmt: skip
        redis = ["redis-server", "--port", str(p["redis"]), "--bind", "127.0.0.1"]
        self._spawn("redis", [*redis, "--save", "", "--dir", str(self.dir)])
        self._wait(p["redis"], "Redis", timeout)
        self._wait(p["amqp"], "RabbitMQ", timeout)
        conf = self.dir / "etc" / "jasmin" / "jasmin.cfg"
        conf.write_text(self.config())
        env = {"ROOT_PATH": str(self.dir), "PYTHONUNBUFFERED": "1"}
        python = str(VENV / "bin" / "python")
        for daemon in DAEMONS:
            argv = [python, str(VENV / "bin" / daemon), "-c", str(conf)]
            if daemon != "jasmind.py":  # a lock file named by id in /tmp: ours apart
                argv += ["--id", f"bench{p['amqp']}"]
            self._spawn(daemon.removesuffix(".py"), argv, env)
            if daemon == "jasmind.py":
                self._wait(p["jcli"], "jCli", timeout)
                self._wait(p["http"], "Jasmin's HTTP API", timeout)

    def logs(self, tail: int = 2000) -> str:
        found = sorted(self.dir.glob("*.out")) + sorted((self.dir / "var/log/jasmin").glob("*"))
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}"
            for path in found
            if path.is_file()
        )

    def usage(self) -> dict[str, Usage]:
        """CPU by part: ``jasmin`` (its four daemons), ``rabbitmq`` (with epmd), ``redis``."""
        leaders: dict[str, list[int]] = {}
        for name, process in self.processes.items():
            leaders.setdefault(PARTS.get(name, "jasmin"), []).append(process.pid)
        return {part: group_usage(pids) for part, pids in leaders.items()}

    def stop(self) -> None:
        """Jasmin's daemons first, then Redis, RabbitMQ, epmd: TERM each group, KILL
        what outlives 15 s."""
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            self._signal(process, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.wait()
            if _stats({process.pid}):  # members left: the group (and its id) is still ours
                self._signal(process, signal.SIGKILL)
        self.processes.clear()

    @staticmethod
    def _signal(process: subprocess.Popen, number: int) -> None:
        if process.poll() is not None and not _stats({process.pid}):
            return  # the group is gone: its id may be someone else's by now
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, number)  # its group: ours, started with a new session

    def __enter__(self) -> JasminBoxes:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
