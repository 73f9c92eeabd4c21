"""Slow clients against a server, while the provider posts replies: who gets answered?

``slow_clients_and_callbacks`` opens ``slow`` connections that send a callback one byte a
second (half drip their headers, half their body), bounded to ``bound`` seconds, and once
they are all connected posts ``normal`` ordinary callbacks (``concurrency`` at a time),
timing each. Gunicorn alone gives each slow client a thread until it is done, so 16 of
them starve every callback; behind ``deploy/nginx.conf`` they wait in nginx instead.

Example::

    result = asyncio.run(slow_clients_and_callbacks("127.0.0.1", 8443, path, ssl_context))
    result["statuses"], result["p99"]

    python -m bench.slow_clients --slow 300 --normal 200   # against gunicorn alone
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from testkit.gunicorn import Gunicorn


def callback_request(path: str, reply_id: str, host: str = "127.0.0.1") -> bytes:
    body = urlencode(
        {"id": reply_id, "senderid": "+33612345678", "shortcode": "38127", "message": "OUI"}
    )
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def _slow(host, port, tls, request: bytes, drip_from: int, stop, state: dict) -> None:
    try:
        _, writer = await asyncio.open_connection(host, port, ssl=tls)
    except OSError:
        state["refused"] += 1
        return
    state["connected"] += 1
    try:
        writer.write(request[:drip_from])
        for index in range(drip_from, len(request)):
            writer.write(request[index : index + 1])
            await writer.drain()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
                break
            except TimeoutError:
                continue
        else:
            return
        state["open_at_end"] += 1
    except (OSError, ssl.SSLError):
        state["closed_by_server"] += 1  # e.g. nginx's 408 after client_header_timeout
    finally:
        writer.close()


async def _callback(host, port, tls, request: bytes, timeout: float) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=tls)
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            await reader.read()
            writer.close()
        status = int(status_line.split()[1]) if status_line.startswith(b"HTTP/") else 0
    except (TimeoutError, OSError, ssl.SSLError, ValueError, IndexError):
        status = 0
    return status, time.perf_counter() - started


async def slow_clients_and_callbacks(
    host: str,
    port: int,
    path: str,
    tls: ssl.SSLContext | None = None,
    slow: int = 300,
    normal: int = 200,
    bound: float = 30.0,
    concurrency: int = 8,
    timeout: float = 10.0,
) -> dict:
    stop = asyncio.Event()
    state = Counter(connected=0, refused=0, open_at_end=0, closed_by_server=0)
    slow_tasks = []
    for number in range(slow):
        request = callback_request(path, f"slow-{number}")
        drip_from = 0 if number % 2 == 0 else request.index(b"\r\n\r\n") + 4
        slow_tasks.append(
            asyncio.create_task(_slow(host, port, tls, request, drip_from, stop, state))
        )
    started = time.monotonic()
    while state["connected"] + state["refused"] < slow and time.monotonic() - started < bound:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.5)  # every slow client has begun dripping
    gate = asyncio.Semaphore(concurrency)

    answers: list[tuple[int, float]] = []

    async def one(number: int) -> None:
        async with gate:
            request = callback_request(path, f"normal-{number}-{time.time_ns()}")
            answers.append(await _callback(host, port, tls, request, timeout))

    remaining = max(1.0, bound - (time.monotonic() - started))
    try:
        async with asyncio.timeout(remaining):
            await asyncio.gather(*(one(number) for number in range(normal)))
    except TimeoutError:
        pass  # the callbacks left are counted as unanswered (status 0)
    answered = len(answers)
    answers += [(0, remaining)] * (normal - answered)
    stop.set()
    await asyncio.gather(*slow_tasks)
    durations = sorted(seconds for _, seconds in answers)

    def quantile(share: float) -> float:
        return durations[min(len(durations) - 1, int(share * len(durations)))] if durations else 0

    return {
        "slow": dict(state),
        "statuses": dict(Counter(status for status, _ in answers)),
        "answered": answered,
        "p50": round(quantile(0.50), 4),
        "p99": round(quantile(0.99), 4),
        "max": round(durations[-1], 4) if durations else None,
        "seconds": round(time.monotonic() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Against gunicorn alone, as ``make run`` starts it: the figure nginx is there to fix
    (``tests/test_edge.py`` measures the same load through ``deploy/nginx.conf``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.slow_clients", description=__doc__)
    parser.add_argument("--slow", type=int, default=300)
    parser.add_argument("--normal", type=int, default=200)
    parser.add_argument("--bound", type=float, default=30.0)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "smsreply.db"
        server = Gunicorn(Path(folder), {"database.path": database, "log.level": "WARNING"})
        with server.init():
            result = asyncio.run(
                slow_clients_and_callbacks(
                    "127.0.0.1",
                    server.port,
                    server.callback_path,
                    slow=arguments.slow,
                    normal=arguments.normal,
                    bound=arguments.bound,
                )
            )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
