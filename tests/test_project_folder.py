"""The CLI finds its installation or stops: relative paths in a configuration file are
relative to its project folder, and only `smsreply init` starts a new installation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from smsreply.settings import load_settings


def smsreply(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI as a new shell runs it: no SMSREPLY_* variable."""
    return subprocess.run(
        [sys.executable, "-m", "smsreply.cli", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_relative_paths_start_from_the_project_folder(tmp_path):
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "smsreply.toml"
    config.write_text('[database]\npath = "data/x.db"\n[cgi]\ndirectory = "scripts"\n')
    values = load_settings(config, env={})
    assert values["database.path"] == str(tmp_path / "data" / "x.db")
    assert values["cgi.directory"] == str(tmp_path / "scripts")
    assert values["handlers.directory"] == str(tmp_path / "handlers")
    elsewhere = tmp_path / "elsewhere.toml"  # not in config/: its own folder
    elsewhere.write_text("")
    assert load_settings(elsewhere, env={})["database.path"] == str(tmp_path / "var/smsreply.db")


def test_the_cli_elsewhere_uses_the_installation_of_its_config(tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    created = smsreply(project, "init")  # a new installation: its config and database
    assert created.returncode == 0, created.stderr
    assert (project / "config" / "smsreply.toml").is_file()
    assert (project / "var" / "smsreply.db").is_file()
    here = json.loads(smsreply(project, "info", "--json").stdout)
    assert here["balance"] == 100

    lost = smsreply(elsewhere, "info")
    assert lost.returncode == 1
    assert "no configuration found" in lost.stderr and "--config" in lost.stderr
    config = str(project / "config" / "smsreply.toml")
    found = smsreply(elsewhere, "--config", config, "info", "--json")
    assert found.returncode == 0, found.stderr
    found = json.loads(found.stdout)
    assert found["database"] == str(project / "var" / "smsreply.db")
    del found["database"], here["database"]
    assert found == here  # the same database: the same token and balance
    assert list(elsewhere.iterdir()) == []  # nothing created where the command ran


def test_a_configuration_without_its_database_stops(tmp_path):
    (tmp_path / "other.toml").write_text('[database]\npath = "nowhere/x.db"\n')
    result = smsreply(tmp_path, "--config", "other.toml", "credits")
    assert result.returncode == 1
    assert f"no database at {tmp_path / 'nowhere' / 'x.db'}" in result.stderr
    assert "smsreply init" in result.stderr
    assert not (tmp_path / "nowhere").exists()
