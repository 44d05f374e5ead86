"""Scenario 3 — bad input: mutated org.yaml files only ever produce the validator's own
``file:LINE:COL: message`` lines, in bounded time and memory, and an engine run of an
invalid file changes nothing (sandbox audit log and stack state untouched).

The properties run on two valid files (the smallest org touching every kind and the repo's
org.yaml). Mutations work on the parsed document (wrong types, missing and unknown keys,
broken references, odd Unicode, huge values) and on the text (anchors, aliases, merge keys,
alias bombs); ``tests/schema/test_fuzz.py`` adds line-level token mutations.
"""

from __future__ import annotations

import copy
import os
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoporg.errors import ConfigError
from shoporg.schema import Org, validate_text
from tests.engine.conftest import REPO, StackProject
from tests.reliability.conftest import audit_rows, report, stack_export

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)

BASES = {
    "small": (REPO / "tests/fixtures/org/valid/small-org-touching-every-kind.yaml").read_text(
        encoding="utf-8"
    ),
    "repo": (REPO / "org.yaml").read_text(encoding="utf-8"),
}
DATA = {name: yaml.safe_load(text) for name, text in BASES.items()}
# The strategies below parse and write YAML through libyaml where PyYAML has it: the
# documents they produce are what is under test, not PyYAML's pure-Python emitter, which
# took most of this module's time (and far more under coverage).
SAFE_DUMPER: type[yaml.SafeDumper] | type[yaml.CSafeDumper] = (
    yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper)

#: Bounds per case. Memory is the real check (deterministic: an expanded alias bomb or a
#: quadratic rule costs hundreds of megabytes). Time is measured and reported; the time
#: bound is only a hang guard, far above any loaded CI machine, never a speed assertion.
MAX_SECONDS = 60.0
MAX_PEAK_BYTES = 64 * 2**20
#: Examples per property: 700 in `make test`; `make check`, the inner loop, runs a tenth
#: (SHOPORG_QUICK_FUZZ=1) and leaves the full count to the suite.
EXAMPLES = 70 if os.environ.get("SHOPORG_QUICK_FUZZ") else 700


@dataclass
class Budget:
    """The worst case seen by one property, for the figures."""

    cases: int = 0
    rejected: int = 0
    slowest: float = 0.0
    traced: int = 0
    peak: int = 0

    def figure(self) -> str:
        return (f"{self.cases} cases ({self.rejected} rejected with issues), slowest "
                f"{self.slowest * 1000:.0f} ms, peak {self.peak / 2**20:.1f} MiB "
                f"(traced {self.traced})")


def check_only_own_errors(text: str, budget: Budget, *, trace: bool | None = None) -> Org | None:
    """The property: an Org, or a ConfigError of well-formed issues; nothing else, fast.

    Memory is traced on every tenth case (tracemalloc slows pydantic several-fold) and on
    every case that asks for it; time is measured on all of them.
    """
    trace = budget.cases % 10 == 0 if trace is None else trace
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        org: Org | None = validate_text(text, "org.yaml")
    except ConfigError as exc:
        org = None
        assert exc.issues, "a ConfigError without issues"
        for issue in exc.issues:
            assert issue.file == "org.yaml" and issue.line >= 1 and issue.column >= 1
            assert issue.message.strip() and "\n" not in issue.message
            assert "Traceback" not in issue.message
            assert str(issue).startswith(f"org.yaml:{issue.line}:{issue.column}: ")
        budget.rejected += 1
    finally:
        elapsed = time.perf_counter() - started
        if trace:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            budget.traced += 1
            budget.peak = max(budget.peak, peak)
    budget.cases += 1
    budget.slowest = max(budget.slowest, elapsed)
    assert elapsed < MAX_SECONDS, f"{elapsed:.2f}s for one file"
    assert budget.peak < MAX_PEAK_BYTES, f"{budget.peak / 2**20:.0f} MiB for one file"
    return org


# --- mutations of the parsed document --------------------------------------------------------

