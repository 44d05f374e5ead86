"""Mutated org.yaml never escapes as anything but ConfigError (no tracebacks for bad input)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoporg.errors import ConfigError
from shoporg.schema import Org, validate_text

BASE = (
    Path(__file__).parents[1] / "fixtures" / "org" / "valid" / "small-org-touching-every-kind.yaml"
).read_text(encoding="utf-8")
LINES = BASE.splitlines(keepends=True)

# Fragments that are meaningful to YAML or to our rules, so mutations hit interesting paths.
TOKENS = [
    ":", "：", "- ", "  ", "[", "]", "{", "}", ",", "&a ", "*a", "!!python/name:os.system ",
    "!!binary ", "? ", "---\n", "...", "#", '"', "'", "\t", "\x00", "~", "null", "yes",
    "2026-02-30", "0x1F", "1e400", ".nan", "id: x\n", "status: left", "roles: [tb-ops]",
    "张伟", "\n", "|\n", ">-\n", "<<: *a\n", "%YAML 1.1\n",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            token = draw(st.sampled_from(TOKENS) | st.text(max_size=3))
            end = at + (draw(st.integers(0, 3)) if action == "replace" else 0)
            lines[i] = line[:at] + token + line[end:]
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_yaml_yields_an_org_or_config_issues_only(text: str) -> None:
    try:
        org = validate_text(text, "org.yaml")
    except ConfigError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.file == "org.yaml"
            assert issue.line >= 1 and issue.column >= 1
            assert issue.message and "\n" not in issue.message
    else:
        assert isinstance(org, Org)
