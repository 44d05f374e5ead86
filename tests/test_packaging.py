"""The wheel this repository builds: the package ``shoporg``, whole, and nothing else.

The source folder is ``providers/`` (the project layout); it installs under the product's own
name (``pyproject.toml``: ``package-dir``), so a company's environment gains one top-level
package, ``shoporg``, not a generic ``providers`` any other package may claim too. Every
module, template and the ``py.typed`` marker must be in it: a subpackage missing from
``packages`` or a template from ``package-data`` would only fail once installed elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "providers"
SHIPPED = (".py", ".j2", ".typed", ".mod", ".sum")  # .mod, .sum: the engine's Go module


def build_wheel(into: Path) -> Path:
    src = into / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(SOURCE, src / "providers", ignore=shutil.ignore_patterns("__pycache__"))
    uv = Path(sys.executable).with_name("uv")
    proc = subprocess.run([str(uv), "build", "--wheel", "--out-dir", str(into / "dist"),
                           str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [wheel] = (into / "dist").glob("*.whl")
    return wheel


def test_the_wheel_installs_shoporg_with_every_module_and_template_and_no_providers(
    tmp_path: Path,
) -> None:
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        names = set(wheel.namelist())
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = wheel.read(info).decode()
    top = {n.split("/")[0] for n in names if ".dist-info/" not in n}
    assert top == {"shoporg"}
    sources = {f"shoporg/{p.relative_to(SOURCE).as_posix()}" for p in SOURCE.rglob("*")
               if p.is_file() and p.suffix in SHIPPED and "__pycache__" not in p.parts}
    assert sorted(sources - names) == []
    assert "shoporg = shoporg.cli.main:console" in entry_points
