"""What the two open-platform connectors share: TOP (:mod:`shoporg.backends.taobao`) and
Kuaishou (:mod:`shoporg.backends.kuaishou`). Each keeps its own signing, envelope, error
table and paging (its ``client.py``) and its own mapping of the protocol (its ``backend.py``);
what is the same for both is here:

* :class:`Target` -- what the caller was doing, so an error can say where and what;
* the retry policy (:func:`call_with_policy`): a throttle is retried after the wait the
  platform asks for (at most ``max_wait``), another transient failure with exponential
  backoff and jitter (:func:`backoff`); a read after any transient failure, a write only
  when the platform *answered* that it did not do it (:class:`Answered`), never after a lost
  connection or a timeout, which may have done it. What is left propagates, and the
  resource layer's own retries (``providers/resources/base.py``) and adoption take over;
* :class:`OpenPlatformClient` -- one ``httpx.Client`` per endpoint, the call counter hook,
  the policy's settings and the translation of httpx's own failures (a timeout, no
  connection) into :class:`~shoporg.errors.TransientError`; :func:`answer_int` and
  :func:`answer_text` read a number or a text out of an answer;
* :class:`AccountReads` -- how many calls a connector made (by method, for benchmarks and
  ``shoporg watch``) and, per account, the listings it read a moment ago, dropped on every
  write to that account;
* :class:`OpenPlatformBackend` -- the connector machinery over both: the accounts and shops
  org.yaml declares (a session or token is one seller and neither platform lists them), a
  runbook manual step, the ``get_*`` lookups over ``list_*``, and the features no open
  platform has an API for (bindings, chat groups: listed empty). It is parameterised by
  the platforms it observes (another platform's account in the directory reads as empty),
  the hint for an account org.yaml does not declare, and how the seats used are counted.
"""

from __future__ import annotations

import random
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypedDict, TypeVar

import httpx

from shoporg.backends.directory import AccountFacts, Directory
from shoporg.backends.protocol import (
    Account,
    Binding,
    BindingSpec,
    ChatGroup,
    ChatGroupSpec,
    Grant,
    Role,
    Shop,
    SubAccount,
)
from shoporg.errors import (
    BackendError,
    NotFoundError,
    RuleViolation,
    ThrottledError,
    TransientError,
)
from shoporg.kinds import BY_WORD, CHAT_GROUP, SHOP_BINDING
from shoporg.platforms.rules import PlatformRule
from shoporg.runbooks import Operation, manual_step

T = TypeVar("T")

#: How many times a call is sent at the most, and the longest throttle wait honoured.
ATTEMPTS = 6
MAX_WAIT_S = 60.0


@dataclass(frozen=True)
class Target:
    """What the caller was doing, so an error can say where and what."""

    kind: str
    name: str
    operation: str


class Answered(Exception):
    """A transient failure the platform *answered* (so nothing was done): retried even for
    a write."""

    def __init__(self, error: TransientError) -> None:
        super().__init__(error.message)
        self.error = error


def answered(error: BackendError) -> Exception:
    """What to raise for a failure the platform answered: a transient one (not a throttle,
    which is retried anyway) as :class:`Answered`, safe to send again; the rest as is."""
    if isinstance(error, TransientError) and not isinstance(error, ThrottledError):
        return Answered(error)
    return error


def backoff(attempt: int) -> float:
    """The wait before attempt ``attempt + 1``: exponential, at most 2 s, with jitter."""
    return float(min(0.1 * 2**attempt, 2.0)) * (0.5 + random.random())


def call_with_policy(once: Callable[[], T], *, read: bool, attempts: int,
                     sleep: Callable[[float], None], max_wait: float) -> T:
    """``once()``, retried while transient (the module docstring): up to ``attempts`` times;
    a failure that is unanswered (a plain :class:`TransientError`) only when ``read``."""
    for attempt in range(1, attempts + 1):
        try:
            return once()
        except ThrottledError as exc:
            # An answered refusal: nothing was done, so a write may be sent again too.
            if attempt == attempts:
                raise
            sleep(min(exc.retry_after, max_wait))
        except Answered as exc:
            if attempt == attempts:
                raise exc.error from None
            sleep(backoff(attempt))
        except TransientError:
            # Unanswered (lost connection, timeout, bare 5xx): a write may have happened.
            if not read or attempt == attempts:
                raise
            sleep(backoff(attempt))
    raise AssertionError("unreachable")


class ConnectionOptions(TypedDict, total=False):
    """How a backend's client reaches its endpoint (defaults: :class:`OpenPlatformClient`)."""

    #: an httpx transport (tests: an in-process gateway); None: the network
    transport: httpx.BaseTransport | None
    #: the clock that stamps every signed request
    now: Callable[[], datetime]
    #: how many times a call is sent at the most (at least 1)
    attempts: int
    #: how a retry waits
    sleep: Callable[[float], None]


