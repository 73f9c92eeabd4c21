"""Script resolution, process handling (timeouts, process groups, caps) and the concurrency cap.

Every test that runs a script runs it twice, started by each path ``server.fast_paths``
chooses between (``fast_spawn``): glibc's ``posix_spawn`` through ctypes, and ``subprocess.Popen``,
the plain library path — with the same assertions.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from smsreply.actions.base import Resources
from smsreply.cgi import (
    CgiConfigError,
    CgiGateway,
    ScriptNotAllowed,
    ScriptNotFound,
    build_request,
    resolve_script,
    run_script,
    runner,
    spawn,
)
from smsreply.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
ANSWER = "printf 'Content-Type: text/plain\\n\\nok\\n'"


def write_script(directory: Path, name: str, body: str, mode: int = 0o755) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body).lstrip())
    path.chmod(mode)
    return path


def sh(directory: Path, name: str, lines: str) -> Path:
    return write_script(directory, name, "#!/bin/sh\n" + textwrap.dedent(lines))


def run(script: Path, fast: bool, timeout: float = 10.0, body: bytes = b"", max_out: int = 65536):
    return run_script(script, ENV, body, timeout, max_out, max_out, fast_spawn=fast)


def is_dead(pid: int, within: float = 5.0) -> bool:
    """True once ``pid`` is gone or a zombie (PID 1 here may not reap orphans)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def read_pid(path: Path, within: float = 5.0) -> int:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        text = path.read_text().strip() if path.exists() else ""
        if text:
            return int(text)
        time.sleep(0.01)
    raise AssertionError(f"{path} never written")


@pytest.fixture(params=["pidfd", "polling"])
def exit_watch(request, monkeypatch):
    """Run process tests both with a pidfd and with the portable polling fallback."""
    if request.param == "polling":
        monkeypatch.setattr(runner, "_pidfd_open", lambda pid: None)
    return request.param


@pytest.fixture(params=["posix_spawn", "popen"])
def fast_spawn(request) -> bool:
    """``fast_spawn`` for each path: glibc's posix_spawn (the fast one), then Popen."""
    if request.param == "posix_spawn" and spawn._glibc() is None:
        pytest.skip("this libc has no posix_spawn_file_actions_addclosefrom_np")
    return request.param == "posix_spawn"


# ---- resolve_script -------------------------------------------------------------------


def test_resolve_accepts_scripts_and_subdirectories(tmp_path):
    script = sh(tmp_path, "ok.sh", ANSWER)
    nested = sh(tmp_path, "shop/order.sh", ANSWER)
    assert resolve_script(tmp_path, "ok.sh") == script.resolve()
    assert resolve_script(tmp_path, "./ok.sh") == script.resolve()
    assert resolve_script(tmp_path, "shop/order.sh") == nested.resolve()


def test_resolve_follows_symlinks_that_stay_inside(tmp_path):
    target = sh(tmp_path, "lib/real.sh", ANSWER)
    (tmp_path / "alias.sh").symlink_to("lib/real.sh")
    assert resolve_script(tmp_path, "alias.sh") == target.resolve()


@pytest.mark.parametrize(
    "name, message",
    [
        ("../outside.sh", "relative path without '..'"),
        ("shop/../../outside.sh", "relative path without '..'"),
        ("shop/../ok.sh", "relative path without '..'"),
        ("/etc/passwd", "relative path without '..'"),
        ("", "relative path"),
        ("a\0b", "relative path"),
        ("escape.sh", "resolves outside the cgi-bin directory"),
        ("escape-dir/tool.sh", "resolves outside the cgi-bin directory"),
        ("plain.txt", "'plain.txt' is not executable (chmod +x)"),
        ("shop", "is not a regular file"),
    ],
)
def test_resolve_refuses(tmp_path, name, message):
    cgi_dir, outside = tmp_path / "cgi-bin", tmp_path / "elsewhere"
    sh(outside, "outside.sh", ANSWER)
    sh(outside, "tool.sh", ANSWER)
    sh(cgi_dir, "ok.sh", ANSWER)
    sh(cgi_dir, "shop/order.sh", ANSWER)
    write_script(cgi_dir, "plain.txt", "#!/bin/sh\n", mode=0o644)
    (cgi_dir / "escape.sh").symlink_to(outside / "outside.sh")
    (cgi_dir / "escape-dir").symlink_to(outside)
    with pytest.raises(ScriptNotAllowed, match=re.escape(message)):
        resolve_script(cgi_dir, name)


