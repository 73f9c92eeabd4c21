"""Where an installation lives: its project folder, and the address it is reached at.

A configuration file's relative paths (``database.path``, ``cgi.directory``,
``handlers.directory``, ``server.cpu_ledger``, ``metrics.directory``, and the ``var/``
folders that follow the database) are relative to the *project folder*: the folder
holding ``config/`` when the file is ``…/config/smsreply.toml`` (the layout ``make run``
uses), else the file's own folder. So ``smsreply --config ~/sms/config/smsreply.toml
info`` run from anywhere finds ``~/sms/var/smsreply.db``, never a new database in the
current folder.

``server.base_url`` follows ``server.bind`` unless it is set: bind ``127.0.0.1:8081`` and
printed URLs, ``simulate-reply`` and the simulator's delivery reports use port 8081 too.
``base_url_mismatch`` words the warning when a base URL set by hand cannot reach the bind.

Example::

    project_folder("/srv/sms/config/smsreply.toml")   # Path("/srv/sms")
    base_url_for("0.0.0.0:8081", "http://127.0.0.1:8080")  # "http://127.0.0.1:8081"
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from urllib.parse import urlsplit

from .setting_values import bind_address

PATH_SETTINGS = (
    "database.path",
    "cgi.directory",
    "handlers.directory",
    "server.cpu_ledger",
    "metrics.directory",
)
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def settle(
    values: MutableMapping[str, object], explicit: set[str], config_path: object | None
) -> None:
    """Relative paths from the project folder; ``server.base_url`` following the bind."""
    if config_path is not None:
        resolve_paths(values, project_folder(config_path))
    if "server.base_url" not in explicit:
        values["server.base_url"] = base_url_for(
            str(values["server.bind"]), str(values["server.base_url"])
        )


def write_project_config(folder: Path) -> Path:
    """``config/smsreply.toml`` for a new installation in ``folder`` (``smsreply init``
    where none is found): later commands there find it, and the database beside it."""
    path = folder / "config" / "smsreply.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NEW_CONFIG, encoding="utf-8")
    return path


NEW_CONFIG = """\
# smsreply configuration, written by `smsreply init`. Every setting with its help:
# docs/configuration.md. Relative paths are relative to the folder holding config/.

[database]
# path = "var/smsreply.db"

[server]
# bind = "127.0.0.1:8080"
"""


def project_folder(config_path: str | os.PathLike) -> Path:
    """The folder a configuration file's relative paths start from."""
    folder = Path(config_path).absolute().parent
    return folder.parent if folder.name == "config" else folder


def resolve_paths(values: MutableMapping[str, object], folder: Path) -> None:
    """Make the relative path settings absolute, from ``folder``."""
    for name in PATH_SETTINGS:
        value = str(values[name])
        if value and not Path(value).is_absolute():
            values[name] = str(folder / value)


def base_url_for(bind: str, default: str) -> str:
    """The URL that reaches a server listening on ``bind`` (``default`` for a socket file)."""
    host, port = bind_address(bind)
    if not port:  # unix:PATH, or port 0 (chosen at start): nothing to follow
        return default
    host = _WILDCARDS.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def base_url_mismatch(settings: Mapping[str, object]) -> str | None:
    """A warning when ``server.base_url`` cannot reach this server's ``server.bind``.

    None behind a trusted proxy (``server.proxy_hops``): the base URL is then the proxy's."""
    bind, base = str(settings["server.bind"]), str(settings["server.base_url"])
    host, port = bind_address(bind)
    if settings["server.proxy_hops"] or not port:
        return None
    url = urlsplit(base)
    try:
        base_port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError:
        base_port = None
    base_host = url.hostname or ""
    same_host = host in _WILDCARDS or base_host == host or {base_host, host} <= _LOOPBACK
    if base_port == port and same_host:
        return None
    return (
        f"server.base_url = {base} does not reach server.bind = {bind}: callback URLs, "
        "simulate-reply and the simulator's delivery reports go to the former. Leave "
        "server.base_url unset to follow server.bind, or set it to this server's address"
    )
