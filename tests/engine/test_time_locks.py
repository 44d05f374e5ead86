"""A time lock is found at ``pulumi preview``, not when the apply fails (issue 15.2): removing
a Douyin channel account bound 10 days ago fails the preview with ``org.yaml:LINE:COL`` and
the first allowed date, by the sandbox's clock (``shoporg sandbox clock advance``); once
that day has come the same org.yaml previews as one delete and applies.

Runs the real ``pulumi`` on a copy of the project (``StackProject`` in conftest.py).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

CHANNEL = "youpin_xigua"
NAME = f"dy-youpin-shop/channel/{CHANNEL}"


def test_removing_a_channel_binding_bound_10_days_ago_fails_at_preview_until_day_180(
    project: Any,
) -> None:
    project.up()
    [bound] = [b for b in project.backend().list_bindings("dy-youpin")
               if b.external_id == CHANNEL]
    first = (bound.bound_at + timedelta(days=180)).date().isoformat()
    project.shoporg("sandbox", "clock", "advance", "10d")
    project.edit(lambda org: org.update(
        bindings=[b for b in org["bindings"] if b["external_account"] != CHANNEL]))

    result = project.preview(check=False)
    assert result.returncode != 0
    assert re.search(r"org\.yaml:\d+:\d+: the channel account 'youpin_xigua'", result.output), (
        result.output)
    assert f"can be unbound only from {first}" in result.output
    assert f"in org.yaml until {first}" in result.output and "nothing was changed" in (
        result.output)
    assert CHANNEL in {b.external_id for b in project.backend().list_bindings("dy-youpin")}

    project.shoporg("sandbox", "clock", "advance", "171d")  # 181 days after binding
    assert project.plan() == Counter({("delete", NAME): 1})
    project.up()
    assert CHANNEL not in {b.external_id for b in project.backend().list_bindings("dy-youpin")}
