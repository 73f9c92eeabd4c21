"""Schemathesis, the property-based tester API users run against OpenAPI documents, against a
real gunicorn on this test's database (SQLite, or PostgreSQL with SMSREPLY_TEST_DATABASE):
every check (``--checks all``: no 5xx, answers as documented, schema-valid requests
accepted and invalid ones refused), the stateful phase following the document's links,
a fixed seed and bounded examples (``tests/schemathesis.toml``). ``make fuzz`` runs it with
``SMSREPLY_FUZZ_EXAMPLES`` examples per operation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.servers import GunicornServer

CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_the_api_agrees_with_its_document(tmp_path, database_url):
    server = GunicornServer(tmp_path, database_url).init().start()
    try:
        examples = os.environ.get("SMSREPLY_FUZZ_EXAMPLES", "25")
        env = os.environ | {
            "SMSREPLY_FUZZ_API_KEY": server.api_key,
            "SMSREPLY_FUZZ_CALLBACK_TOKEN": server.callback_path.rsplit("/", 1)[1],
        }
        st = Path(sys.executable).with_name("st")
        result = subprocess.run(
            [st, "--config-file", str(CONFIG), "run", f"{server.url}/api/openapi.json",
             "--checks", "all", "--max-examples", examples, "--no-color",
             "--report", "junit", "--report-dir", str(tmp_path / "report")],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    finally:
        server.stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[output.find("FAILURES") :][:20000]
    # The stateful phase ran and followed the document's links (POST → the created resource).
    covered = re.search(r"API Links:\s+(\d+) covered", output)
    assert covered and int(covered.group(1)) >= 2, output[-3000:]
    assert re.search(r"\d+ generated, \d+ passed", output), output[-3000:]
