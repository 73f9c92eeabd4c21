""" "What was done" with a reply, as sentences in the page's language, not raw keys.

``describe(reply)`` reads the reply's recorded outcome (whatever keys its action left:
``script``, ``duration``, ``exit_code``, ``signal``…) and its result, and returns
sentences: what ran and for how long in ms, how it ended with the exit status explained,
which rule chose it, and the result. Each sentence is ``(text, detail)``: ``detail`` is
the domain's own English reason (shown marked ``lang="en"``), or None. The raw record
stays available below it for those who debug.
"""

from __future__ import annotations

import signal as signals

from .common import t


def describe(reply: dict) -> list[tuple[str, str | None]]:
    outcome = reply.get("outcome") or {}
    sentences: list[tuple[str, str | None]] = []
    ms = _ms(outcome.get("duration"))
    if outcome.get("script"):
        sentences.append((t("outcome.ran_script", name=outcome["script"], ms=ms), None))
    elif outcome.get("handler"):
        sentences.append((t("outcome.ran_handler", name=outcome["handler"], ms=ms), None))
    elif outcome.get("url"):
        attempts = outcome.get("attempts") or 1
        sentences.append((t("outcome.called_url", url=outcome["url"], attempts=attempts), None))
    elif outcome.get("action") in ("none", "text"):
        sentences.append((t(f"outcome.action_{outcome['action']}"), None))
    sentences += _ending(outcome)
    if outcome.get("rule"):
        key = "outcome.rule_sticky" if outcome.get("sticky") else "outcome.rule"
        sentences.append((t(key, rule=outcome["rule"]), None))
    if reply.get("result"):
        sentences.append((t(f"outcome.result_{reply['result']}"), reply.get("result_reason")))
    return sentences


def _ending(outcome: dict) -> list[tuple[str, str | None]]:
    error = outcome.get("error")
    if error == "timeout":
        return [(t("outcome.timeout"), None)]
    if outcome.get("signal") is not None:
        number = outcome["signal"]
        try:
            name = signals.Signals(number).name
        except ValueError:
            name = "?"
        return [(t("outcome.signal", number=number, name=name), None)]
    code = outcome.get("exit_code")
    if code is None:
        return []
    if code == 0:
        return [(t("outcome.exit_ok"), None)]
    sentences = [(t("outcome.exit_failed", code=code), None)]
    # The statuses a shell gives itself say more than "failure": explain them.
    if code in (126, 127):
        sentences.append((t(f"outcome.exit_{code}"), None))
    elif 128 < code < 160:
        sentences.append((t("outcome.exit_signal", number=code - 128), None))
    return sentences


def _ms(duration: object) -> str:
    if not isinstance(duration, int | float):
        return "?"
    return str(round(duration * 1000))