def test_resolve_missing(tmp_path):
    with pytest.raises(ScriptNotFound, match="'nope.sh' not found"):
        resolve_script(tmp_path, "nope.sh")
    with pytest.raises(ScriptNotFound, match="does not exist"):
        resolve_script(tmp_path / "no-such-dir", "x.sh")
    (tmp_path / "dangling.sh").symlink_to("gone.sh")
    with pytest.raises(ScriptNotFound):
        resolve_script(tmp_path, "dangling.sh")


def test_gateway_raises_config_errors_and_check(tmp_path):
    write_script(tmp_path, "x.sh", "#!/bin/sh\n", mode=0o600)
    gateway = CgiGateway(tmp_path)
    with pytest.raises(CgiConfigError, match="chmod"):
        gateway.check("x.sh")
    with pytest.raises(CgiConfigError, match="'..'"):
        gateway.run("../x.sh", build_request({}, {}))


# ---- run_script -------------------------------------------------------------------------


def test_exit_code_stderr_and_cwd(tmp_path, exit_watch, fast_spawn):
    script = sh(tmp_path, "x.sh", "pwd; echo err >&2; exit 7\n")
    result = run(script, fast_spawn)
    assert (result.exit_code, result.signal, result.timed_out) == (7, None, False)
    assert result.stdout == f"{tmp_path.resolve()}\n".encode() and result.stderr == b"err\n"


def test_script_that_ignores_a_large_body_neither_blocks_nor_raises(
    tmp_path, exit_watch, fast_spawn
):
    script = sh(tmp_path, "x.sh", ANSWER)
    result = run(script, fast_spawn, timeout=10, body=b"x" * 5_000_000)
    assert result.exit_code == 0 and result.stdout.endswith(b"ok\n") and not result.timed_out


