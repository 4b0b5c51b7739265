"""The members' benchmark still runs: its in-process steps at a tiny size on SQLite (no timings)."""

from __future__ import annotations

import re

from bench import members


def test_members_bench_runs_and_prints_its_table(tmp_path, monkeypatch, capsys):
    # bench_app points CONFAPP_INSTANCE_PATH at its own folder: restored after the test.
    monkeypatch.setenv("CONFAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)

    status = members.main(
        ["--steps", "import,turnout,count", "--members", "120", "--groups", "4"]
        + ["--turnout-runs", "2"]
    )

    out = capsys.readouterr().out
    assert status == 0
    assert "120 members added" in out
    assert "120 updated" in out
    assert "roll: 120 voters and blank papers made" in out
    assert "120 voters (0 voted)" in out  # the turnout page, before anyone voted
    assert "120 papers" in out and "elected " in out  # every paper filled, then counted
    table = out[out.index("figure ") :].splitlines()[1:]
    labels = [re.split(r"\s{2,}", line.strip())[0] for line in table]
    assert labels == [
        "import 120 members (new)",
        "import 120 members (updated)",
        "turnout page (median, p95)",
        "publish 120 papers, STV 5 of 10",
        "of which counting.count (median)",
    ]
