"""How a setting's value is chosen (every setting is declared once, as data, in
``setting_list.py``).

A value comes from, in rising priority: the default declared there, the TOML config file
(the path in ``SMSREPLY_CONFIG``, else ``config/smsreply.toml`` in the current directory
when there is one), then an environment
variable ``SMSREPLY_<SECTION>_<KEY>`` (``reply.window_hours`` → ``SMSREPLY_REPLY_WINDOW_HOURS``).
An unknown key or a value of the wrong type stops start-up with a message naming the key.
Relative paths in a file are relative to its project folder, and ``server.base_url``
follows ``server.bind`` unless set (``smsreply/project.py``).

Example::

    settings = load_settings("config/smsreply.toml", env=os.environ)
    settings["reply.window_hours"]  # 48.0
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from .setting_list import DATABASE_LIMITS, SETTINGS, Setting


class ConfigError(ValueError):
    """A configuration value is unknown or invalid; the message names it."""


BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def _coerce(setting: Setting, value: object, origin: str) -> object:
    expected = type(setting.default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return value
    raise ConfigError(
        f"{origin}: {setting.name} must be {expected.__name__}, got {type(value).__name__} "
        f"{value!r}"
    )


def _from_env(setting: Setting, raw: str) -> object:
    expected = type(setting.default)
    origin = f"environment variable {setting.env_var}"
    try:
        if expected is bool:
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes"}
        if expected is int:
            return int(raw)
        if expected is float:
            return float(raw)
    except ValueError:
        raise ConfigError(
            f"{origin}: {setting.name} must be {expected.__name__}, got {raw!r}"
        ) from None
    return raw


def _flatten(data: Mapping[str, object], path: str) -> dict[str, object]:
    flat: dict[str, object] = {}
    for section, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: top-level key {section!r} must be a [section]")
        for key, value in values.items():
            flat[f"{section}.{key}"] = value
    return flat


def load_settings(
    config_path: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Return every setting's value: defaults, then the file, the env, then ``overrides``."""
    env = os.environ if env is None else env
    named = config_path if config_path is not None else env.get("SMSREPLY_CONFIG") or None
    # A file found here (config/smsreply.toml) has this folder as its project folder:
    # relative paths stay relative, so a caller's own project_dir still applies.
    config_path = named if named is not None else project_config()
    values = {setting.name: setting.default for setting in SETTINGS}
    explicit = set(overrides or {})
    if config_path is not None:
        path = Path(config_path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found (SMSREPLY_CONFIG)") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        for name, value in _flatten(data, str(path)).items():
            if name not in BY_NAME:
                raise ConfigError(f"{path}: unknown setting {name!r}")
            values[name] = _coerce(BY_NAME[name], value, str(path))
            explicit.add(name)
    for setting in SETTINGS:
        if setting.env_var in env:
            values[setting.name] = _from_env(setting, env[setting.env_var])
            explicit.add(setting.name)
    for name, value in (overrides or {}).items():
        if name not in BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(BY_NAME[name], value, "argument")
    _check(values)
    from .project import settle  # it uses ConfigError

    settle(values, explicit, named)
    return values


PROJECT_CONFIG = Path("config") / "smsreply.toml"


def project_config(directory: Path | None = None) -> Path | None:
    """``config/smsreply.toml`` of the project when run from its directory, else None.

    ``make run`` names it in ``SMSREPLY_CONFIG``; a second terminal in the same directory
    reads the same file without it, so the CLI and the server agree (same database, same
    base URL). Relative paths in it are relative to that directory."""
    path = (directory or Path.cwd()) / PROJECT_CONFIG
    return path if path.is_file() else None


def _check(values: Mapping[str, object]) -> None:
    from .setting_values import answer_types, bind_address, interpreters  # they use ConfigError

    positive = (
        "reply.window_hours",
        "worker.lease_seconds",
        "server.workers",
        "sms.rate_per_second",
        "campaign.max_recipients",
        "manager.session_hours",
        "cgi.timeout",
    )
    for name in positive:
        if values[name] <= 0:
            raise ConfigError(f"{name} must be greater than 0, got {values[name]!r}")
    for name in DATABASE_LIMITS:
        if values[name] < 0:
            raise ConfigError(f"{name} must be 0 (off) or more, got {values[name]!r}")
    if not 1 <= values["sms.max_parts"] <= 255:
        raise ConfigError(
            "sms.max_parts must be greater than 0 and at most 255 (a concatenated SMS "
            f"has at most 255 parts), got {values['sms.max_parts']!r}"
        )
    if not 0.0 <= values["simulator.failure_rate"] <= 1.0:
        raise ConfigError(
            f"simulator.failure_rate must be 0.0 to 1.0, got {values['simulator.failure_rate']!r}"
        )
    bind_address(values["server.bind"])
    interpreters(values["cgi.interpreters"])
    answer_types(values["cgi.answer_types"])

    if not 10000 <= values["sms.shortcode_min"] <= values["sms.shortcode_max"] <= 99999:
        raise ConfigError("sms.shortcode_min/max must be 5-digit numbers with min <= max")
    if not 0 <= values["server.proxy_hops"] <= 5:
        raise ConfigError(f"server.proxy_hops must be 0 to 5, got {values['server.proxy_hops']!r}")
    if values["smtp.security"] not in {"none", "starttls", "tls"}:
        raise ConfigError(
            f"smtp.security must be none, starttls or tls, got {values['smtp.security']!r}"
        )
    if values["credits.alert_below"] < 0:
        raise ConfigError("credits.alert_below must be 0 (off) or more")
    if values["credits.alert_below"] and "@" not in values["credits.alert_email"]:
        raise ConfigError("credits.alert_below needs credits.alert_email: who gets the e-mail")
    if values["log.format"] not in {"text", "json"}:
        raise ConfigError(f"log.format must be text or json, got {values['log.format']!r}")
    if values["log.level"] not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(
            f"log.level must be DEBUG, INFO, WARNING or ERROR, got {values['log.level']!r}"
        )
