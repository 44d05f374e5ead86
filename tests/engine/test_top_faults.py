"""The taobao connector through a misbehaving TOP, on the real engine: the repo's org.yaml
against ``shoporg sandbox serve`` twice -- once clean, once with TOP's transient ``isp.*``
errors and call limiting injected (``shoporg sandbox faults set ...``) -- must end in the
same state after an ``up``, hand-made changes and a refresh; a sub-account TOP reports
as punished (status 3) shows in drift as a disabled sub-account instead of failing it; and
a gateway whose clock is a day off refuses every call, which ``shoporg up`` reports in one
line (the cause, which clock to set), never as a traceback.

Slow (two engine projects): run only this file. The rates are per sandbox call, and one
TOP request makes a few of them: 5 % transient and 2 % throttled fail about one request in
seven, which the client's own retries (6 attempts) and the resource layer's absorb.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import StackProject, top_endpoint

FAULTS = (
    "seed=16", "transient_rate=0.05", "throttle_rate=0.02", "retry_after=0",
    "call_limited=isp",
    "isp_sub_codes=isp.top-remote-service-unavailable,isp.remote-connection-error,"
    "isp.top-remote-unknown-error,isp.service-error,isp.top-remote-connection-timeout",
)


def end_state(project: StackProject) -> dict[str, Any]:
    """What must not depend on faults: each resource's status and open step, and the
    sandbox's roles and sub-accounts."""
    backend = project.backend()
    return {
        "resources": {
            name: (outs.get("status"), (outs.get("manual_step") or {}).get("operation"))
            for name, outs in project.outputs().items()
        },
        "roles": sorted((a, r.name, tuple(r.effective)) for a in ("tb-youpin", "tm-youpin")
                        for r in backend.list_roles(a)),
        "subs": sorted((a, s.member_id, s.status, s.dispatch)
                       for a in ("tb-youpin", "tm-youpin")
                       for s in backend.list_sub_accounts(a)),
    }


def week(project: StackProject) -> dict[str, Any]:
    """up, a person's hand changes, a refresh, up again: the end state."""
    project.up()
    hand = project.shoporg
    hand("sandbox", "dept", "add", "tb-youpin", "cs", "客服部")
    hand("sandbox", "dept", "add", "tb-youpin", "cs-presale", "售前", "--parent", "cs")
    hand("sandbox", "dept", "add", "tb-youpin", "cs-aftersale", "售后", "--parent", "cs")
    hand("sandbox", "sub", "create", "tb-youpin", "zhang-wei", "优品数码专营:张伟", "--name",
         "张伟", "--department", "cs-presale", "--phone", "13800010001", "--dispatch")
    hand("sandbox", "sub", "create", "tb-youpin", "hu-jun", "优品数码专营:胡军", "--name", "胡军",
         "--department", "cs-aftersale")
    project.pulumi.run("refresh", "--yes", "--skip-preview")
    project.up()  # disables the leaver hu-jun through taobao.subuser.info.update
    return end_state(project)


@pytest.fixture(scope="module")
def clean(engine: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = StackProject(tmp_path_factory.mktemp("top-clean"))
    with top_endpoint(project):
        return week(project)


@pytest.fixture(scope="module")
def faulty(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    project = StackProject(tmp_path_factory.mktemp("top-faults"))
    with top_endpoint(project):
        project.shoporg("sandbox", "faults", "set", *FAULTS)
        # `shoporg drift` lists live objects through the backend itself, outside the engine,
        # with the credentials top_endpoint put in stack config (secrets decrypted as the
        # engine does): no SHOPORG_TAOBAO_* here.
        yield project


def test_injected_isp_errors_and_call_limiting_end_in_the_clean_runs_state(
    clean: dict[str, Any], faulty: StackProject,
) -> None:
    assert "isp.call-limited" not in json.dumps(clean)
    assert week(faulty) == clean
    assert clean["subs"] and clean["roles"]
    assert ("tb-youpin", "hu-jun", "disabled", False) in clean["subs"]


def test_a_punished_sub_account_shows_in_drift_as_punished_instead_of_failing_it(
    faulty: StackProject,
) -> None:
    faulty.shoporg("sandbox", "faults", "set", "transient_rate=0", "throttle_rate=0",
                   "top_statuses=tb-youpin/zhang-wei=3")
    report = faulty.shoporg("drift", "--format", "json", check=False)
    assert report.returncode == 2, report.stdout + report.stderr  # drift, not an error (1)
    drift = json.loads(report.stdout)
    changed = [d for d in drift["drifted"] if d["name"] == "tb-youpin/zhang-wei"]
    assert changed, drift
    assert {"property": "enabled", "declared": True, "live": False} in changed[0]["fields"]
    assert "punished (处罚)" in changed[0]["text"]  # the platform's own word, not just "off"


def test_a_gateway_a_day_off_is_one_line_naming_the_clocks_never_a_traceback(
    faulty: StackProject,
) -> None:
    faulty.shoporg("sandbox", "clock", "advance", "1d")  # the gateway's clock is the sandbox's
    try:
        result = faulty.shoporg("up", check=False)
    finally:
        faulty.shoporg("sandbox", "clock", "reset")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    lines = [x for x in output.splitlines() if "TOP refused the request's timestamp" in x]
    assert lines, output
    for line in lines:  # the cause and what to do, on the line itself
        assert "this machine's clock" in line and "is 1 day behind the gateway's" in line
        assert "`shoporg sandbox clock show`" in line  # against the sandbox, its clock
