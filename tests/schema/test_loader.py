"""The YAML loader: positions for every node, and hostile or odd YAML fails cleanly."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from shoporg.errors import ConfigError
from shoporg.schema import load_org, validate_text
from shoporg.schema.loader import MAX_DEPTH, load_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "org"

POSITIONS_TEXT = """\
accounts:
  - id: tb
    shops: [{id: 店铺, name: x}]
company: 公司
"""


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        (("accounts",), True, (1, 1)),
        (("accounts", 0), False, (2, 5)),
        (("accounts", 0, "id"), False, (2, 9)),
        (("accounts", 0, "id"), True, (2, 5)),
        (("accounts", 0, "shops", 0, "id"), False, (3, 18)),  # after a Chinese value too
        (("accounts", 0, "shops", 0, "name"), False, (3, 28)),
        (("company",), False, (4, 10)),
        (("accounts", 0, "missing", 3), False, (2, 5)),  # falls back to the enclosing node
    ],
    ids=[
        "a section key is at column one",
        "a list item is at its first key",
        "a value is where it starts",
        "a key is reported at the key",
        "a flow mapping value is found inside brackets",
        "columns count characters not bytes",
        "a top-level value after Chinese text",
        "a missing path falls back to its nearest parent",
    ],
)
def test_loader_records_where_each_node_was_written(
    path: tuple[str | int, ...], key: bool, expected: tuple[int, int]
) -> None:
    loaded = load_text(POSITIONS_TEXT)
    assert loaded.issues == []
    assert loaded.position(path, key=key) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["org.yaml:1:1: the file is empty (expected a mapping)"]),
        ("- a\n- b\n", ["org.yaml:1:1: org.yaml must be a mapping of sections, got a list"]),
        ("~\n", ["org.yaml:1:1: org.yaml must be a mapping of sections, got nothing"]),
        (
            "a: 1\n---\nb: 2\n",
            [
                "org.yaml:2:1: a second YAML document (---) is not allowed "
                "(keep the whole organization in one document)"
            ],
        ),
        (
            "company: !!python/object/apply:os.system [echo]\n",
            ["org.yaml:1:10: YAML tag !!python/object/apply:os.system is not allowed here"],
        ),
        ("company: !!binary aGk=\n", ["org.yaml:1:10: YAML tag !!binary is not allowed here"]),
        (
            "company: x\x07\n",
            [
                "org.yaml:1:11: character U+0007 is not allowed in YAML (delete it; "
                "it is usually an invisible paste artefact)"
            ],
        ),
        (
            "? [a, b]\n: 1\n",
            ["org.yaml:1:3: a key must be plain text, not a collection"],
        ),
    ],
    ids=[
        "an empty file is reported",
        "a top-level list is not an org",
        "a null document is not an org",
        "a second document is refused",
        "python object tags are refused",
        "binary tags are refused",
        "control characters are refused with their position",
        "a collection used as a key is refused",
    ],
)
def test_odd_yaml_is_a_config_error(text: str, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        validate_text(text)
    # Other issues (missing sections) may follow; these lines must be among them.
    lines = [str(i) for i in info.value.issues]
    assert [line for line in lines if line in expected] == expected


BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_billion_laughs_bomb_fails_without_expanding() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as info:
            validate_text(BOMB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Expanded, this is 9**9 strings (gigabytes); refused, it is 72 one-line issues. Memory,
    # not time, tells the two apart on any machine.
    assert peak < 16 * 2**20
    aliases = [i for i in info.value.issues if "alias" in i.message]
    assert len(aliases) == 72
    assert str(aliases[0]) == (
        "org.yaml:2:8: alias *a is not allowed (write the value out in full; "
        "reviewers must see every grant)"
    )


@pytest.mark.parametrize(
    "depth",
    [
        pytest.param(MAX_DEPTH + 10, id="just past our cap, below the parser's own limit"),
        pytest.param(100_000, id="far past Python's recursion limit and libyaml's own limit"),
    ],
)
def test_deep_nesting_is_capped_without_recursion(depth: int) -> None:
    with pytest.raises(ConfigError) as info:
        validate_text("company: " + "[" * depth + "]" * depth + "\n")
    messages = [i.message for i in info.value.issues]
    assert messages == [f"nested deeper than {MAX_DEPTH} levels (flatten it)"]


def test_a_missing_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_org("/nonexistent/org.yaml")
    assert str(info.value) == (
        "/nonexistent/org.yaml:1:1: cannot read the file: No such file or directory"
    )


def test_a_file_that_is_not_utf8_says_where(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_bytes("company: 公司\nmembers: ".encode() + "张伟".encode("gbk") + b"\n")
    with pytest.raises(ConfigError) as info:
        load_org(path)
    assert str(info.value) == f"{path}:2:10: the file is not UTF-8 (save it as UTF-8)"


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    source = FIXTURES / "valid" / "small-org-touching-every-kind.yaml"
    path = tmp_path / "org.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    assert load_org(path).company == "测试贸易有限公司"
