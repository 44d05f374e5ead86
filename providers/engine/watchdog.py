"""Exit when the engine that started this plugin process is gone.

The engine starts its plugins (our language host, the dynamic-provider server) in process
groups of their own, so a ``kill -9`` of ``pulumi`` (or a CI timeout that kills only the
engine) leaves them running forever, re-parented to init, still holding the sandbox file
and, for the language host, the program process under it. Pulumi's Go plugins health-check
the engine for this reason; ours watch their parent process id, which changes exactly when
the parent dies (POSIX re-parents orphans), and costs one ``getppid`` per interval.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

#: Exit status of a plugin that outlived its engine.
EXIT_ORPHANED = 3


def exit_with_parent(
    on_exit: Callable[[], None] | None = None, interval: float = 0.5
) -> threading.Thread | None:
    """Start a daemon thread that runs ``on_exit`` and exits once the parent has died.

    Returns the thread, or ``None`` when the parent is already init (nothing to watch).
    """
    parent = os.getppid()
    if parent == 1:
        return None

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        try:
            if on_exit is not None:
                on_exit()
        finally:
            os._exit(EXIT_ORPHANED)

    thread = threading.Thread(target=watch, name="shoporg-parent-watchdog", daemon=True)
    thread.start()
    return thread