def test_output_is_capped_but_drained(tmp_path, exit_watch, fast_spawn):
    # Without draining, the script would block on a full pipe and time out.
    script = sh(tmp_path, "x.sh", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2\n")
    result = run(script, fast_spawn, timeout=10, max_out=1000)
    assert (result.exit_code, result.timed_out) == (0, False)
    assert result.stdout == b"\0" * 1000 and result.stderr == b"\0" * 1000
    assert result.stdout_truncated and result.stderr_truncated


def test_timeout_kills_the_foreground_child(tmp_path, exit_watch, fast_spawn):
    script = sh(tmp_path, "x.sh", "sh -c 'echo $$ > child.pid; exec sleep 100'\necho never\n")
    started = time.monotonic()
    result = run(script, fast_spawn, timeout=0.5)
    assert result.timed_out and result.signal == 9 and result.exit_code is None
    assert 0.5 <= time.monotonic() - started < 5
    assert is_dead(read_pid(tmp_path / "child.pid"))
    assert b"never" not in result.stdout


def test_background_child_holding_stdout_does_not_delay_us(tmp_path, exit_watch, fast_spawn):
    script = sh(tmp_path, "x.sh", f"sleep 100 &\necho $! > child.pid\n{ANSWER}\n")
    started = time.monotonic()
    result = run(script, fast_spawn, timeout=20)
    assert time.monotonic() - started < 5  # far below both sleep 100 and the timeout
    assert (result.exit_code, result.timed_out) == (0, False)
    assert result.stdout.endswith(b"ok\n")
    assert is_dead(read_pid(tmp_path / "child.pid"))


def test_detached_background_child_is_killed_after_exit(tmp_path, exit_watch, fast_spawn):
    script = sh(
        tmp_path, "x.sh", f"sleep 100 >/dev/null 2>&1 </dev/null &\necho $! > child.pid\n{ANSWER}\n"
    )
    result = run(script, fast_spawn)
    assert result.exit_code == 0
    assert is_dead(read_pid(tmp_path / "child.pid"))


def test_script_that_closes_its_pipes_is_still_timed_out(tmp_path, exit_watch, fast_spawn):
    script = sh(tmp_path, "x.sh", "exec >&- 2>&-\nsleep 100\n")
    started = time.monotonic()
    result = run(script, fast_spawn, timeout=0.5)
    assert result.timed_out and time.monotonic() - started < 5


@pytest.mark.parametrize(
    "content, message",
    [
        ("echo no shebang\n", "no '#!' line"),
        ("#!/no/such/interpreter\n", "interpreter of 'x' not found: '#!/no/such/interpreter'"),
        ("#!/bin/sh\r\necho windows\r\n", "ends with CR"),
    ],
)
def test_spawn_failures_are_results_not_exceptions(tmp_path, content, message, fast_spawn):
    script = tmp_path / "x"
    script.write_text(content)
    script.chmod(0o755)
    result = run(script, fast_spawn)
    assert result.spawn_error is not None and message in result.spawn_error
    assert result.exit_code is None and result.stdout == b""


def test_script_starts_clean_in_its_own_session(tmp_path, fast_spawn):
    # Python ignores SIGPIPE and SIGXFSZ; ignored signals survive exec, so the script
    # would get EPIPE instead of dying quietly in `yes | head -1`. No fd of ours but 0-2.
    leaked = os.open(tmp_path, os.O_RDONLY)
    os.set_inheritable(leaked, True)
    script = sh(
        tmp_path,
        "x.sh",
        f"""\
        grep '^SigIgn' /proc/$$/status
        [ -e /proc/$$/fd/{leaked} ] && echo leaked
        ps -o sid= -p $$ | tr -d ' '
        echo $$
        yes | head -1
        """,
    )
    try:
        result = run(script, fast_spawn)
    finally:
        os.close(leaked)
    lines = result.stdout.decode().split()
    assert not int(lines[1], 16) & (1 << (signal.SIGPIPE - 1) | 1 << (signal.SIGXFSZ - 1))
    assert "leaked" not in lines
    assert lines[2] == lines[3]  # session id = its pid: it leads its own session
    assert lines[4] == "y" and result.stderr == b""


def test_interpreter_is_looked_up_in_the_script_path(tmp_path, fast_spawn):
    script = write_script(tmp_path, "x.cgi", ANSWER + "\n", mode=0o644)
    result = run_script(script, ENV, b"", 10, 65536, 65536, "sh", fast_spawn)
    assert result.stdout == b"Content-Type: text/plain\n\nok\n"
    result = run_script(script, ENV, b"", 10, 65536, 65536, "no-such-sh", fast_spawn)
    assert "interpreter 'no-such-sh' for 'x.cgi' not found" in result.spawn_error


SHOW = f"""\
    #!{sys.executable}
    import json, os, sys
    print(json.dumps([sys.argv, dict(os.environ), sys.stdin.read(), os.getcwd()]))
"""


def test_argv_environment_body_and_cwd_exactly_as_given(tmp_path, fast_spawn):
    # No shell: a name a shell would split or expand reaches the script as it is.
    script = write_script(tmp_path / "shop", "a b;$(touch pwned)*.py", SHOW)
    result = run(script, fast_spawn, body=b"message=OUI&sender=%2B33612345678")
    argv, environ, body, cwd = json.loads(result.stdout)
    assert argv == [str(script)] and environ == ENV and cwd == str(script.parent)
    assert body == "message=OUI&sender=%2B33612345678" and result.exit_code == 0
    assert not (tmp_path / "shop" / "pwned").exists() and not Path("pwned").exists()


def ignored_signals(stdout: bytes) -> set[int]:
    mask = int(stdout.split()[1], 16)
    return {number for number in range(1, 65) if mask & 1 << (number - 1)}


def expected_ignored(fast: bool) -> set[int]:
    """What a script started by either path finds ignored: what this process was started
    with (a job in the background has SIGINT and SIGQUIT ignored; some runners ignore 32)
    but SIGPIPE and SIGXFSZ (which Python ignores, and both paths restore), plus, for
    glibc's posix_spawn, its two internal signals (no program sees them); Popen's fork
    leaves those alone: the mark of which path started the script."""
    status = Path("/proc/self/status").read_bytes().splitlines()
    own = ignored_signals(next(line for line in status if line.startswith(b"SigIgn:")))
    inherited = own - {signal.SIGPIPE, signal.SIGXFSZ}
    if {32, 33} <= inherited:
        pytest.skip("this process already ignores 32 and 33: the two paths look alike")
    return inherited | {32, 33} if fast else inherited


def test_the_path_chosen_is_the_one_that_starts_the_script(tmp_path, fast_spawn):
    script = sh(tmp_path, "x.sh", "grep '^SigIgn' /proc/$$/status\n")
    assert ignored_signals(run(script, fast_spawn).stdout) == expected_ignored(fast_spawn)


@pytest.mark.parametrize("fast_paths", [True, False])
def test_server_fast_paths_chooses_how_the_gateway_starts_scripts(tmp_path, fast_paths):
    if fast_paths and spawn._glibc() is None:
        pytest.skip("this libc has no posix_spawn_file_actions_addclosefrom_np")
    sh(
        tmp_path / "cgi-bin",
        "x.sh",
        "printf 'Content-Type: text/plain\\n\\n'\ngrep '^SigIgn' /proc/$$/status\n",
    )
    overrides = {"database.path": str(tmp_path / "smsreply.db"), "server.fast_paths": fast_paths}
    gateway = Resources(tmp_path, load_settings(None, env={}, overrides=overrides)).cgi_gateway
    answer = gateway.run("x.sh", build_request({}, {})).outcome.answer
    assert ignored_signals(answer.encode()) == expected_ignored(fast_paths)


# ---- the concurrency cap ----------------------------------------------------------------

TIMED = f"""\
    #!{sys.executable}
    import os, sys, time
    start = time.time()
    time.sleep(0.5)
    with open(os.path.join("spans", f"{{os.getpid()}}.txt"), "w") as out:
        out.write(f"{{start}} {{time.time()}}")
    print("Content-Type: text/plain\\n\\ndone")
"""


def max_overlap(span_dir: Path) -> int:
    spans = [tuple(map(float, p.read_text().split())) for p in span_dir.iterdir()]
    return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


def test_cap_limits_concurrent_scripts(tmp_path):
    write_script(tmp_path, "timed.py", TIMED)
    (tmp_path / "spans").mkdir()
    gateway = CgiGateway(tmp_path, timeout=10, max_running=2, lock_dir=tmp_path / "locks")
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(gateway.run("timed.py", build_request({}, {})))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.outcome.answer for r in results] == ["done"] * 4
    assert len(list((tmp_path / "spans").iterdir())) == 4
    assert max_overlap(tmp_path / "spans") == 2  # capped, yet really parallel
    assert sum(r.queued > 0.3 for r in results) == 2


