"""Settings: defaults, the TOML file, environment variables, and clear errors."""

import pytest

from smsreply.settings import SETTINGS, ConfigError, load_settings


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
