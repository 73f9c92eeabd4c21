"""Settings: defaults, the TOML file, environment variables, and clear errors."""

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from smsreply.settings import SETTINGS, ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_without_file_or_env():
    values = load_settings(None, env={})
    assert values["reply.window_hours"] == 48.0
    assert values["provider.name"] == "simulator"


def test_file_then_env_override(tmp_path):
    config = tmp_path / "smsreply.toml"
    config.write_text("[reply]\nwindow_hours = 24\n[sms]\nmax_parts = 3\n")
    values = load_settings(config, env={"SMSREPLY_SMS_MAX_PARTS": "4"})
    assert values["reply.window_hours"] == 24.0
    assert values["sms.max_parts"] == 4


def test_config_path_from_env(tmp_path):
    config = tmp_path / "other.toml"
    config.write_text('[provider]\nname = "simulator"\n[log]\nlevel = "DEBUG"\n')
    assert load_settings(env={"SMSREPLY_CONFIG": str(config)})["log.level"] == "DEBUG"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[reply]\nwindow_hourz = 3\n", "unknown setting 'reply.window_hourz'"),
        ('[reply]\nwindow_hours = "soon"\n', "reply.window_hours must be float"),
        ("[sms]\nmax_parts = true\n", "sms.max_parts must be int"),
        ("window_hours = 3\n", "must be a \\[section\\]"),
        ("[reply\n", "not valid TOML"),
        ("[sms]\nmax_parts = 0\n", "sms.max_parts must be greater than 0"),
    ],
)
def test_bad_file_names_the_key(tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, env={})


def test_bad_env_value_names_the_variable():
    with pytest.raises(ConfigError, match="SMSREPLY_SMS_MAX_PARTS"):
        load_settings(None, env={"SMSREPLY_SMS_MAX_PARTS": "many"})


