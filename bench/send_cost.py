"""What sending one answer costs, in µs of this thread's CPU, measured in one process.

Two figures, each the median of interleaved repeats, against the bench's sink in its own
process (``testkit/sink.py``; its CPU is not counted):

- ``hand-off``: ``HttpProvider.send`` of one SMS to the sink (kept-alive connections);
- ``send job``: the work engine's send of an answer queued already claimed, as handling
  queues it (``Engine.send_sms`` on a real SQLite file), and its steps one by one — the
  claim, the heartbeat's registration, the hand-off, the record;
- ``4 threads``: the same send job in four threads at once, as a server's workers run it
  (the process's CPU per SMS: the threads wait for each other's writes).

To compare two versions, run it from each checkout back to back (the figures move with
the machine's load; only neighbours compare).

Example::

    .venv/bin/python -m bench.send_cost --sends 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from smsreply import sending
from smsreply.clock import to_iso, utcnow
from smsreply.engine.heartbeat import Lease
from smsreply.providers.http import HttpProvider
from smsreply.service import Service
from smsreply.settings import load_settings
from smsreply.store import Store
from smsreply.text.segments import count_segments
from testkit.sink import SinkProcess

STEPS = ("claim", "heartbeat", "transmit", "record")


def hand_off(provider: HttpProvider, sends: int, first_id: int) -> float:
    """CPU µs per ``provider.send``."""
    started = time.thread_time()
    for number in range(first_id, first_id + sends):
        sms = sending.OutgoingSms(number, "+33612345678", "Merci !", "38123", f"sr{number}")
        provider.send(sms)
    return (time.thread_time() - started) / sends * 1e6


def queue_answers(service: Service, count: int) -> list[tuple[int, Lease]]:
    """``count`` answers queued already claimed by this process (as ``handling`` does)."""
    lease = service.engine.new_lease()
    segments, at = count_segments("Merci !"), to_iso(utcnow())
    queued = []
    with service.store.write():
        for number in range(count):
            recipient = f"+336{10000000 + number:08d}"
            outgoing_id = sending.queue_sms(
                service.store,
                "answer",
                recipient,
                "38123",
                "Merci !",
                segments,
                "sr1",
                at,
                lease=lease,
            )
            queued.append((outgoing_id, lease))
    return queued


def send_job(service: Service, sends: int) -> float:
    """CPU µs per ``Engine.send_sms`` of an answer queued claimed."""
    queued = queue_answers(service, sends)
    started = time.thread_time()
    for outgoing_id, lease in queued:
        assert service.engine.send_sms(outgoing_id, lease)
    return (time.thread_time() - started) / sends * 1e6


def send_job_threads(service: Service, sends: int, threads: int = 4) -> float:
    """Process CPU µs per SMS, ``threads`` threads each sending their share at once."""
    shares = [queue_answers(service, sends // threads) for _ in range(threads)]

    def send_share(share: list[tuple[int, Lease]]) -> None:
        for outgoing_id, lease in share:
            assert service.engine.send_sms(outgoing_id, lease)

    workers = [threading.Thread(target=send_share, args=(share,)) for share in shares]
    started = time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.process_time() - started) / (sends // threads * threads) * 1e6


@contextmanager
def _charged(spent: dict[str, float], step: str):
    started = time.thread_time()
    yield
    spent[step] += time.thread_time() - started


def send_steps(service: Service, sends: int) -> dict[str, float]:
    """The same work as ``send_job``, step by step (µs each per SMS)."""
    engine, spent = service.engine, dict.fromkeys(STEPS, 0.0)
    for outgoing_id, lease in queue_answers(service, sends):
        with _charged(spent, "claim"):
            claim = engine.claim("sms", outgoing_id, lease)
        with _charged(spent, "heartbeat"), engine.heartbeat.keep(claim):
            pass
        with _charged(spent, "transmit"):
            sent = sending.transmit(engine.provider, claim.row)
        with _charged(spent, "record"):
            sending.record_sent(engine.store, engine.provider, engine.clock, claim, sent)
    return {step: seconds / sends * 1e6 for step, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=2000, help="SMS per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with SinkProcess() as sink, tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            None,
            env={},
            overrides={
                "database.path": str(Path(folder) / "smsreply.db"),
                "provider.name": "http",
                "http.send_url": f"{sink.url}/send",
            },
        )
        store = Store.from_settings(settings)
        store.migrate()
        service = Service(settings, store)
        provider = service.provider
        hand_off(provider, 200, 1)  # warm: connections open, code paths loaded
        figures: dict[str, list[float]] = {"hand-off": [], "send job": [], "4 threads": []}
        steps: dict[str, list[float]] = {step: [] for step in STEPS}
        for repeat in range(args.repeats):
            figures["hand-off"].append(hand_off(provider, args.sends, (repeat + 1) * 10**6))
            figures["send job"].append(send_job(service, args.sends))
            figures["4 threads"].append(send_job_threads(service, args.sends))
            for step, cost in send_steps(service, args.sends).items():
                steps[step].append(cost)
            sink.reset()
        for name, values in figures.items():
            shown = " ".join(f"{value:.0f}" for value in values)
            print(f"{name:10} {statistics.median(values):7.0f} µs CPU per SMS  ({shown})")
        for step, values in steps.items():
            print(f"  {step:10} {statistics.median(values):5.0f} µs")
        provider.close()
        store.close()


if __name__ == "__main__":
    main()
