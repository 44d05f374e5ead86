"""The real yaml-language-server (what VS Code's and other editors' YAML support run), for
tests: open YAML documents over its Language Server Protocol (stdio) and read back the
diagnostics it publishes for them against schema/org.schema.json.

``server()`` finds the server in ``~/.cache/shoporg/yaml-language-server/<version>/`` (or
``SHOPORG_YAML_LANGUAGE_SERVER``, the path of its ``bin/yaml-language-server``), installing
it once with ``npm install`` from the npm registry npm is configured with (never into the
repo); without it the test is skipped with the reason, and fails under CI=true.

``yaml_js()`` is the ``yaml`` package that server parses with (YAML 1.2, core schema), run by
node on one plain scalar at a time: an independent reading to hold our loader to.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

# 1.x: 2.x wants node >= 22.13, and Debian's node is 20 (the 1.25 parser is the same `yaml`).
VERSION = "1.25.0"
CACHE = (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shoporg"
         / "yaml-language-server" / VERSION)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed (yaml-language-server runs on it)")
    return str(node)


def server() -> Path:
    if os.environ.get("SHOPORG_YAML_LANGUAGE_SERVER"):
        return Path(os.environ["SHOPORG_YAML_LANGUAGE_SERVER"])
    modules = CACHE / "node_modules"
    bin_ = modules / "yaml-language-server" / "bin" / "yaml-language-server"
    if bin_.exists() and (modules / "yaml").is_dir():
        return bin_
    npm = shutil.which("npm")
    if npm is None:
        _unavailable(f"yaml-language-server {VERSION} is not in {CACHE} and npm is not installed")
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(npm), "install", "--no-audit", "--no-fund", "--no-package-lock", "--silent",
         "--prefix", str(CACHE), f"yaml-language-server@{VERSION}"],
        capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 or not bin_.exists():
        _unavailable(f"npm install yaml-language-server@{VERSION} failed: {done.stderr[-500:]}")
    return bin_


_YAML_JS = """
const YAML = require(process.argv[1]);
const out = JSON.parse(process.argv[2]).map(text => {
  const doc = YAML.parseDocument("v: " + text, {version: "1.2", schema: "core"});
  const v = doc.toJS().v;
  if (typeof v === "number" && !Number.isFinite(v)) return {special: String(v)};
  return {value: v === undefined ? null : v, float: typeof v === "number" && !Number.isInteger(v)};
});
console.log(JSON.stringify(out));
"""


def yaml_js(texts: list[str]) -> list[Any]:
    """How the editor's YAML parser reads each plain scalar (``v: <text>``)."""
    module = server().parents[2] / "yaml"
    done = subprocess.run([_node(), "-e", _YAML_JS, str(module), json.dumps(texts)],
                          capture_output=True, text=True, timeout=60, check=True)
    result: list[Any] = json.loads(done.stdout)
    return result


class _Client:
    """Just enough of an LSP client: requests, notifications, the server's requests."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.responses: dict[int, Any] = {}
        self.seen = threading.Condition()
        self.last = time.monotonic()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        self._next += 1
        ident = self._next
        self._send({"id": ident, "method": method, "params": params})
        with self.seen:
            if not self.seen.wait_for(lambda: ident in self.responses, timeout):
                raise TimeoutError(f"yaml-language-server did not answer {method}")
        return self.responses[ident]

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:  # the server asks us something
                self._send({"id": message["id"], "result": self._answer(message)})
                continue
            with self.seen:
                self.last = time.monotonic()
                if message.get("method") == "textDocument/publishDiagnostics":
                    params = message["params"]
                    self.diagnostics[params["uri"]] = params["diagnostics"]
                elif "id" in message:
                    self.responses[message["id"]] = message.get("result")
                self.seen.notify_all()

    @staticmethod
    def _answer(message: dict[str, Any]) -> Any:
        if message["method"] == "workspace/configuration":
            settings = {"validate": True, "completion": True, "hover": True,
                        "schemaStore": {"enable": False}, "format": {"enable": False}}
            return [settings if item.get("section") == "yaml" else None
                    for item in message["params"]["items"]]
        return None

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except (TimeoutError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()


def diagnostics(schema: Path, documents: dict[str, str], workdir: Path) -> dict[str, list[str]]:
    """Each document's diagnostics (their messages), validated against ``schema`` as an
    editor does: the document names its schema on its first line."""
    client = _Client([_node(), str(server()), "--stdio"])
    try:
        client.request("initialize", {
            "processId": os.getpid(), "rootUri": workdir.as_uri(), "capabilities": {
                "workspace": {"configuration": True},
                "textDocument": {"publishDiagnostics": {}}}})
        client.notify("initialized", {})
        uris: dict[str, str] = {}
        for name, text in documents.items():
            path = workdir / f"{len(uris):03d}.yaml"
            uris[name] = path.as_uri()
            text = f"# yaml-language-server: $schema={schema.as_uri()}\n{text}"
            path.write_text(text, encoding="utf-8")
            client.notify("textDocument/didOpen", {"textDocument": {
                "uri": uris[name], "languageId": "yaml", "version": 1, "text": text}})
        with client.seen:
            # every document answered, then quiet for a moment (a re-validation after the
            # schema loads replaces the first answer)
            def settled() -> bool:
                return (all(u in client.diagnostics for u in uris.values())
                        and time.monotonic() - client.last > 1.0)
            deadline = time.monotonic() + 120
            while not settled():
                if time.monotonic() > deadline:
                    missing = [n for n, u in uris.items() if u not in client.diagnostics]
                    raise TimeoutError(f"no diagnostics from yaml-language-server for {missing}")
                client.seen.wait(0.2)
        return {name: [d["message"] for d in client.diagnostics[uri]]
                for name, uri in uris.items()}
    finally:
        client.close()
