"""The Pulumi SDK's generated gRPC modules, loaded without the rest of the SDK.

Our language host (:mod:`shoporg.engine.language_host`) needs three generated modules of
the SDK: ``language_pb2``, ``language_pb2_grpc`` and ``plugin_pb2``. Importing them the usual
way runs ``pulumi/__init__.py`` and ``pulumi/runtime/__init__.py`` first — the whole SDK
(outputs, resources, the automation API): about 0.25 s of CPU the host never uses, and the
engine starts the host twice per command (once to ask for the program's plugins, once to run
it), so every ``preview``, ``up`` and ``refresh`` paid it twice.

:func:`load` puts stand-in package modules for ``pulumi``, ``pulumi.runtime`` and
``pulumi.runtime.proto`` — plain modules whose ``__path__`` is the SDK's own folder — into
``sys.modules`` and imports the generated modules beneath them, which import only protobuf,
grpc and each other. Only in a process of its own (``stand_ins=True``, the host's ``__main__``):
a later ``import pulumi`` in that process would find the empty stand-in. In any other process
(a test importing the host) it imports the SDK as usual.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

PACKAGES = ("pulumi", "pulumi.runtime", "pulumi.runtime.proto")
MODULES = ("language_pb2", "language_pb2_grpc", "plugin_pb2")


def _stand_in_packages() -> None:
    spec = importlib.util.find_spec("pulumi")
    if spec is None or not spec.submodule_search_locations:
        return  # no SDK: the import below fails with Python's own message
    root = Path(next(iter(spec.submodule_search_locations)))
    for name in PACKAGES:
        package = types.ModuleType(name, "stand-in: the SDK's folder, not its __init__")
        package.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
        sys.modules[name] = package


def load(stand_ins: bool) -> tuple[types.ModuleType, ...]:
    """``(language_pb2, language_pb2_grpc, plugin_pb2)``."""
    if stand_ins and "pulumi" not in sys.modules:
        _stand_in_packages()
    return tuple(importlib.import_module(f"pulumi.runtime.proto.{m}") for m in MODULES)
