"""The language host as the engine starts it: its own process, the SDK's generated modules
only (not ``pulumi/__init__``), answering the engine's calls."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

from shoporg.engine import ENGINE_VERSION

PROBE = """
import sys
from shoporg.engine import sdk_protos
modules = sdk_protos.load(stand_ins=True)
print(sorted(m.__name__ for m in modules))
print(hasattr(sys.modules["pulumi"], "Output"), "pulumi.output" in sys.modules)
"""


def test_the_generated_modules_load_without_running_the_sdk_s_init() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == [
        "['pulumi.runtime.proto.language_pb2', 'pulumi.runtime.proto.language_pb2_grpc', "
        "'pulumi.runtime.proto.plugin_pb2']",
        "False False",
    ]


def test_in_a_process_that_has_the_sdk_they_are_the_sdk_s_own() -> None:
    from shoporg.engine import sdk_protos

    assert sdk_protos.load(stand_ins=True)[0] is language_pb2  # the SDK is imported here


@pytest.fixture
def host() -> Iterator[language_pb2_grpc.LanguageRuntimeStub]:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "shoporg.engine.language_host", "127.0.0.1:1"],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield language_pb2_grpc.LanguageRuntimeStub(channel)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_the_host_started_as_the_engine_starts_it_answers_the_engine(
    host: language_pb2_grpc.LanguageRuntimeStub,
) -> None:
    assert host.GetPluginInfo(empty_pb2.Empty(), timeout=30).version == ENGINE_VERSION
    about = host.About(language_pb2.AboutRequest(), timeout=30)
    assert about.executable == sys.executable
    assert host.GetRequiredPackages(language_pb2.GetRequiredPackagesRequest(),
                                    timeout=30).packages == []
