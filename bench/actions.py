"""The actions the bench measures, and the settings that point smsreply at the sink.

Each action is the reply options a customer would save (``PUT /api/reply-options``) and the
floor it is compared with: the empty app for in-process work, the script's spawn rate for
``cgi`` actions (whichever is lower). Scripts and the handler live in ``bench/cgi-bin`` and
``bench/handlers``; the ``url`` action calls the sink's ``/app``.
"""

from __future__ import annotations

from pathlib import Path

from testkit.scenario import sink_settings

BENCH = Path(__file__).resolve().parent
ANSWER = "Merci, c'est noté."

ACTIONS = {
    "text": {"action": "text", "text": ANSWER},
    "cgi-sh": {"action": "cgi", "script": "answer.sh"},
    "cgi-py": {"action": "cgi", "script": "answer.py"},
    "handler": {"action": "handler", "handler": "answer.py"},
    "url": {"action": "url", "url": "{sink}/app", "use_response": True},
}
SCRIPTS = {"cgi-sh": BENCH / "cgi-bin" / "answer.sh", "cgi-py": BENCH / "cgi-bin" / "answer.py"}


def options(action: str, sink_url: str) -> dict:
    spec = dict(ACTIONS[action])
    if "url" in spec:
        spec["url"] = spec["url"].format(sink=sink_url)
    return spec


def server_settings(database: Path | str, sink_url: str, **more: object) -> dict[str, object]:
    """smsreply's settings for a bench run: ``make run``'s, with the provider on the sink and
    the bench's scripts and handler.

    ``database``: an SQLite file, or a ``postgresql://`` URL.
    """
    folders = {"cgi.directory": BENCH / "cgi-bin", "handlers.directory": BENCH / "handlers"}
    return sink_settings(database, sink_url, **(folders | more))
