"""Our ``pulumi-language-python``: the engine's language plugin for Python programs.

Pulumi's own language host is a Go module without tags, and the module proxy here does not
serve its pseudo-versions (DECISIONS.md, 2026-11-23), so we serve the same gRPC
``LanguageRuntime`` service from Python, using the stubs the PyPI SDK ships.

The engine starts ``pulumi-language-python <engine address>``, reads the port from our first
stdout line, then calls ``GetRequiredPackages`` / ``Run`` / ``GetPluginInfo``. ``Run`` starts
``pulumi-language-python-exec`` (:mod:`shoporg.engine.program_runner`) in a child
interpreter, exactly like the Go host, so the program gets a clean process and its output
streams straight to the engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import empty_pb2

from shoporg.engine import ENGINE_VERSION, sdk_protos
from shoporg.engine.program_runner import EXIT_BAIL
from shoporg.engine.watchdog import exit_with_parent

if TYPE_CHECKING:
    from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2
else:  # as the engine's plugin, without the rest of the SDK (sdk_protos says why)
    language_pb2, language_pb2_grpc, plugin_pb2 = sdk_protos.load(__name__ == "__main__")

EXEC_SCRIPT = "pulumi-language-python-exec"


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str) -> None:
        self.engine_address = engine_address
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    # The program's dependencies are the project venv itself; there are no plugin packages
    # to report (dynamic providers use the bundled ``pulumi-python`` resource plugin).
    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=ENGINE_VERSION)

    def About(self, request: Any, context: Any) -> Any:
        v = sys.version_info
        return language_pb2.AboutResponse(
            executable=sys.executable, version=f"{v.major}.{v.minor}.{v.micro}"
        )

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        return language_pb2.GetProgramDependenciesResponse()

    def Cancel(self, request: Any, context: Any) -> Any:
        with self._lock:
            for child in self._children:
                child.terminate()
        return empty_pb2.Empty()

    def kill_children(self) -> None:
        """The engine died: the program it was running cannot finish, stop it now."""
        with self._lock:
            for child in self._children:
                child.kill()

    def Run(self, request: Any, context: Any) -> Any:
        info = request.info
        if info.program_directory:
            program = str(Path(info.program_directory) / (info.entry_point or "."))
        else:
            program = request.program or "."
        # The exec launcher sits beside the venv's python (install.py writes both there).
        launcher = Path(sys.executable).with_name(EXEC_SCRIPT)
        runner = (
            [str(launcher)] if launcher.is_file() else ["-m", "shoporg.engine.program_runner"]
        )
        cmd = [
            sys.executable, "-u", *runner,
            "--monitor", request.monitor_address,
            "--engine", self.engine_address,
            "--project", request.project,
            "--stack", request.stack,
            "--pwd", request.pwd,
            "--dry_run", "true" if request.dryRun else "false",
            "--parallel", str(request.parallel or 1),
        ]
        if request.organization:
            cmd += ["--organization", request.organization]
        if info.root_directory:
            cmd += ["--root_directory", info.root_directory]
        cmd += [program, *request.args]
        env = dict(os.environ)
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        child = subprocess.Popen(cmd, env=env, cwd=request.pwd or None)
        with self._lock:
            self._children.add(child)
        try:
            code = child.wait()
        finally:
            with self._lock:
                self._children.discard(child)
        if code == 0:
            return language_pb2.RunResponse()
        if code == EXIT_BAIL:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {code}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # The engine passes its own address first; flags like -tracing may precede it.
    positional = [a for a in args if not a.startswith("-")]
    engine_address = positional[0] if positional else ""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    host = LanguageHost(engine_address)
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    # A killed engine would otherwise leave us and the program running forever.
    exit_with_parent(on_exit=host.kill_children)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        # The engine interrupts its plugins when it is done with them: a normal shutdown.
        server.stop(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
