"""A protocol endpoint's life on 127.0.0.1: what the TOP and Kuaishou endpoints share.

Only the serving is shared — a threaded HTTP server bound to loopback, started in a daemon
thread or in the caller's, stopped promptly, and the ``shoporg sandbox serve`` loop around
it. Each protocol's signing, envelope and errors stay its own (``top_*``, ``kuaishou_*``).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol, Self

#: How often the serving loop looks for a stop (socketserver's default is 0.5 s, which made
#: every stop wait up to half a second: 20 s of a unit run's idle time, across the tests that
#: start an endpoint each). Twenty idle wake-ups a second cost nothing measurable.
STOP_POLL_SECONDS = 0.05


class Answer(Protocol):
    """What an endpoint sends back: its bytes, their content type, the HTTP status."""

    @property
    def body(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...
    @property
    def status(self) -> int: ...


class LoopbackHandler(BaseHTTPRequestHandler):
    """What both endpoints' request handlers share: keep-alive connections and prompt
    answers. Each protocol's handler reads and answers requests its own way."""

    # Keep-alive: one thread (and one sandbox connection) per client connection, not per
    # request; an idle connection is dropped after a while.
    protocol_version = "HTTP/1.1"
    timeout = 60

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; without this, Nagle + delayed ACK add
        # ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)


class LoopbackServer:
    """``handler`` served on 127.0.0.1:``port`` (0: any free port)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int, name: str) -> None:
        self._http = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name=name)

    @property
    def base_url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._http.serve_forever(poll_interval=STOP_POLL_SECONDS)

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_until_interrupted(server: LoopbackServer, close: Callable[[], None]) -> int:
    """``shoporg sandbox serve``'s loop: serve in this thread until Ctrl-C, then stop the
    server and ``close`` what it served."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        close()
    return 0
