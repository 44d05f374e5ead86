"""``shoporg`` imports only the command it runs: ``--help`` none of them, a command that
starts no engine neither the Pulumi SDK nor the HTTP client, and every command still parses.

Each case runs the parser in a fresh interpreter (this process has imported everything) and
reads ``sys.modules`` there: what is imported is the behaviour, the seconds it costs are
``benchmarks/``' to measure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from shoporg.cli import COMMANDS, Command
from shoporg.cli.main import build_parser

PROBE = """
import json, sys
from shoporg.cli.main import build_parser
try:
    build_parser(sys.argv[1:]).parse_args(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(*argv: str) -> set[str]:
    """The modules a fresh interpreter holds once ``shoporg ARGV`` is parsed."""
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True,
                         text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def command_modules(loaded: set[str]) -> set[str]:
    return {c.module for c in COMMANDS if f"shoporg.cli.{c.module}" in loaded}


@pytest.mark.parametrize(
    ("case", "argv", "imported", "absent"),
    [
        ("the top-level help imports no command, nor the schema", ("--help",), set(),
         {"pydantic", "pulumi", "httpx", "jinja2"}),
        ("the worklist imports neither the Pulumi SDK, the HTTP client nor the schema's "
         "models", ("tasks",), {"tasks"}, {"pulumi", "httpx", "pydantic"}),
        ("the seller centre imports only its own command", ("sandbox", "ls"), {"sandbox"},
         {"pulumi", "httpx"}),
        ("the guarded apply leaves the Pulumi SDK to the engine's processes", ("up", "--help"),
         {"up", "recover"}, {"pulumi", "httpx"}),
        ("drift imports its own command and the HTML report it can write",
         ("drift", "--help"), {"drift", "report"}, {"pulumi", "httpx"}),
        ("an unknown command imports none", ("bogus",), set(), {"pydantic", "pulumi"}),
    ],
)
def test_a_command_imports_only_what_it_needs(
    case: str, argv: tuple[str, ...], imported: set[str], absent: set[str],
) -> None:
    loaded = modules_after(*argv)
    assert command_modules(loaded) == imported, case
    assert not absent & loaded, (case, absent & loaded)


@pytest.mark.parametrize("command", COMMANDS, ids=[c.word for c in COMMANDS])
def test_every_command_is_listed_and_parses_its_own_help(
    command: Command, capsys: pytest.CaptureFixture[str],
) -> None:
    word = command.word
    with pytest.raises(SystemExit) as exc:
        build_parser([word, "--help"]).parse_args([word, "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: shoporg {word} ")
    with pytest.raises(SystemExit):
        build_parser(["--help"]).parse_args(["--help"])
    listing = capsys.readouterr().out
    assert all(c.word in listing and c.help[:30] in " ".join(listing.split())
               for c in COMMANDS)


#: ``shoporg ARGS`` as the console script runs it, with an exit handler of its own (coverage
#: registers one the same way) whose words wait in stdout's buffer (a pipe: block-buffered).
CONSOLE = """
import atexit, sys
atexit.register(lambda: sys.stdout.write("exit handler ran\\n"))
from shoporg.cli.main import console
sys.argv = ["shoporg", *sys.argv[1:]]
console()
"""


@pytest.mark.parametrize(("args", "code"), [(("schema",), 0), (("validate", "missing.yaml"), 1)],
                         ids=["a command whose output fills the pipe's buffer", "a failure"])
def test_the_console_exit_runs_exit_handlers_flushes_output_and_keeps_the_exit_code(
    args: tuple[str, ...], code: int,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.run([sys.executable, "-c", CONSOLE, *args], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout.endswith("exit handler ran\n")  # it ran, and stdout was flushed after
    if code == 0:
        schema = proc.stdout.removesuffix("exit handler ran\n")
        assert json.loads(schema)["title"]  # every byte of the command's own output too
