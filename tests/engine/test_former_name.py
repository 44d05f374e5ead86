"""State pickled before the package was installed as ``shoporg`` still unpickles in the plugin.

Every object applied before the rename carries its provider pickled by reference as
``providers.resources.<kind>.<Kind>Provider``; the dynamic-provider plugin is what unpickles it
(``tests/engine/test_desired_world.py`` shows it on a real stack). Checked in a process of its
own, away from the checkout (whose ``providers/`` folder is importable by name from its root).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from shoporg.kinds import KINDS

CHECK = """
import importlib, pickle, sys
from shoporg.engine.dynamic_provider import answer_to_former_name
answer_to_former_name()
for path in sys.argv[1:]:
    module, _, name = path.partition(":")
    former = module.replace("shoporg.", "providers.", 1)
    found = pickle.loads(f"c{former}\\n{name}Provider\\n.".encode())
    today = importlib.import_module(module)
    assert found is getattr(today, name + "Provider"), found
    assert sys.modules[former] is today and today.__spec__.name == module, today.__spec__
"""


def test_every_kind_s_provider_pickled_under_the_former_name_unpickles_to_today_s_class(
    tmp_path: Path,
) -> None:
    proc = subprocess.run([sys.executable, "-c", CHECK, *(k.resource for k in KINDS)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_plugin_imports_no_resource_module_before_an_old_pickle_asks(tmp_path: Path) -> None:
    code = ("import sys\n"
            "from shoporg.engine.dynamic_provider import answer_to_former_name\n"
            "answer_to_former_name()\n"
            "early = [m for m in sys.modules if m.startswith('shoporg.resources.')]\n"
            "assert not early, early\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_without_the_aliases_the_former_name_is_not_importable(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", "import providers"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "No module named 'providers'" in proc.stderr