class ClientOptions(ConnectionOptions, total=False):
    """A client's own options besides its endpoint, credentials and sign method."""

    #: seconds before a request times out
    timeout: float
    #: called with the method's name before every request sent (the backends' call counts)
    on_call: Callable[[str], None] | None


def answer_int(value: object) -> int:
    """A number in a platform's answer (``7`` or ``"7"``); -1 when it is not one."""
    try:
        return int(str(value))
    except ValueError:
        return -1


def answer_text(value: object) -> str | None:
    """A text field of a platform's answer, stripped; None when missing or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class OpenPlatformClient:
    """The httpx side of a signed client: one ``httpx.Client`` with its connection pool, the
    call hook, the retry settings. A subclass names its platform (for messages), its read
    methods (by suffix) and signs, sends and reads its own envelope.

    Thread-safe; a subclass holds secrets, so it is created in the provider process and
    never pickled.
    """

    #: The platform's name in a message ("TOP timed out").
    platform_name: ClassVar[str]
    #: Methods that change nothing: retried after any transient failure.
    read_suffixes: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        endpoint: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_call: Callable[[str], None] | None = None,
        attempts: int = ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint
        self._now = now
        self._on_call = on_call
        self.attempts = max(1, attempts)
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _retried(self, method: str, once: Callable[[], T]) -> T:
        """``once()`` under the retry policy, as a read when ``method`` is one."""
        return call_with_policy(once, read=method.endswith(self.read_suffixes),
                                attempts=self.attempts, sleep=self._sleep, max_wait=MAX_WAIT_S)

    def _post(self, method: str, url: str, data: Mapping[str, str], target: Target
              ) -> httpx.Response:
        """POST the form ``data``; a timeout or no connection → :class:`TransientError`
        (unanswered: a write may have happened), its message passed through :meth:`_mask`."""
        kind, name, operation = target.kind, target.name, target.operation
        try:
            return self._http.post(url, data=data)
        except httpx.TimeoutException as exc:
            raise TransientError(
                kind, name, operation, self._mask(f"{method}: {self.platform_name} timed out "
                                                  f"({exc})")
            ) from None
        except httpx.TransportError as exc:
            raise TransientError(
                kind, name, operation,
                self._mask(f"{method}: cannot reach {self.platform_name} at {self.endpoint} "
                           f"({exc})"),
            ) from None

    def _mask(self, text: str) -> str:
        """``text`` with any secret it may echo masked (none by default)."""
        return text


class AccountReads:
    """Call counts and a short-lived cache of each account's reads (``ttl`` seconds)."""

    def __init__(self, ttl: float) -> None:
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._generations: dict[str, int] = {}

    def _count(self, method: str) -> None:
        with self._lock:
            self._calls[method] += 1

    @property
    def calls(self) -> Mapping[str, int]:
        with self._lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _memo(self, account_id: str, piece: str, load: Callable[[], T]) -> T:
        key = (account_id, piece)
        with self._lock:
            hit = self._cache.get(key)
            generation = self._generations.get(account_id, 0)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            value: T = hit[1]
            return value
        value = load()
        with self._lock:
            # A read that raced a write to this account may predate it: never cache it, or
            # the writer's own read-back would see the state from before its write.
            if self._generations.get(account_id, 0) == generation:
                self._cache[key] = (time.monotonic(), value)
        return value

    def _wrote(self, account_id: str) -> None:
        with self._lock:
            self._generations[account_id] = self._generations.get(account_id, 0) + 1
            for key in [k for k in self._cache if k[0] == account_id]:
                del self._cache[key]


C = TypeVar("C", bound=OpenPlatformClient)


