"""How long a hand-granted refund permission takes to reach the team's chat through
``shoporg watch`` (issue 31).

Run, on the applied project a drift benchmark left (or a new one of ``--size``)::

    .venv/bin/python -m benchmarks.drift --size large --rounds 1 --work /tmp/bench10k
    .venv/bin/python -m benchmarks.watch_latency --work /tmp/bench10k --samples 5

A loopback HTTP server stands for the chat (a generic webhook named in org.yaml's
``policies.notify``); ``shoporg watch`` runs at its default interval (what the stack's
connectors allow). Each sample makes one hand change in the seller centre — a declared
Taobao or Tmall role widened with 同意退款 (``refund-approve``), reaching everyone who holds
it — and measures the time until the chat receives a post naming the role and 同意退款.
Reported: each latency, their median, the watch's interval and its cycle lines. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.drift import run as drift_run
from benchmarks.orggen import add_size_flags
from benchmarks.run import STACK, Project
from shoporg.backends.protocol import RoleSpec

CHAT = "policies:\n  notify:\n    - {name: bench, type: generic, url_env: BENCH_CHAT_URL}\n"


class Chat:
    """A loopback webhook: every post's text and arrival time."""

    def __init__(self) -> None:
        self.posts: list[tuple[float, str]] = []
        chat = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                chat.posts.append((time.perf_counter(), str(body.get("text", ""))))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def measure(project: Project, samples: int, timeout: float) -> dict[str, Any]:
    org = project.root / "org.yaml"
    text = org.read_text(encoding="utf-8")
    if "notify:" not in text:  # the chat, in org.yaml's policies (added if it has none)
        text = text.replace("policies:\n", CHAT, 1) if "policies:\n" in text else text + CHAT
        org.write_text(text, encoding="utf-8")
    chat = Chat()
    backend = project.seller_center().backend
    # The roles a hand edit can widen with 同意退款: the declared ones on TOP's platforms.
    roles = [(a.id, r) for a in backend.list_accounts() if a.platform in ("taobao", "tmall")
             for r in backend.list_roles(a.id) if "refund-approve" not in r.permissions]
    watch = subprocess.Popen(
        [sys.executable, "-m", "shoporg.cli.main", "watch", "--stack", STACK],
        cwd=project.root, env={**project.pulumi.env, "BENCH_CHAT_URL": chat.url},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    assert watch.stderr is not None
    stream = watch.stderr
    threading.Thread(target=lambda: lines.extend(line.rstrip() for line in stream),
                     daemon=True).start()
    latencies: list[float] = []
    try:
        while not any(" watch: " in line and "finding" in line for line in lines):
            time.sleep(0.1)
        for account, role in roles[:samples]:
            # The post names the role ("角色0 … 同意退款") and the people it reaches.
            seen = len(chat.posts)
            backend.update_role(account, RoleSpec(role.id, role.name,
                                                  (*role.permissions, "refund-approve")))
            started = time.perf_counter()

            def told(text: str, name: str = role.name) -> bool:
                return name in text and "同意退款" in text

            while not any(told(t) for _, t in chat.posts[seen:]):
                if time.perf_counter() - started > timeout:
                    raise SystemExit(f"no post about {role.name} within {timeout} s:\n"
                                     + "\n".join(lines[-5:]) + f"\nposts: {chat.posts}")
                time.sleep(0.05)
            arrived = next(at for at, t in chat.posts[seen:] if told(t))
            latencies.append(round(arrived - started, 2))
    finally:
        watch.terminate()
        watch.wait(timeout=60)
    return {"latency_s": latencies, "median_s": statistics.median(latencies),
            "posts": len(chat.posts), "watch_lines": lines[:1] + lines[-3:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_flags(parser)
    parser.add_argument("--work", type=Path,
                        help="a benchmarks.drift work directory (default: a new one)")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shoporg-watch-bench-") as tmp:
        work = args.work or Path(tmp)
        if not (work / "shoporg").is_dir():
            drift_run(args, 1, work)
        result = measure(Project("shoporg", work / "shoporg", {}), args.samples, args.timeout)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
