"""``--profile DIR``: sample the gunicorn workers with py-spy during a burst, then rank.

py-spy (``pip install -e '.[bench]'``) attaches to each worker for the length of the burst
and writes collapsed stacks (``DIR/<action>-<pid>.txt``); ``summarise`` ranks functions by
inclusive and by self samples over all workers (``DIR/<action>-top.txt``), which is how the
findings in ``docs/performance.md`` were made. Without ``DIR`` this does nothing.

Example::

    with Profiler(server.workers(), "profiles", "text"):
        post_replies(...)
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def py_spy_path() -> str:
    """py-spy's executable, or a one-line exit saying how to install it."""
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit(
            "bench: --profile needs py-spy: run `make bench` once, or "
            ".venv/bin/pip install -e '.[bench]'"
        )
    return found


class Profiler:
    def __init__(self, pids: list[int], directory: str | None, label: str) -> None:
        self.pids, self.label = pids, label
        self.directory = Path(directory) if directory else None
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Profiler:
        if self.directory is None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        py_spy = py_spy_path()
        for pid in self.pids:
            output = self.directory / f"{self.label}-{pid}.txt"
            command = [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--rate",
                "100",
                "--gil",
                "--format",
                "raw",
            ]
            self.processes.append(
                subprocess.Popen(
                    [*command, "--output", str(output), "--nonblocking"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process in self.processes:
            process.wait(timeout=30)
        if self.directory is not None:
            files = [self.directory / f"{self.label}-{pid}.txt" for pid in self.pids]
            text = summarise([path for path in files if path.exists()])
            (self.directory / f"{self.label}-top.txt").write_text(text)


def summarise(files: list[Path], top: int = 40) -> str:
    """Functions ranked by the share of samples they are in (inclusive) and on top of (self)."""
    inclusive, own, total = Counter(), Counter(), 0
    for path in files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = [_LINE.sub(")", frame) for frame in stack.split(";")]
            total += int(count)
            own[frames[-1]] += int(count)
            for frame in set(frames):
                inclusive[frame] += int(count)
    if not total:
        return "no samples\n"
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines) + "\n"