class OpenPlatformBackend(AccountReads, ABC, Generic[C]):
    """The connector machinery of an open platform's backend, over its client ``_client``
    (set by the subclass, whose ``on_call`` is :meth:`_count`), for the accounts org.yaml
    declares (``directory``)."""

    #: The platforms the connector can read; another platform's account reads as empty.
    observable_platforms: ClassVar[Collection[str]]
    #: What to do about an account org.yaml does not declare (the platform cannot list them).
    undeclared_hint: ClassVar[str]

    _client: C

    def __init__(self, directory: Directory, ttl: float) -> None:
        super().__init__(ttl)
        self.directory = directory

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._client.endpoint!r})"

    def close(self) -> None:
        self._client.close()

    # --- machinery ------------------------------------------------------------------------

    def _facts(self, account_id: str, kind: str = "account", operation: str = "read"
               ) -> AccountFacts:
        facts = self.directory.accounts.get(account_id)
        if facts is None:
            raise NotFoundError(
                kind, account_id, operation,
                f"account {account_id!r} is not declared in org.yaml", self.undeclared_hint,
            )
        return facts

    def _observable(self, account_id: str) -> bool:
        """Whether the platform can read the account (else its lists are empty)."""
        return self._facts(account_id).platform in self.observable_platforms

    def _manual(
        self, account_id: str, kind: str, operation: Operation, name: str,
        fields: Mapping[str, object | None], person: str | None = None, note: str | None = None,
    ) -> BackendError:
        """The runbook step a person does instead (raised by the caller); on a platform whose
        seller centre lacks the kind altogether (its ``Kind.feature``), the refusal of that
        rule instead: there is no page to do it on."""
        platform = self._facts(account_id, kind, operation).platform
        found = BY_WORD.get(kind)
        if found is not None and found.feature is not None \
                and not found.feature.applies_to(platform):
            return self._unsupported(account_id, found.feature, kind, name, operation)
        return manual_step(platform, kind, operation, account_id=account_id, name=name,
                           fields=fields, person=person, note=note)

    def _unsupported(self, account_id: str, rule: PlatformRule[Any], kind: str, name: str,
                     operation: str) -> RuleViolation:
        """The refusal of a feature ``rule`` on an account whose seller centre lacks it."""
        platform = self._facts(account_id, kind, operation).platform
        return RuleViolation(kind, name, operation,
                             f"{platform} account {account_id!r} has no such feature",
                             rule.code, rule.message)

    @abstractmethod
    def _seats_used(self, facts: AccountFacts) -> int:
        """How many seats the (observable) account's sub-accounts take."""

    # --- accounts ----------------------------------------------------------------------------

    def list_accounts(self) -> list[Account]:
        return [a for a in (self.get_account(i) for i in sorted(self.directory.accounts)) if a]

    def get_account(self, account_id: str) -> Account | None:
        facts = self.directory.accounts.get(account_id)
        if facts is None:
            return None
        used = self._seats_used(facts) if facts.platform in self.observable_platforms else 0
        return Account(
            id=facts.id, platform=facts.platform,  # type: ignore[arg-type]
            nick=facts.nick, seat_quota=facts.seat_quota, seats_used=used,
            sub_account_service=True, activated=True, activation_expires_at=None,
            wallet_password_set=False, shops=facts.shops,
        )

    def list_shops(self, account_id: str) -> list[Shop]:
        return list(self._facts(account_id).shops)

    # --- lookups over the listings -------------------------------------------------------------

    @abstractmethod
    def list_roles(self, account_id: str) -> list[Role]: ...

    @abstractmethod
    def list_sub_accounts(self, account_id: str) -> list[SubAccount]: ...

    @abstractmethod
    def list_grants(self, account_id: str) -> list[Grant]: ...

    def get_role(self, account_id: str, role_id: str) -> Role | None:
        return next((r for r in self.list_roles(account_id) if r.id == role_id), None)

    def get_role_by_name(self, account_id: str, name: str) -> Role | None:
        return next((r for r in self.list_roles(account_id) if r.name == name), None)

    def get_sub_account(self, account_id: str, member_id: str) -> SubAccount | None:
        return next((s for s in self.list_sub_accounts(account_id)
                     if s.member_id == member_id), None)

    def get_sub_account_by_login(self, account_id: str, login: str) -> SubAccount | None:
        return next((s for s in self.list_sub_accounts(account_id) if s.login == login), None)

    def get_grant(self, account_id: str, member_id: str, shop_id: str) -> Grant | None:
        return next((g for g in self.list_grants(account_id)
                     if g.member_id == member_id and g.shop_id == shop_id), None)

    # --- bindings and chat groups: no open platform has an API for them ----------------------

    def list_bindings(self, account_id: str) -> list[Binding]:
        self._facts(account_id)
        return []

    def get_binding(self, account_id: str, shop_id: str, external_id: str) -> Binding | None:
        return None

    def list_chat_groups(self, account_id: str) -> list[ChatGroup]:
        self._facts(account_id)
        return []

    def get_chat_group(self, account_id: str, shop_id: str, name: str) -> ChatGroup | None:
        return None

    # Their writes are a person's, or on a platform without the feature its rule's refusal
    # (``_manual``); a new kind no open platform has an API for is written here once.

    def bind(self, account_id: str, spec: BindingSpec) -> Binding:
        raise self._manual(account_id, "shop_binding", "create",
                           SHOP_BINDING.ref(spec.shop_id, spec.kind, spec.external_id).name, {
                               "shop": spec.shop_id, "kind": spec.kind,
                               "account": spec.external_id, "source": spec.source,
                           })

    def unbind(self, account_id: str, shop_id: str, external_id: str) -> None:
        raise self._manual(account_id, "shop_binding", "delete",
                           SHOP_BINDING.ref(shop_id, "*", external_id).name,
                           {"shop": shop_id, "account": external_id})

    def set_chat_group(self, account_id: str, spec: ChatGroupSpec) -> ChatGroup:
        people = [self.directory.person(m, m) for m in spec.member_ids]
        raise self._manual(account_id, "chat_group", "create",
                           CHAT_GROUP.ref(spec.shop_id, spec.name).name,
                           {"shop": spec.shop_id, "group": spec.name, "members": people})

    def delete_chat_group(self, account_id: str, shop_id: str, name: str) -> None:
        raise self._manual(account_id, "chat_group", "delete", CHAT_GROUP.ref(shop_id, name).name,
                           {"shop": shop_id, "group": name})