def test_missing_config_file_is_clear(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_every_setting_is_in_the_shipped_config_and_the_docs():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    shipped = (root / "config" / "smsreply.toml").read_text()
    docs = (root / "docs" / "configuration.md").read_text()
    for setting in SETTINGS:
        section, key = setting.name.split(".")
        assert f"[{section}]" in shipped and f"# {key} = " in shipped, setting.name
        assert setting.env_var in shipped, setting.name
        assert f"`{setting.name}`" in docs and setting.env_var in docs, setting.name


def test_shipped_config_loads():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    assert load_settings(root / "config" / "smsreply.toml", env={})["sms.max_parts"] == 6


def test_the_project_config_is_found_without_the_variable(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "smsreply.toml").write_text('[server]\nbase_url = "http://sms:9000"\n')
    monkeypatch.chdir(tmp_path)
    assert load_settings(env={})["server.base_url"] == "http://sms:9000"
    other = tmp_path / "other.toml"
    other.write_text('[server]\nbase_url = "http://other:1"\n')
    assert load_settings(env={"SMSREPLY_CONFIG": str(other)})["server.base_url"] == "http://other:1"


def test_the_cli_and_the_server_agree_from_a_second_terminal(tmp_path):
    """`smsreply info` in the project directory, without SMSREPLY_CONFIG, as a new shell."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "smsreply.toml").write_text(
        '[server]\nbase_url = "http://127.0.0.1:8099"\n[database]\npath = "data/x.db"\n'
    )
    env = {"PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "smsreply.cli", "init"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    info = subprocess.run(
        [sys.executable, "-m", "smsreply.cli", "info", "--json"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(info.stdout)["reply_callback_url"].startswith("http://127.0.0.1:8099/")
    assert (tmp_path / "data" / "x.db").exists()


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("SMSREPLY_CGI_TIMEOUT", "0", "cgi.timeout must be greater than 0"),
        ("SMSREPLY_CGI_TIMEOUT", "-1", "cgi.timeout must be greater than 0"),
        ("SMSREPLY_SMS_MAX_PARTS", "256", "sms.max_parts must be greater than 0 and at most 255"),
        ("SMSREPLY_SERVER_BIND", "8080", "server.bind must be host:port"),
        ("SMSREPLY_SERVER_BIND", "localhost:http", "server.bind must be host:port"),
        ("SMSREPLY_SERVER_BIND", "127.0.0.1:70000", "server.bind must be host:port"),
        ("SMSREPLY_CGI_INTERPRETERS", '{"php": "php-cgi"}', "cgi.interpreters must be"),
        ("SMSREPLY_CGI_INTERPRETERS", "[", "cgi.interpreters is not valid JSON"),
        ("SMSREPLY_CGI_ANSWER_TYPES", "plain", "cgi.answer_types must list media types"),
        ("SMSREPLY_SIMULATOR_FAILURE_RATE", "1.5", "simulator.failure_rate must be 0.0 to 1.0"),
    ],
)
def test_values_that_cannot_work_are_refused(name, value, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        load_settings(None, env={name: value})


@pytest.mark.parametrize("bind", ["127.0.0.1:8080", "0.0.0.0:80", "[::1]:8080", "unix:/run/s.sock"])
def test_good_bind_addresses(bind):
    assert load_settings(None, env={"SMSREPLY_SERVER_BIND": bind})["server.bind"] == bind


def test_the_base_url_follows_the_bind_unless_set(tmp_path):
    follows = load_settings(None, env={"SMSREPLY_SERVER_BIND": "0.0.0.0:8081"})
    assert follows["server.base_url"] == "http://127.0.0.1:8081"
    ipv6 = load_settings(None, env={"SMSREPLY_SERVER_BIND": "[::1]:8082"})
    assert ipv6["server.base_url"] == "http://[::1]:8082"
    config = tmp_path / "smsreply.toml"
    config.write_text('[server]\nbind = "127.0.0.1:8083"\n')
    assert load_settings(config, env={})["server.base_url"] == "http://127.0.0.1:8083"
    config.write_text('[server]\nbind = "127.0.0.1:8083"\nbase_url = "https://sms.example"\n')
    assert load_settings(config, env={})["server.base_url"] == "https://sms.example"


def _cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smsreply.cli", *args],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "SMSREPLY_DATABASE_PATH": str(tmp_path / "x.db")} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_info_warns_when_the_base_url_set_misses_the_bind(tmp_path):
    assert _cli(tmp_path, {}, "init").returncode == 0
    moved = {"SMSREPLY_SERVER_BIND": "127.0.0.1:8081"}
    quiet = _cli(tmp_path, moved, "info", "--json")
    assert quiet.returncode == 0 and "warning" not in quiet.stderr
    assert json.loads(quiet.stdout)["base_url"] == "http://127.0.0.1:8081"
    stale = _cli(tmp_path, moved | {"SMSREPLY_SERVER_BASE_URL": "http://127.0.0.1:8080"}, "info")
    assert stale.returncode == 0
    assert "warning: server.base_url = http://127.0.0.1:8080 does not reach" in stale.stderr
    assert "server.bind = 127.0.0.1:8081" in stale.stderr
    proxied = moved | {
        "SMSREPLY_SERVER_BASE_URL": "https://sms.example",
        "SMSREPLY_SERVER_PROXY_HOPS": "1",
    }
    assert "warning" not in _cli(tmp_path, proxied, "info").stderr


def test_a_busy_port_names_the_setting(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "PATH": "/usr/bin:/bin",
            "SMSREPLY_DATABASE_PATH": str(tmp_path / "x.db"),
            "SMSREPLY_SERVER_BIND": f"127.0.0.1:{port}",
            "SMSREPLY_SERVER_BASE_URL": "http://127.0.0.1:8080",  # stale: a warning at start
            "SMSREPLY_METRICS_DIRECTORY": str(tmp_path / "metrics"),  # not the project's
        }
        result = subprocess.run(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "app:app"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "SMSREPLY_SERVER_BIND" in result.stderr and "server.bind" in result.stderr
    assert "warning: server.base_url = http://127.0.0.1:8080 does not reach" in result.stderr