WORKER = """\
import sys, threading
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from smsreply.cgi import CgiGateway, build_request
gateway = CgiGateway(Path(sys.argv[2]), timeout=10, max_running=2, lock_dir=Path(sys.argv[3]))
request = build_request({}, {})
runs = [threading.Thread(target=gateway.run, args=("timed.py", request)) for _ in range(2)]
[t.start() for t in runs]
[t.join() for t in runs]
"""


def test_cap_holds_across_processes(tmp_path):
    write_script(tmp_path, "timed.py", TIMED)
    (tmp_path / "spans").mkdir()
    args = [sys.executable, "-c", WORKER, str(REPO_ROOT), str(tmp_path), str(tmp_path / "locks")]
    workers = [subprocess.Popen(args) for _ in range(3)]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0]
    assert len(list((tmp_path / "spans").iterdir())) == 6
    assert max_overlap(tmp_path / "spans") == 2


def test_busy_when_every_slot_is_held_elsewhere(tmp_path):
    sh(tmp_path, "x.sh", f"touch ran\n{ANSWER}\n")
    lock_dir = tmp_path / "locks"
    gateway = CgiGateway(tmp_path, timeout=0.4, max_running=2, lock_dir=lock_dir)
    # Another worker's locks: a separate open file description conflicts like another process.
    held = [os.open(lock_dir / f"cgi-slot-{slot}.lock", os.O_RDWR | os.O_CREAT) for slot in (0, 1)]
    try:
        for fd in held:
            fcntl.flock(fd, fcntl.LOCK_EX)
        result = gateway.run("x.sh", build_request({}, {}))
        assert (result.outcome.kind, result.outcome.error) == ("error", "busy")
        assert 0.15 <= result.queued < 2 and not (tmp_path / "ran").exists()
        fcntl.flock(held[1], fcntl.LOCK_UN)
        assert gateway.run("x.sh", build_request({}, {})).outcome.answer == "ok"
    finally:
        for fd in held:
            os.close(fd)


def test_slots_are_released_after_every_kind_of_run(tmp_path):
    sh(tmp_path, "ok.sh", ANSWER)
    sh(tmp_path, "fail.sh", "exit 1\n")
    sh(tmp_path, "slow.sh", "sleep 100\n")
    write_script(tmp_path, "broken", "no shebang\n")
    gateway = CgiGateway(tmp_path, timeout=0.3, max_running=1, lock_dir=tmp_path / "locks")
    request = build_request({}, {})
    errors = [gateway.run(name, request).outcome.error for name in ("fail.sh", "slow.sh", "broken")]
    assert errors == ["exit", "timeout", "spawn"]
    assert gateway.run("ok.sh", request).outcome.answer == "ok"
