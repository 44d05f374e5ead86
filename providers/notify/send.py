"""Posting a summary to the team's chats: where the URL and secret are, retries, reports.

A webhook's URL and signing secret come from an environment variable or a stack config key
(a Pulumi secret), as org.yaml's ``policies.notify`` names them; they are never printed: a
failure is one stderr line naming the webhook and what went wrong, in words that hold
neither. A failing webhook never fails the command. 5xx, 429 and connection errors are
retried with exponential backoff, then given up.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TextIO

from shoporg.notify.channels import Message, accepted, request

if TYPE_CHECKING:  # imported when a message is posted: most runs post none
    import httpx

    from shoporg.schema import Webhook

TRIES: Final = 4
BACKOFF: Final = 0.5  # seconds before the 2nd try; doubled each time
TIMEOUT: Final = 10.0

#: Reads a stack config key's (decrypted) value; None when unset.
ConfigReader = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Outcome:
    webhook: str
    ok: bool
    tries: int
    error: str = ""


def _lookup(env_name: str | None, config_key: str | None, env: Mapping[str, str],
            config: ConfigReader | None) -> str | None:
    if env_name is not None:
        return env.get(env_name) or None
    if config_key is not None and config is not None:
        return config(config_key) or None
    return None


def _where(env_name: str | None, config_key: str | None) -> str:
    return f"${env_name}" if env_name else f"stack config {config_key}"


def post(hook: Webhook, message: Message, *, env: Mapping[str, str] | None = None,
         config: ConfigReader | None = None, client: httpx.Client | None = None,
         sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.time) -> Outcome:
    env = os.environ if env is None else env
    url = _lookup(hook.url_env, hook.url_config, env, config)
    if not url:
        return Outcome(hook.name, False, 0, f"no URL in {_where(hook.url_env, hook.url_config)}")
    secret = _lookup(hook.secret_env, hook.secret_config, env, config)
    if (hook.secret_env or hook.secret_config) and not secret:
        return Outcome(hook.name, False, 0, "no signing secret in "
                       f"{_where(hook.secret_env, hook.secret_config)}")
    import httpx  # here, not at the top: most runs post nothing

    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    error = ""
    try:
        for attempt in range(1, TRIES + 1):
            target, body = request(hook.type, url, secret, message, clock())
            retry = False
            try:
                answer = http.post(target, json=body)
            except httpx.HTTPError as exc:  # its message may hold the URL: the type only
                error, retry = f"{type(exc).__name__}", True
            else:
                if answer.status_code >= 500 or answer.status_code == 429:
                    error, retry = f"HTTP {answer.status_code}", True
                elif answer.status_code >= 300:
                    error = f"HTTP {answer.status_code}"
                else:
                    try:
                        data = answer.json()
                    except ValueError:
                        data = None
                    refused = accepted(hook.type, data)
                    if refused is None:
                        return Outcome(hook.name, True, attempt)
                    error = f"refused: {refused}"
            if not retry:
                return Outcome(hook.name, False, attempt, _scrub(error, url, secret))
            if attempt < TRIES:
                sleep(BACKOFF * 2 ** (attempt - 1))
        return Outcome(hook.name, False, TRIES,
                       f"gave up after {TRIES} tries: {_scrub(error, url, secret)}")
    finally:
        if own:
            http.close()


def _scrub(text: str, *values: str | None) -> str:
    for v in values:
        if v:
            text = text.replace(v, "***")
    return text


def announce(hooks: Iterable[Webhook], event: str, message: Message, *,
             env: Mapping[str, str] | None = None, config: ConfigReader | None = None,
             err: TextIO | None = None, **kw: object) -> list[Outcome]:
    """Post ``message`` to every webhook that takes ``event``; report failures on stderr."""
    out: list[Outcome] = []
    stream = err or sys.stderr
    for hook in hooks:
        if event not in hook.events:
            continue
        try:
            result = post(hook, message, env=env, config=config, **kw)  # type: ignore[arg-type]
        except Exception as exc:  # never fail the command because of a chat
            result = Outcome(hook.name, False, 0, type(exc).__name__)
        if not result.ok:
            print(f"shoporg: notify {hook.name} ({hook.type}) failed: {result.error}",
                  file=stream)
        out.append(result)
    return out
