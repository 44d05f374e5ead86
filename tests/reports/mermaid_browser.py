"""The real Mermaid in headless Chromium, for tests: render Mermaid sources in a local page
(mermaid.min.js inlined, no network) and read back what the page shows.

``mermaid_js()`` finds Mermaid's browser bundle in ``~/.cache/shoporg/mermaid/<version>/``
(or ``SHOPORG_MERMAID_JS``), fetching it once with ``npm pack`` from the npm registry npm is
configured with; without it the test is skipped with the reason, and fails under CI=true.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from .test_worklist import chromium, dom_and_screenshot

MERMAID_VERSION = "12.3.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shoporg" / "mermaid"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def mermaid_js() -> Path:
    if os.environ.get("SHOPORG_MERMAID_JS"):
        return Path(os.environ["SHOPORG_MERMAID_JS"])
    here = CACHE / MERMAID_VERSION
    bundle = here / "package" / "dist" / "mermaid.min.js"
    if bundle.exists():
        return bundle
    npm = shutil.which("npm")
    if npm is None:
        _unavailable(f"mermaid {MERMAID_VERSION} is not in {here} and npm is not installed")
    here.mkdir(parents=True, exist_ok=True)
    packed = subprocess.run([str(npm), "pack", f"mermaid@{MERMAID_VERSION}", "--silent"],
                            cwd=here, capture_output=True, text=True, timeout=300)
    tarball = here / f"mermaid-{MERMAID_VERSION}.tgz"
    if packed.returncode != 0 or not tarball.exists():
        _unavailable(f"npm pack mermaid@{MERMAID_VERSION} failed: {packed.stderr[-500:]}")
    with tarfile.open(tarball) as tar:
        tar.extract("package/dist/mermaid.min.js", here, filter="data")
    tarball.unlink()
    return bundle


PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>body { background: #0d1117; color: #e6edf3; font-family: "Noto Sans CJK SC", sans-serif; }
</style></head><body>
<div id="diagrams"></div><div id="extra">%(extra)s</div><pre id="result">pending</pre>
<script>%(mermaid)s</script>
<script>
const SOURCES = %(sources)s;
const rgb = c => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
(async () => {
  mermaid.initialize({startOnLoad: false, theme: %(theme)s, securityLevel: "strict"});
  const results = [];
  for (const [i, src] of SOURCES.entries()) {
    const r = {index: i, error: null, labels: [], nodes: []};
    try {
      const {svg} = await mermaid.render("diagram" + i, src);
      const box = document.createElement("div");
      box.innerHTML = svg;
      document.getElementById("diagrams").appendChild(box);
      if (box.querySelector(".error-icon, .error-text")) r.error = box.textContent.slice(0, 300);
      for (const n of box.querySelectorAll("g.node")) {
        const label = n.querySelector(".nodeLabel") || n.querySelector("text");
        const shape = n.querySelector("rect, path, polygon, circle");
        r.nodes.push({id: n.id, classes: n.getAttribute("class"),
                      text: label ? label.textContent : "",
                      color: label ? rgb(getComputedStyle(label).color) : null,
                      fill: shape ? rgb(getComputedStyle(shape).fill) : null});
      }
      r.labels = r.nodes.map(n => n.text);
    } catch (e) { r.error = String(e && e.message || e); }
    results.push(r);
  }
  document.getElementById("result").textContent = JSON.stringify(results);
})();
</script></body></html>"""


def render(sources: list[str], tmp_path: Path, *, theme: str = "dark", extra_html: str = "",
           shot: str = "mermaid.png") -> tuple[list[dict[str, Any]], str]:
    """Render each source; returns per source {error, labels, nodes: [{id, classes, text,
    color, fill}]} and the page's text (for ``extra_html``). A screenshot is kept in the
    test's tmp dir (or ``SHOPORG_ARTIFACTS``)."""
    browser, bundle = chromium(), mermaid_js()
    page = tmp_path / "mermaid.html"
    page.write_text(PAGE % {
        "mermaid": bundle.read_text(encoding="utf-8").replace("</script", "<\\/script"),
        "sources": json.dumps(sources, ensure_ascii=False).replace("</", "<\\/"),
        "theme": json.dumps(theme), "extra": extra_html,
    }, encoding="utf-8")
    dom = dom_and_screenshot(browser, tmp_path, page.as_uri(), shot,
                             "--virtual-time-budget=60000", "--window-size=1600,2400")
    start = dom.index('<pre id="result">') + len('<pre id="result">')
    raw = dom[start:dom.index("</pre>", start)]
    assert raw != "pending", "Mermaid did not finish rendering"
    results = json.loads(html.unescape(raw))
    return results, dom


def contrast(a: list[float], b: list[float]) -> float:
    """WCAG contrast ratio of two sRGB colours."""
    def luminance(c: list[float]) -> float:
        ch = [x / 255 for x in c]
        lin = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