ODD_TEXT = st.sampled_from([
    "", " ", "\u200b", "\u202e张伟", "\ufeff", "e\u0301", "🛒" * 3, "Ω≈ç√", "\x00", "\x7f",
    "\u2028", "a\u0000b", "\ud800", "ｚｈａｎｇ", "zhang wei", "ZHANG", "-", "1", "null",
    "x" * 70, "张" * 10_000, "\t", "::", "优品数码专营:张伟",
]) | st.text(max_size=20)

WRONG_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), ODD_TEXT,
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                         max_size=2),
    st.just("9" * 5000), st.builds(lambda: ["x"] * 500), st.just(10**400),
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a parsed document (keys of mappings, indexes of lists)."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


def at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def mutated_document(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(sorted(DATA)))
    doc = copy.deepcopy(DATA[base])  # a fresh copy
    ids = [v for p in paths(doc) if p and p[-1] == "id" for v in [at(doc, p)]]
    for _ in range(draw(st.integers(1, 4))):
        candidates = [p for p in paths(doc) if p][:3000]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent, key = at(doc, path[:-1]), path[-1]
        action = draw(st.sampled_from(
            ["wrong type", "delete", "unknown key", "dangling reference", "swap reference",
             "odd unicode", "huge list", "duplicate entry"]
        ))
        if action == "wrong type":
            parent[key] = draw(WRONG_VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "unknown key" and isinstance(parent, dict):
            parent[draw(ODD_TEXT | st.sampled_from(["departmnet", "Roles", "id "]))] = 1
        elif action == "dangling reference" and isinstance(parent[key], str):
            parent[key] = parent[key] + draw(st.sampled_from(["-x", "X", " ", "\u200b"]))
        elif action == "swap reference" and isinstance(parent[key], str) and ids:
            parent[key] = draw(st.sampled_from(ids))
        elif action == "odd unicode" and isinstance(parent[key], str):
            parent[key] = draw(ODD_TEXT)
        elif action == "huge list" and isinstance(parent[key], list) and parent[key]:
            # Copies, not shared references: PyYAML would write those as aliases.
            copies = parent[key] * draw(st.sampled_from([2, 10, 50]))
            parent[key] = [copy.deepcopy(item) for item in copies]
        elif action == "duplicate entry" and isinstance(parent, list):
            parent.insert(int(key), copy.deepcopy(parent[int(key)]))
    try:
        return yaml.dump(doc, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, UnicodeEncodeError, ValueError):
        # libyaml cannot write it (a lone surrogate): PyYAML's own emitter escapes it.
        return yaml.safe_dump(doc, allow_unicode=False, sort_keys=False)


# --- mutations of the text: anchors, aliases, merge keys, bombs -------------------------------


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ['lol0: &l0 "lol"']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*l{i - 1}"] * width)
        lines.append(f"lol{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


@st.composite
def aliased_text(draw: st.DrawFn) -> str:
    text = BASES[draw(st.sampled_from(sorted(BASES)))]
    lines = text.splitlines(keepends=True)
    value_lines = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip()
                   .startswith("#")]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.sampled_from(value_lines))
        key, _, value = lines[i].partition(": ")
        kind = draw(st.sampled_from(["anchor", "alias", "merge", "bomb", "self", "tag"]))
        name = draw(st.sampled_from(["a", "x", "张", "a" * 200]))
        if kind == "anchor":
            lines[i] = f"{key}: &{name} {value}"
        elif kind == "alias":
            lines[i] = f"{key}: *{name}\n"
        elif kind == "merge":
            lines[i] = f"{key}: {{<<: *{name}}}\n"
        elif kind == "bomb":
            bomb = billion_laughs(draw(st.integers(2, 12)), draw(st.integers(2, 12)))
            lines.insert(0, bomb)
            lines[i + 1] = f"{key}: *l{draw(st.integers(0, 2))}\n"
        elif kind == "self":
            lines[i] = f"{key}: &{name} [*{name}]\n"
        else:
            tags = ["!!python/object:os.system", "!!binary", "!custom", "!!set"]
            tag = draw(st.sampled_from(tags))
            lines[i] = f"{key}: {tag} {value}"
    return "".join(lines)


FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.large_base_example],
)
BUDGETS = {"document": Budget(), "aliases": Budget(), "bytes": Budget()}


@FUZZ
@given(mutated_document())
def test_mutated_documents_yield_an_org_or_positioned_issues_only(text: str) -> None:
    check_only_own_errors(text, BUDGETS["document"])


@FUZZ
@given(aliased_text())
def test_anchors_aliases_merge_keys_and_bombs_are_refused_fast(text: str) -> None:
    org = check_only_own_errors(text, BUDGETS["aliases"])
    if org is not None:  # an anchor alone is harmless, but no alias may have been expanded
        assert "*" not in "".join(line.split("#")[0] for line in text.splitlines()
                                  if not line.lstrip().startswith("#"))


@FUZZ
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_arbitrary_bytes_and_text_yield_positioned_issues_only(data: bytes | str) -> None:
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    check_only_own_errors(text, BUDGETS["bytes"])


@dataclass(frozen=True)
class Extreme:
    name: str
    text: str


EXTREMES = (
    Extreme("a billion-laughs bomb of 10^9 strings", billion_laughs(9, 10) + BASES["small"]),
    Extreme("a bomb referenced from a member", BASES["small"].replace(
        "name: 张伟", "name: *l9", 1).replace("company:", billion_laughs(9, 10) + "company:", 1)),
    Extreme("nesting 10,000 levels deep", "members: " + "[" * 10_000 + "]" * 10_000 + "\n"),
    Extreme("a 20 MB string", "company: " + "x" * 20_000_000 + "\n"),
    Extreme("a 10^6-digit integer", "company: 1" + "0" * 1_000_000 + "\n"),
    Extreme("20,000 broken members", "company: c\naccounts: []\ndepartments: []\nmembers:\n"
            + "  - {}\n" * 20_000),
    Extreme("a lone surrogate", BASES["small"].replace("张伟", "\ud800", 1)),
    Extreme("a NUL byte", BASES["small"].replace("张伟", "张\x00伟", 1)),
    Extreme("a right-to-left override in an id", BASES["small"].replace(
        "id: zhang-wei", "id: zhang\u202e-wei", 1)),
    Extreme("two documents", BASES["small"] + "---\n" + BASES["small"]),
    Extreme("a python object tag", "company: !!python/object/apply:os.system ['true']\n"),
)


@pytest.mark.parametrize("case", EXTREMES, ids=lambda c: c.name)
def test_extreme_inputs_are_refused_within_budget(case: Extreme) -> None:
    budget = Budget()
    # The big ones get more time (just reading 20 MB is work), never unbounded memory.
    limit = 4 * MAX_SECONDS if len(case.text) > 50_000 else MAX_SECONDS
    started = time.perf_counter()
    try:
        validate_text(case.text, "org.yaml")
    except ConfigError as exc:
        assert all("\n" not in i.message for i in exc.issues)
        budget.rejected += 1
    else:
        pytest.fail("an extreme input was accepted")
    assert time.perf_counter() - started < limit
    if len(case.text) < 50_000:  # tracemalloc on the big ones measures the input itself
        check_only_own_errors(case.text, budget, trace=True)
    report(f"bad input: {case.name}", f"refused in {time.perf_counter() - started:.2f}s")


def test_the_fuzzers_ran_their_cases() -> None:
    """Runs after the properties (file order): the figures, and no silent under-run."""
    total = sum(b.cases for b in BUDGETS.values())
    for name, budget in BUDGETS.items():
        report(f"bad input: {name} mutations", budget.figure())
    report("bad input: fuzzed inputs in total (plus tests/schema/test_fuzz.py's 300)", total)
    if total:  # 0 when this case runs alone (-k); otherwise every property ran in full
        assert total >= len(BUDGETS) * EXAMPLES
        assert total + len(EXTREMES) >= 2000 * EXAMPLES // 700


