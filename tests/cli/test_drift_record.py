"""Each ``shoporg drift`` is recorded in the stack's ledger for the evidence pack — and a
ledger the nightly job cannot write to costs a line on stderr, never the report or its exit
code (the job's credentials may be read-only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoporg.backends.ledger.store import Ledger
from shoporg.cli.drift import record
from shoporg.reports.drift import Drifted, DriftReport, NotApplied, Unmanaged

REPORT = DriftReport(
    "prod",
    (Drifted("role_grant", "tb/zhang-wei@tb-shop", "tb", "changed", (("role_ids", ["a"], ["b"]),),
             "张伟 gains 同意退款 on tb-shop", ("high_risk_permission",)),),
    (Unmanaged("sub_account", "tb/ghost", "tb", "sub-account ghost (not in org.yaml)"),),
    not_applied=(NotApplied("sub_account", "tb/qian-lu", "tb", "钱璐 gets sub-account"),),
)


def test_a_drift_run_is_recorded_with_its_findings_in_words_not_values(tmp_path: Path) -> None:
    record(Ledger(tmp_path / "ledger.db", stack="prod"), tmp_path, REPORT)
    [run] = Ledger(tmp_path / "ledger.db", stack="prod").drift_runs()
    assert run["exit_code"] == 2 and run["stack"] == "prod"
    assert run["counts"] == {"drifted": 1, "unmanaged": 1, "unverified": 0, "overdue": 0,
                             "open_steps": 0, "not_applied": 1}
    assert [(f["finding"], f["name"], f["text"]) for f in run["findings"]] == [
        ("changed", "tb/zhang-wei@tb-shop", "张伟 gains 同意退款 on tb-shop"),
        ("unmanaged", "tb/ghost", "sub-account ghost (not in org.yaml)")]
    assert "role_ids" not in str(run["findings"])  # no property values


def test_a_ledger_that_cannot_be_written_costs_one_line_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # A ledger where none can be: under a file (a read-only credential fails the same way,
    # at the write; file permissions would not stop the root user these tests may run as).
    (tmp_path / "a-file").write_text("")
    record(Ledger(tmp_path / "a-file" / "ledger.db", stack="prod"), tmp_path, REPORT)
    err = capsys.readouterr().err
    assert err.startswith("shoporg drift: the run was not recorded in the ledger (")
    assert err.count("\n") == 1
