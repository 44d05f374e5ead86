"""The editor and `shoporg validate` agree (issue 15.14): one table of org.yaml edits, each
checked by `shoporg validate`, by a real JSON Schema validator (the ``jsonschema`` package,
draft 2020-12 with format checks) over the document read as YAML 1.2's core schema reads it,
and by yaml-language-server itself over LSP.

The YAML 1.2 reading is our loader's (the mapping is the table in
providers/schema/loader.py); ``SCALARS`` holds that mapping to the ``yaml`` package the
language server parses with, so the jsonschema side reads what the editor reads.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shoporg.errors import ConfigError
from shoporg.schema import render_json_schema, validate_text
from shoporg.schema.loader import load_text

from . import yaml_language_server as yls

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "org"
BASE = (FIXTURES / "valid" / "small-org-touching-every-kind.yaml").read_text(encoding="utf-8")
SCHEMA = ROOT / "schema" / "org.schema.json"

# sentence -> (text in the every-kind fixture, what replaces it, the validator's message
# fragments; none: the edit is valid). The editor must agree: valid exactly when none.
CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "a seat quota in quotes is an error in both": (
        "seat_quota: 3", 'seat_quota: "3"',
        ("seat_quota: expected a whole number, got the text '3'", "write seat_quota: 3")),
    "a seat quota written true is an error in both": (
        "seat_quota: 3", "seat_quota: true", ("seat_quota: expected a whole number (got true)",)),
    "a seat quota written 3.0 is the whole number 3 in both": (
        "seat_quota: 3", "seat_quota: 3.0", ()),
    "a dispatch flag in quotes is an error in both": (
        "dispatch: true", 'dispatch: "true"',
        ("dispatch: expected true or false, got the text 'true'", "write dispatch: true")),
    "a dispatch flag written yes is an error in both": (
        "dispatch: true", "dispatch: yes",
        ("got the text 'yes' (org.yaml is YAML 1.2", "write dispatch: true")),
    "a dispatch flag written Off is an error in both": (
        "dispatch: true", "dispatch: Off", ("write dispatch: false",)),
    "a dispatch flag written 1 is an error in both": (
        "dispatch: true", "dispatch: 1", ("dispatch: expected true or false (got 1)",)),
    "a dispatch flag written True is a boolean in both": ("dispatch: true", "dispatch: True", ()),
    "a login name written no is text in both": (
        "login_name: zhangwei", "login_name: no", ()),
    "a login name written on is text in both": ("login_name: zhangwei", "login_name: on", ()),
    "a name written 1:30 is text in both (YAML 1.1 read a number)": (
        "name: 王芳", "name: 1:30", ()),
    "a login name written 1_000 is text in both (YAML 1.1 read a number)": (
        "login_name: 王芳", "login_name: 1_000", ()),
    "a login name written as a number is an error in both": (
        "login_name: 王芳", "login_name: 1e3", ("login_name: input should be a valid string",)),
    "a phone number written as a bare number is an error in both": (
        'phone: "13800000003"', "phone: 13800000003",
        ("phone: input should be a valid string",)),
    "an expiry written as a date is a date in both": (
        "expires: 2026-12-31", "expires: 2027-01-31", ()),
    "an expiry in quotes is a date in both": (
        "expires: 2026-12-31", 'expires: "2026-12-31"', ()),
    "an expiry with a time of day is an error in both": (
        "expires: 2026-12-31", "expires: 2026-12-31T10:00", ("has a time of day",)),
    "an expiry that is not a date is an error in both": (
        "expires: 2026-12-31", "expires: next week", ("is not a date",)),
    "a start date written as a date is a date in both": (
        "expires: 2026-12-31", "valid_from: 2026-12-01, expires: 2026-12-31", ()),
    "a start date in quotes is a date in both": (
        "expires: 2026-12-31", 'valid_from: "2026-12-01", expires: 2026-12-31', ()),
    "a start date with a time of day is an error in both": (
        "expires: 2026-12-31", "valid_from: 2026-12-01T09:00, expires: 2026-12-31",
        ("valid_from: '2026-12-01T09:00' has a time of day",)),
    "a start date that is not a date is an error in both": (
        "expires: 2026-12-31", "valid_from: monday, expires: 2026-12-31",
        ("valid_from: 'monday' is not a date",)),
    "a department's role defaults per account are valid in both": (
        "{id: ops, name: 运营部}", "{id: ops, name: 运营部, defaults: {tb: [tb-ops]}}", ()),
    "a department default keyed by something not an id is an error in both": (
        "{id: ops, name: 运营部}", '{id: ops, name: 运营部, defaults: {"TB shop": [tb-ops]}}',
        ("TB shop",)),
    "a removal limit in quotes is an error in both": (
        "policies:\n", 'policies:\n  removal_limits: {overall: "0.2"}\n',
        ("overall: expected a number, got the text '0.2'",)),
    "a removal limit written 1 is a number in both": (
        "policies:\n", "policies:\n  removal_limits: {overall: 1}\n", ()),
    "a shopee shop without a site is an error in both": (
        "{id: sp-sg, name: Test SG, site: SG}", "{id: sp-sg, name: Test SG}",
        ("shopee shop 'sp-sg' has no site",)),
    "a shopee shop with a site of null is an error in both": (
        "{id: sp-sg, name: Test SG, site: SG}", "{id: sp-sg, name: Test SG, site: null}",
        ("shopee shop 'sp-sg' has no site",)),
    "a taobao shop with a site is an error in both": (
        "{id: tb-shop, name: 测试数码店}", "{id: tb-shop, name: 测试数码店, site: MY}",
        ("site is only for shopee shops",)),
    "a channel binding without a source is an error in both": (
        "external_account: test_toutiao, source: toutiao", "external_account: test_toutiao",
        ("a channel binding needs a source",)),
    "an official binding with a source is an error in both": (
        "external_account: test_official", "external_account: test_official, source: douyin",
        ("source is only for channel bindings",)),
    "a taobao role with a shopee permission code is an error in both": (
        "permissions: [ww-chat, trade-view]", "permissions: [ww-chat, chat-reply]",
        ("unknown taobao permission code 'chat-reply'",)),
    "a shopee role with a taobao permission code is an error in both": (
        "permissions: [chat-reply]", "permissions: [ww-chat]",
        ("unknown shopee permission code 'ww-chat'",)),
}

# Every document both sides must accept: the repo org.yaml and every valid fixture.
VALID = {p.name: p.read_text(encoding="utf-8")
         for p in [ROOT / "org.yaml", *sorted((FIXTURES / "valid").glob("*.yaml"))]}


def _edited(case: str) -> str:
    old, new, _ = CASES[case]
    assert BASE.count(old) >= 1, f"{case}: {old!r} is not in the fixture"
    return BASE.replace(old, new, 1)


def _validator_issues(text: str) -> list[str]:
    try:
        validate_text(text, "org.yaml")
    except ConfigError as exc:
        return [str(issue) for issue in exc.issues]
    return []


def _schema_errors(text: str) -> list[str]:
    loaded = load_text(text)
    assert not loaded.issues, loaded.issues
    validator = jsonschema.Draft202012Validator(
        json.loads(render_json_schema()), format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(loaded.data)]


@pytest.mark.parametrize("case", CASES)
def test_shoporg_validate(case: str) -> None:
    issues = _validator_issues(_edited(case))
    fragments = CASES[case][2]
    if not fragments:
        assert issues == []
        return
    assert len(issues) == 1, issues
    [issue] = issues
    assert issue.startswith("org.yaml:") and issue.split(":")[1].isdigit()
    for fragment in fragments:
        assert fragment in issue


@pytest.mark.parametrize("case", CASES)
def test_the_json_schema(case: str) -> None:
    errors = _schema_errors(_edited(case))
    assert bool(errors) == bool(CASES[case][2]), errors


@pytest.mark.parametrize("name", VALID)
def test_a_valid_document_is_valid_in_both(name: str) -> None:
    assert _validator_issues(VALID[name]) == []
    assert _schema_errors(VALID[name]) == []


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    documents = {**{case: _edited(case) for case in CASES}, **VALID}
    return yls.diagnostics(SCHEMA, documents, tmp_path_factory.mktemp("yls"))


@pytest.mark.parametrize("case", CASES)
def test_yaml_language_server(case: str, editor: dict[str, list[str]]) -> None:
    assert bool(editor[case]) == bool(CASES[case][2]), editor[case]


@pytest.mark.parametrize("name", VALID)
def test_a_valid_document_is_valid_in_yaml_language_server(
    name: str, editor: dict[str, list[str]]
) -> None:
    assert editor[name] == []


# A plain scalar -> what YAML 1.2's core schema makes of it (our loader's table).
SCALARS: dict[str, Any] = {
    "true": True, "True": True, "FALSE": False,
    "yes": "yes", "no": "no", "on": "on", "off": "off", "y": "y", "n": "n",
    "12": 12, "-3": -3, "012": 12, "0o17": 15, "0x1F": 31,
    "1_000": "1_000", "0b101": "0b101", "1:30": "1:30",
    "1.5": 1.5, ".5": 0.5, "1e3": 1000.0, "-.inf": -math.inf,
    "~": None, "null": None, "": None,
    "2026-12-31": "2026-12-31", "2026-12-31T10:00:00": "2026-12-31T10:00:00",
}


def test_our_loader_reads_plain_scalars_as_yaml_1_2_core() -> None:
    read = {text: load_text(f"v: {text}").data["v"] for text in SCALARS}
    assert read == SCALARS
    assert {t: type(v) for t, v in read.items()} == {t: type(v) for t, v in SCALARS.items()}


def test_the_editors_yaml_parser_reads_plain_scalars_as_our_loader_does() -> None:
    texts = list(SCALARS)
    for text, got in zip(texts, yls.yaml_js(texts), strict=True):
        want = SCALARS[text]
        if isinstance(want, float) and math.isinf(want):
            assert got == {"special": str(want).replace("inf", "Infinity")}, text
        else:
            assert got["value"] == want, text
            # JSON has one number type: 1e3 is a float here and 1000 there, fine for schemas
            assert isinstance(got["value"], bool) == isinstance(want, bool), text


@pytest.mark.parametrize("text", [t for t, v in SCALARS.items() if isinstance(v, str)]
                         + ["1e3", "0o17", "+1E5", "012", "0x1F", "true", "null", ""])
def test_text_the_importer_writes_reads_back_as_the_same_text(text: str) -> None:
    from shoporg.importer import _flow, _scalar

    assert load_text(f"v: {_scalar(text)}").data["v"] == text
    assert load_text(f"v: {_flow({'k': text})}").data["v"] == {"k": text}
