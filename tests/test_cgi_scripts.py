"""The gateway checks a script once per version of its file, and sees every change."""

from __future__ import annotations

import os
import time

import pytest

from smsreply.cgi import CgiConfigError, CgiGateway, build_request

LONG_AGO = time.time() - 3600  # older than SETTLE_SECONDS: the check is kept


def answering(text: str) -> str:
    return f"#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n{text}\\n'\n"


def write(path, content: str, mode: int = 0o755, settled: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    path.chmod(mode)
    if settled:
        os.utime(path, (LONG_AGO, LONG_AGO))


def answer(gateway: CgiGateway, name: str = "x.sh") -> str | None:
    run = gateway.run(name, build_request({}, {}))
    return run.outcome.answer or run.outcome.error


@pytest.fixture
def cgi_dir(tmp_path):
    return tmp_path / "cgi-bin"


BODY = "printf 'Content-Type: text/plain\\n\\nran\\n'\n"
NO_SHEBANG = "#:/bin/sh \n" + BODY  # a comment: started as ``sh x.cgi``
CR_SHEBANG = "#!/bin/sh\r\n" + BODY  # the same size: a '#!' line that cannot start


def test_an_edited_script_is_checked_again(cgi_dir):
    # What the file says decides how it starts: a kept decision must follow the edits.
    write(cgi_dir / "x.cgi", NO_SHEBANG)
    gateway = CgiGateway(cgi_dir, interpreters={".cgi": "sh"})
    assert answer(gateway, "x.cgi") == answer(gateway, "x.cgi") == "ran"
    write(cgi_dir / "x.cgi", CR_SHEBANG + "\n")
    run = gateway.run("x.cgi", build_request({}, {}))
    assert run.outcome.error == "spawn" and "sed -i" in run.outcome.reason
    write(cgi_dir / "x.cgi", NO_SHEBANG)
    assert answer(gateway, "x.cgi") == "ran"


def test_same_size_and_mtime_is_still_a_new_version(cgi_dir):
    write(cgi_dir / "x.cgi", NO_SHEBANG)
    gateway = CgiGateway(cgi_dir, interpreters={".cgi": "sh"})
    assert answer(gateway, "x.cgi") == "ran"
    time.sleep(0.05)  # past the file system clock's tick: the change time moves
    write(cgi_dir / "x.cgi", CR_SHEBANG)  # same size, mtime set back to the same
    assert answer(gateway, "x.cgi") == "spawn"


def test_a_script_made_unrunnable_is_refused(cgi_dir):
    write(cgi_dir / "x.sh", answering("one"))
    gateway = CgiGateway(cgi_dir)
    assert answer(gateway) == "one"
    (cgi_dir / "x.sh").chmod(0o644)
    with pytest.raises(CgiConfigError, match="chmod"):
        gateway.run("x.sh", build_request({}, {}))
    (cgi_dir / "x.sh").unlink()
    with pytest.raises(CgiConfigError, match="not found"):
        gateway.check("x.sh")


def test_a_symlink_retargeted_outside_is_refused(cgi_dir, tmp_path):
    write(cgi_dir / "lib/real.sh", answering("inside"))
    write(tmp_path / "elsewhere/x.sh", answering("outside"))
    (cgi_dir / "x.sh").symlink_to("lib/real.sh")
    gateway = CgiGateway(cgi_dir)
    assert answer(gateway) == "inside"
    (cgi_dir / "x.sh").unlink()
    (cgi_dir / "x.sh").symlink_to(tmp_path / "elsewhere/x.sh")
    with pytest.raises(CgiConfigError, match="outside the cgi-bin directory"):
        gateway.run("x.sh", build_request({}, {}))


def test_a_script_fixed_in_place_is_read_again(cgi_dir):
    write(cgi_dir / "x.sh", "echo no shebang\n")
    gateway = CgiGateway(cgi_dir)
    assert answer(gateway) == "spawn"
    write(cgi_dir / "x.sh", answering("fixed"))
    assert answer(gateway) == "fixed"
