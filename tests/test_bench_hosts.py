"""The bench's hosts report (``bench/hosts.py``): ratios are taken within each round, then
their median kept, and every burst's lost and doubled answers are summed."""

from __future__ import annotations

from bench.hosts import CONDITIONS, medians, table


def burst(rate: float, lost: int = 0, **more: float) -> dict:
    counted = {"statements_per_reply": 22.0, "round_trips_per_reply": 24.0, "held_ms": 1.1}
    counted |= {"shared_ms_per_reply": 10.0, "shared_wait_ms_per_reply": 1.0} | more
    return {"replies_per_second": rate, "lost": lost, "duplicated": 0, **counted}


def test_ratios_are_taken_within_rounds_and_losses_summed():
    rounds = [  # the machine twice as fast in round 1: the ratios do not move
        {"sqlite": 100, "postgresql": 80, "2 hosts": 60, "2 hosts far": 30},
        {"sqlite": 200, "postgresql": 160, "2 hosts": 120, "2 hosts far": 60},
        {"sqlite": 100, "postgresql": 70, "2 hosts": 50, "2 hosts far": 45},
    ]
    runs = [
        {"round": number, "action": "text", "condition": condition,
         "burst": burst(rates[condition], lost=1 if condition == "sqlite" else 0)}
        for number, rates in enumerate(rounds)
        for condition in CONDITIONS
    ]  # fmt: skip
    (row,) = medians(runs)
    assert row["postgresql_vs_sqlite"] == 0.8  # 0.8, 0.8, 0.7
    assert row["far_vs_near"] == 0.5  # 0.5, 0.5, 0.9
    assert row["sqlite"] == 100 and row["lost"] == 3
    printed = table({"db_delay_ms": 1.0, "medians": [row]})
    assert "| text: DB 1.0 ms away >= 0.8 x near | 0.50 x | no |" in printed
    assert "| 0 lost, 0 doubled | 3 | no |" in printed
