"""The bench's web floors, under the same gunicorn as smsreply: the empty app answers each
callback and sends nothing; the relay app hands exactly one answer to the sink per callback
(what makes it the floor of a whole reply). Counts only, never timings."""

from __future__ import annotations

import argparse

import pytest

from bench.__main__ import app_floor
from testkit.sink import SinkProcess
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="no smsreply database involved")


@pytest.mark.parametrize(
    ("app", "answers"), [("bench.emptyapp:app", 0.0), ("bench.relayapp:app", 1.0)]
)
def test_each_floor_answers_every_callback_and_sends_what_it_should(tmp_path, app, answers):
    args = argparse.Namespace(settings={}, replies=60, rate=50, paced_seconds=0.4, concurrency=4)
    with SinkProcess() as sink:
        floor = app_floor(tmp_path, sink, args, app=app)
    assert floor["requests_per_second"] > 0 and floor["server_cpu_ms_per_request"] > 0
    assert floor["answers_per_request"] == answers