# --- an engine run of an invalid file changes nothing -------------------------------------------


@dataclass(frozen=True)
class Invalid:
    name: str
    edits: tuple[str, ...]  # each old => new, applied once to the repo org.yaml
    expect: tuple[str, ...]

    def apply(self, valid: str) -> str:
        text = valid
        for edit in self.edits:
            old, new = edit.split("=>")
            assert old in text, old
            text = text.replace(old, new, 1)
        return text


SYNTAX = Invalid("a YAML syntax error",
                 ("company: 杭州优品电子商务有限公司=>company: [unclosed",), ("org.yaml:",))
ALIAS = Invalid("an alias", ("  - id: li-na\n    name: 李娜=>  - id: li-na\n    name: *x",),
                ("alias",))
DANGLING = Invalid("a dangling department",
                   ("department: ops\n    email: yang.lei=>department: opz\n    email: yang.lei",),
                   ("opz",))
QUOTA = Invalid("a seat quota exceeded", ("seat_quota: 12=>seat_quota: 1",), ("seat_quota",))
WRONG_TYPE = Invalid("a wrong type", ("seat_quota: 10=>seat_quota: [ten]",), ("seat_quota",))
#: The validation errors together: the program reports them all at once, before registering.
SEMANTIC = Invalid("a dangling department, a seat quota exceeded and a wrong type at once",
                   DANGLING.edits + QUOTA.edits + WRONG_TYPE.edits,
                   ("opz", "has seat_quota 1", "seat_quota: expected a whole number"))


@pytest.mark.parametrize("case", [SYNTAX, ALIAS, DANGLING, QUOTA, WRONG_TYPE],
                         ids=lambda c: c.name)
def test_each_invalid_edit_is_refused_by_the_validator_with_its_position(case: Invalid) -> None:
    """What the engine runs below refuse, the validator refuses first, with the place."""
    with pytest.raises(ConfigError) as err:
        validate_text(case.apply(BASES["repo"]), "org.yaml")
    text = str(err.value)
    assert all(word in text for word in case.expect), text
    assert all(str(issue).startswith("org.yaml:") for issue in err.value.issues)


@pytest.fixture(scope="module")
def applied(repo_org_applied: StackProject,
            tmp_path_factory: pytest.TempPathFactory) -> StackProject:
    return repo_org_applied.copy_to(tmp_path_factory.mktemp("invalid"))


# The engine adds one thing to the validator's own tests above: a program that fails before
# registering anything changes nothing, whichever command ran it. Two runs prove it: a parse
# error under `preview`, every validation error at once under `up` (they used to be five
# files x {preview, up}, 30 engine processes for the same property).
@pytest.mark.slow
@pytest.mark.parametrize(("case", "command"), [(SYNTAX, "preview"), (SEMANTIC, "up")],
                         ids=lambda c: c.name if isinstance(c, Invalid) else c)
def test_an_engine_run_of_an_invalid_file_changes_nothing(
    applied: StackProject, case: Invalid, command: str
) -> None:
    project = applied
    valid = project.org_file.read_text(encoding="utf-8")
    audit_before = audit_rows(project.sandbox_path)
    # Decrypted: a failed up re-writes the checkpoint, and secrets get fresh ciphertexts.
    state_before = stack_export(project, "--show-secrets")["deployment"]["resources"]
    project.org_file.write_text(case.apply(valid), encoding="utf-8")
    try:
        result = project.up(check=False) if command == "up" else project.preview(check=False)
    finally:
        project.org_file.write_text(valid, encoding="utf-8")
    assert result.returncode != 0
    assert "nothing was changed" in result.output
    assert all(word in result.output for word in case.expect), result.output
    assert "Traceback" not in result.output
    assert audit_rows(project.sandbox_path) == audit_before
    assert stack_export(project, "--show-secrets")["deployment"]["resources"] == state_before
