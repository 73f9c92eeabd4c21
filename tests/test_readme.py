"""The README's walk-through, pasted as it is into bash, against a real gunicorn.

Only the address changes (the test server listens on a free port, not 8080) and the
database is the test's own (``SMSREPLY_DATABASE_PATH``); every command runs as printed,
in the project directory, with the project's ``.venv/bin/smsreply``.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

from testkit.ports import free_port
from tests.support.servers import GunicornServer

ROOT = Path(__file__).resolve().parent.parent
SMSREPLY = ROOT / ".venv" / "bin" / "smsreply"


def walkthrough_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it with curl", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


@pytest.mark.skipif(not SMSREPLY.exists(), reason="run `make install` first (.venv/bin/smsreply)")
def test_the_pasted_walkthrough_is_answered(tmp_path, database_url):
    blocks = walkthrough_blocks()
    assert len(blocks) == 3, "the curl block, the command-line block, the scripts block"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = GunicornServer(
        tmp_path, database_url, server_bind=f"127.0.0.1:{port}", server_base_url=base
    )
    server.run_init()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SMSREPLY_DATABASE_PATH": str(tmp_path / "smsreply.db"),
        "SMSREPLY_DATABASE_URL": database_url,
        "SMSREPLY_SERVER_BASE_URL": base,
        "SMSREPLY_SIMULATOR_DLR_DELAY": "0",
    }
    outputs = []
    with server:
        for block in blocks:
            script = block.replace("http://127.0.0.1:8080", base)
            result = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", script],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            outputs.append(result.stdout)
    curl, cli, scripts = outputs
    assert '"status":"pending"' in curl.replace(" ", "") or '"status":"handled"' in curl
    assert '"duplicate":false' in curl.replace(" ", "")
    assert "unmatched" not in curl
    assert "Merci, votre rendez-vous est confirmé." in curl  # in the outbox and the thread
    assert '"result":"answered"' in curl.replace(" ", "")
    assert "result: answered" in cli
    assert "answer: 'Merci !'" in cli
    assert '"handler": "quiz.py"' in scripts  # the last options set, as saved
    assert "X_SMSREPLY_TAG=rdv-42" in scripts and "== result: answered" in scripts  # try
