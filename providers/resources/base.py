"""What every shoporg resource kind shares: args checking, identity-driven diffs, bulk
reads, retries and the backend connection.

A kind module (``department.py``, ``sub_account.py``, ...) declares:

* ``Args``: the pydantic model of its inputs (``extra="forbid"``); ``check()`` turns every
  validation error into a ``CheckFailure``;
* ``identity``: the input names that force a replacement when they change (a Taobao login,
  the shop of a binding, the account an object lives in); everything else updates in place
  and the engine computes the per-property diff for ``preview --diff``;
* ``create/read/update/delete`` in terms of the narrow backend protocol.

Providers are pickled by reference into state (they live in this installed package) and
carry nothing but class identity: the backend settings arrive in ``configure()`` from stack
config, and clients are opened per process (:func:`open_backend`).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Hashable
from typing import Any, ClassVar, Generic, Self, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime import rpc
from pydantic import BaseModel, ConfigDict, ValidationError

from shoporg.backends.ledger.store import LedgerError
from shoporg.backends.protocol import Backend
from shoporg.backends.retry import call_with_retries
from shoporg.backends.settings import (
    BackendSettings,
    configure_from,
    ledger_of,
    open_backend,
)
from shoporg.errors import (
    BackendError,
    ConflictError,
    ManualStepRequired,
    NotFoundError,
    RuleViolation,
)
from shoporg.platforms import PLATFORM_OF_RULE, RULE_SHOPEE_NOT_ACTIVATED
from shoporg.runbooks import manual_step

T = TypeVar("T")
ArgsT = TypeVar("ArgsT", bound="KindArgs")
LiveT = TypeVar("LiveT")
PROVIDER_KEY = "__provider"




def _is_unknown(value: Any) -> bool:
    """Whether a prop (or an element of a list prop) is a preview-time unknown."""
    if isinstance(value, list):
        return any(_is_unknown(v) for v in value)
    return isinstance(value, str) and value == rpc.UNKNOWN


class KindArgs(BaseModel):
    """Base of every kind's inputs: strict, immutable, nothing unknown.

    Fields use org.yaml's own constrained types (``shoporg.schema.models.Id``, ``Email``,
    ...), so ``check()`` holds props to exactly the rules ``shoporg validate`` applies."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BulkReadCache:
    """One ``list_*`` call per (backend, kind, account) per provider process.

    A refresh of N resources of one kind on one account then costs one backend read, not
    N. Writes invalidate their key, so a read after a write in the same run sees it.
    ``SHOPORG_BULK_READS=0`` turns it off (every read lists again; the benchmark's
    "typical provider" baseline).
    """

    def __init__(self) -> None:
        self._data: dict[Hashable, dict[Any, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    @staticmethod
    def enabled() -> bool:
        return os.environ.get("SHOPORG_BULK_READS", "1") != "0"

    def clear(self) -> None:
        """Forget every listing: a process that reads again later (``shoporg watch``'s next
        cycle) must see the account system as it is then."""
        with self._guard:
            self._data.clear()

    def get(self, key: Hashable, load: Callable[[], dict[Any, Any]]) -> dict[Any, Any]:
        if not self.enabled():
            return load()
        # A listing held is returned without the locks (a dict read is atomic): a refresh
        # of 10,000 objects asks 10,000 times for about a hundred listings. A reader the
        # locks would have queued behind an invalidation gets the listing from before it,
        # as it would have had it asked a moment earlier.
        cached = self._data.get(key)
        if cached is not None:
            return cached
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        # Per-key lock: N concurrent reads of one account trigger exactly one list call.
        with lock:
            cached = self._data.get(key)
            if cached is None:
                cached = load()
                self._data[key] = cached
            return cached

    def invalidate(self, key: Hashable) -> None:
        # Under the key's lock, like put(): a listing loading while our write committed
        # may predate it, so it must be dropped after it is stored, not before.
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            self._data.pop(key, None)

    def put(self, key: Hashable, item: Hashable, value: Any) -> None:
        """Our own write of one object, into a listing already held (``value`` None: gone).

        Under the key's lock, so a listing being loaded while the write committed is
        finished first and then amended. A key not loaded yet stays so: its listing will
        see the write."""
        if not self.enabled():
            return
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            cached = self._data.get(key)
            if cached is None:
                return
            if value is None:
                cached.pop(item, None)
            else:
                cached[item] = value


READ_CACHE = BulkReadCache()

#: Outputs of a resource waiting for a manual step (see ObjectProvider._pending): ``status``
#: "pending", ``runbook`` (the text), ``manual_step`` (platform, kind, operation, account,
#: object, page, person, fields) for the review report.
MANUAL_OUTPUTS = ("status", "runbook", "manual_step")


class KindProvider(ResourceProvider):
    """Shared dynamic-provider behaviour; subclasses implement the CRUD of one kind."""

    # Nothing secret is ever captured in a provider object (credentials arrive in
    # configure()), so the pickled provider need not be encrypted in state.
    serialize_as_secret_always = False

    kind: ClassVar[str]
    #: Outputs the engine keeps secret in state (``additional_secret_outputs``); also how
    #: ``shoporg recover`` marks them when it replays the step journal.
    secret_outputs: ClassVar[tuple[str, ...]] = ()
    args_model: ClassVar[type[KindArgs]]
    identity: ClassVar[tuple[str, ...]]

    def configure(self, req: ConfigureRequest) -> None:
        # Credentials in the same config (the TOP secret and session) are kept by
        # configure_from in a per-process registry, never on this (pickled) object.
        self._settings = configure_from(lambda key: req.config.get(f"shoporg:{key}"))

    @classmethod
    def serving(cls, settings: BackendSettings) -> Self:
        """A provider with ``settings``, as the engine's ``configure()`` leaves it: for
        code that runs a provider outside the engine (engine-free drift)."""
        provider = cls()
        provider._settings = settings
        return provider

    @property
    def settings(self) -> BackendSettings:
        settings: BackendSettings | None = getattr(self, "_settings", None)
        if settings is None:  # configure() not called (unit tests): environment defaults
            settings = BackendSettings.from_config(lambda key: None)
            self._settings = settings
        return settings

    def backend(self) -> Backend:
        return open_backend(self.settings)

    # -- inputs ---------------------------------------------------------------------------

    @classmethod
    def input_names(cls) -> tuple[str, ...]:
        return _field_names(cls.args_model)

    @classmethod
    def inputs_of(cls, props: dict[str, Any]) -> dict[str, Any]:
        names = _field_set(cls.args_model)
        return {k: v for k, v in props.items() if k in names}

    def parse(self, props: dict[str, Any]) -> Any:
        return self.args_model.model_validate(self.inputs_of(props))

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        declared = {k: v for k, v in news.items() if k != PROVIDER_KEY and v is not None}
        extra = sorted(declared.keys() - _field_set(self.args_model) - set(self.output_names()))
        failures = [CheckFailure(k, f"unknown property {k!r} for {self.kind}") for k in extra]
        # During a preview, inputs fed by other resources' outputs may not be known yet;
        # they are checked when they are (at apply time), not reported as missing now.
        pending = {k for k, v in declared.items() if _is_unknown(v)}
        known = {k: v for k, v in self.inputs_of(news).items() if k not in pending}
        try:
            self.args_model.model_validate(known)
        except ValidationError as exc:
            for err in exc.errors():
                if err["loc"] and err["loc"][0] in pending:
                    continue
                where = ".".join(str(p) for p in err["loc"]) or self.kind
                failures.append(CheckFailure(where, f"{self.kind}: {err['msg']}"))
        return CheckResult(news, failures)

    @classmethod
    def output_names(cls) -> tuple[str, ...]:
        return ()

    # -- diff -----------------------------------------------------------------------------

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = self.inputs_of(olds), self.inputs_of(news)
        changed = [k for k in self.input_names() if old.get(k) != new.get(k)]
        replaces = [k for k in changed if k in self.identity]
        return DiffResult(
            # A manual step not seen done yet is a change: each `up` looks again (the
            # ledger's confirmation or the platform's read-back), and the preview lists
            # exactly the steps still open.
            changes=bool(changed) or _waiting(olds),
            replaces=replaces,
            stables=[k for k in self.identity if k not in changed],
            delete_before_replace=self.delete_before_replace,
        )

    #: Two objects with one identity cannot coexist in an account system keyed by org.yaml
    #: ids, so a replacement removes the old one first.
    delete_before_replace: ClassVar[bool] = True

    # -- helpers for subclasses -------------------------------------------------------------

    def cached(self, account_id: str, load: Callable[[], dict[Any, Any]]) -> dict[Any, Any]:
        key = (self.settings, self.kind, account_id)
        return READ_CACHE.get(key, lambda: call_with_retries(load))

    def wrote(self, account_id: str) -> None:
        READ_CACHE.invalidate((self.settings, self.kind, account_id))

    def remember(self, account_id: str, key: Hashable, live: Any) -> None:
        """A create's object (or ``None``: a delete's) into this account's listing."""
        READ_CACHE.put((self.settings, self.kind, account_id), key, live)

    def fail(self, name: str, operation: str, message: str, hint: str = "") -> BackendError:
        return BackendError(self.kind, name, operation, message, hint)


# A kind's field names, asked for three times per resource in a drift of 10,000 (pydantic
# builds ``model_fields`` through a descriptor on every access).
@functools.cache
def _field_names(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


@functools.cache
def _field_set(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(model.model_fields)


def _waiting(props: dict[str, Any]) -> bool:
    """Whether a resource waits for a manual step (its outputs carry the step)."""
    return props.get("status") == "pending" and bool(props.get("manual_step"))


#: The status of an object org.yaml declares but does not need made (a leaver's login that
#: was never created): no step, no runbook, nothing live.
ABSENT = "absent"


def _absent(props: dict[str, Any]) -> bool:
    return props.get("status") == ABSENT


def _asked_for(props: dict[str, Any]) -> bool:
    """Whether the object was left to a person (waiting), or not needed made (absent): its
    next update looks again, exactly as a create does."""
    return _waiting(props) or _absent(props)


def _same(live: dict[str, Any], declared: dict[str, Any]) -> bool:
    """Equal as sets where a value is a list (role ids, codes, members: order is ours)."""
    def norm(value: Any) -> Any:
        return sorted(value) if isinstance(value, list | tuple) else value

    return {k: norm(v) for k, v in live.items()} == {k: norm(v) for k, v in declared.items()}


class ObjectProvider(KindProvider, Generic[ArgsT, LiveT]):
    """CRUD for a kind that maps one resource to one account-system object.

    Subclasses say how to name, list, read, write and describe the object; this class
    gives every kind the same semantics:

    * ``create`` adopts an identical object a crashed run left behind, refuses a different
      one with the same identity, and otherwise creates;
    * ``read`` goes through the bulk cache, returns live inputs *and* outputs (so
      ``preview --refresh`` shows drift) and drops a vanished object (not an error);
    * ``delete`` of a missing object succeeds.
    """

    # -- what a kind provides ------------------------------------------------------------------

    def object_name(self, args: ArgsT) -> str:
        raise NotImplementedError

    def key(self, args: ArgsT) -> Hashable:
        raise NotImplementedError

    def list_live(self, backend: Backend, account_id: str) -> dict[Hashable, LiveT]:
        raise NotImplementedError

    def get_live(self, backend: Backend, args: ArgsT) -> LiveT | None:
        raise NotImplementedError

    def live_inputs(self, live: LiveT) -> dict[str, Any]:
        raise NotImplementedError

    def live_outputs(self, live: LiveT, props: dict[str, Any]) -> dict[str, Any]:
        """Outputs beyond the inputs (status, dates, runbook). ``props`` are the old ones."""
        return {}

    def create_live(self, backend: Backend, args: ArgsT) -> tuple[LiveT, dict[str, Any]]:
        """Create the object; return it and any create-only outputs (e.g. a password)."""
        raise NotImplementedError

    def update_live(self, backend: Backend, args: ArgsT, live: LiveT | None) -> LiveT:
        raise NotImplementedError

    def delete_live(self, backend: Backend, args: ArgsT) -> None:
        raise NotImplementedError

    def waiting_step(self, args: ArgsT, refused: RuleViolation) -> ManualStepRequired | None:
        """The pending step for a create the platform refuses until a third party acts
        (``shoporg.platforms.RULE_*``), or None when the refusal is a real failure.

        Every kind: nothing can be created under a Shopee main account its holder has not
        activated; it waits for the (fresh) activation link, then the next ``up`` goes on."""
        if refused.rule != RULE_SHOPEE_NOT_ACTIVATED:
            return None
        return manual_step(
            PLATFORM_OF_RULE[refused.rule], self.kind, "create", account_id=self._account(args),
            name=self.object_name(args), person=self.step_person(args),
            waits_on="activation", note=refused.message, fields=self.step_fields(args),
        )

    def step_person(self, args: ArgsT) -> str | None:
        """Whom a step for this object is for, as a runbook names them."""
        return None

    def not_needed(self, backend: Backend, args: ArgsT) -> str | None:
        """Why a create no API can do needs no step at all (e.g. a leaver's login that was
        never made), or None when a person must make it. Consulted only for manual creates:
        where an API creates, nothing waits on anyone."""
        return None

    def with_unknowns(self, live: LiveT, args: ArgsT) -> LiveT:
        """The live object with what the account system cannot tell (yet) filled in from
        the declaration, so that not knowing is never read as a change."""
        return live

    def step_fields(self, args: ArgsT) -> dict[str, object | None]:
        """The values a person enters for this object (its declared inputs by default)."""
        return {k: v for k, v in args.model_dump().items() if k != "account_id"}

    def adoptable(self, live: LiveT, args: ArgsT) -> bool:
        """Whether an existing object is what a crashed run of this create left behind."""
        return self.live_inputs(live) == args.model_dump()

    # -- the generic CRUD -------------------------------------------------------------------

    def _account(self, args: ArgsT) -> str:
        account: str = getattr(args, "account_id")  # noqa: B009 - every kind has one
        return account

    def _outs(self, live: LiveT, props: dict[str, Any]) -> dict[str, Any]:
        return {**self.live_inputs(live), **self.live_outputs(live, props)}

    def create(self, props: dict[str, Any]) -> CreateResult:
        args: ArgsT = self.parse(props)
        return CreateResult(id_=self.object_name(args), outs=self._create_or_adopt(args, {}))

    def _create_or_adopt(self, args: ArgsT, olds: dict[str, Any]) -> dict[str, Any]:
        """Create the object, or adopt an identical one (a crashed run's, or a manual step
        done since): the outputs. ``olds``: the outputs so far (a pending resource's)."""
        backend = self.backend()
        name = self.object_name(args)
        account = self._account(args)
        existing = self._existing(backend, args)
        replacing = existing is not None and not self._same_identity(existing, args) \
            and self._removal_open(args)
        if replacing:
            existing = None  # the replaced object awaits its removal step: create beside it
        extra: dict[str, Any] = {}
        created = False
        if existing is None:  # create; an object found meanwhile is adopted below
            try:
                live, extra = call_with_retries(lambda: self.create_live(backend, args))
                created = True
                if replacing:
                    # The account system answered with the object being replaced (roles it
                    # keys by person, not by login): the new one is still a person's to make
                    # (or nobody's: the grant of a leaver's renamed login).
                    return self._to_make(backend, args, olds,
                                         self._replacement_step(backend, args))
            except ManualStepRequired as step:
                return self._to_make(backend, args, olds, step)
            except ConflictError:
                # The listing predates the object (made since, by hand or by another run):
                # read it, and adopt or refuse it below as if the listing had shown it.
                existing = call_with_retries(lambda: self.get_live(backend, args))
                if existing is None:
                    raise
            except RuleViolation as refused:
                # Refused until a third party acts (a creator's consent, an activation):
                # a pending step with its runbook, not a failed apply.
                waiting = self.waiting_step(args, refused)
                if waiting is None:
                    raise
                return self._pending(args, olds, waiting)
        if existing is not None:
            existing = self.with_unknowns(existing, args)
            if self._same_identity(existing, args) and self._removal_open(args):
                # Declared again while its removal was still open: keep it, drop the removal.
                ledger_of(self.settings).withdraw(self.kind, name, "org.yaml declares it again",
                                                  operations=("delete",))
            if not self.adoptable(existing, args) and not (
                    _asked_for(olds) and self._same_identity(existing, args)):
                # (A person asked to make it made it, or the step was an update: the same
                # identity is ours, and the update below asks for what still differs.)
                raise ConflictError(
                    self.kind, name, "create",
                    f"a different {self.kind} already exists with this identity: "
                    f"{self.live_inputs(existing)}",
                    "change or remove it in the seller centre, or choose another id in "
                    "org.yaml",
                )
            try:
                live = call_with_retries(lambda: self.update_live(backend, args, existing))
            except ManualStepRequired as step:
                return self._pending(args, olds, step)
        if created:
            self.remember(account, self.key(args), live)
        else:
            self.wrote(account)
        kept = {k: olds[k] for k in self.kept_outputs if k in olds}
        outs = {**self._outs(live, olds), **kept, **extra}
        return {**outs, **self._settled(olds, outs)} if olds else outs

    def _replacement_step(self, backend: Backend, args: ArgsT) -> ManualStepRequired:
        account = self._account(args)
        found = backend.get_account(account)
        return manual_step(found.platform if found else "unknown", self.kind, "create",
                           account_id=account, name=self.object_name(args),
                           person=self.step_person(args), fields=self.step_fields(args))

    def _removal_open(self, args: ArgsT) -> bool:
        return any(s.operation == "delete" for s in
                   ledger_of(self.settings).open_steps_of(self.kind, self.object_name(args)))

    def _same_identity(self, live: LiveT, args: ArgsT) -> bool:
        ours = args.model_dump()
        theirs = self.live_inputs(live)
        return all(theirs.get(k) == ours.get(k) for k in self.identity)

    def _existing(self, backend: Backend, args: ArgsT) -> LiveT | None:
        """The live object a create would collide with. With bulk reads, from the
        account's listing (one list call per kind and account per process, amended by our
        own creates), so an ``up`` of N objects costs N writes, not N reads and N writes;
        without (``SHOPORG_BULK_READS=0``), one read per create."""
        if not READ_CACHE.enabled():
            return call_with_retries(lambda: self.get_live(backend, args))
        return self._listed(backend, args)

    def _listed(self, backend: Backend, args: ArgsT) -> LiveT | None:
        """The object as its account's listing (the bulk read cache) shows it."""
        account = self._account(args)
        found: LiveT | None = self.cached(
            account, lambda: self.list_live(backend, account)).get(self.key(args))
        return found

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        args: ArgsT = self.parse(props)
        backend = self.backend()
        live = self._listed(backend, args)
        pending = props.get("status") == "pending" and bool(props.get("manual_step"))
        if live is None:
            if pending or _absent(props):
                # A manual step not done yet, or an object org.yaml does not need made: keep
                # it, its runbook and our inputs.
                return ReadResult(id_, props, self.inputs_of(props))
            return ReadResult(None, {})
        live = self.with_unknowns(live, args)
        kept = {k: props[k] for k in self.kept_outputs if k in props}
        outs = {**self._outs(live, props), **kept}
        if pending and not _same(self.live_inputs(live), args.model_dump()):
            # Visible, but not (yet) as the runbook asked: still pending, and the live values
            # show, so the next preview plans the rest.
            outs.update({k: props.get(k) for k in MANUAL_OUTPUTS})
        elif _absent(props):
            # Nobody was asked to make it, yet it is there (made by hand): shown as it is,
            # and the next up converges it like any live object.
            outs.update({"runbook": None, "manual_step": None})
        else:
            outs.update(self._settled(props, outs))
        return ReadResult(id_, outs, self.live_inputs(live))

    # -- manual steps ------------------------------------------------------------------------

    def _pending(
        self, args: ArgsT, olds: dict[str, Any], step: ManualStepRequired
    ) -> dict[str, Any]:
        """Outputs of a create/update no API can do: the declared inputs, ``status:
        pending``, the runbook text and its structured form. Never reported as done."""
        recorded = self._record(args, step, args.model_dump())
        outs: dict[str, Any] = {name: None for name in self.output_names()}
        outs.update({k: olds[k] for k in self.kept_outputs if k in olds})
        outs.update(args.model_dump())
        outs.update({
            "status": "pending",
            "runbook": step.runbook.text,
            "manual_step": {**step.runbook.as_output(), "step": recorded.id},
        })
        return outs

    def _to_make(self, backend: Backend, args: ArgsT, olds: dict[str, Any],
                 step: ManualStepRequired) -> dict[str, Any]:
        """A create no API can do: ``step`` raised (pending), or the object ``absent`` where
        :meth:`not_needed` says nobody needs it made."""
        reason = self.not_needed(backend, args)
        if reason is not None:
            return self._not_made(args, olds, reason)
        return self._pending(args, olds, step)

    def _not_made(self, args: ArgsT, olds: dict[str, Any], reason: str) -> dict[str, Any]:
        """Outputs of an object nobody needs to make: its open steps to make or change it are
        withdrawn with the reason, and it stays ``absent`` (no runbook) until org.yaml needs
        it made again. An open removal stays: under a renamed login, the old one is live."""
        ledger_of(self.settings).withdraw(self.kind, self.object_name(args), reason,
                                          operations=("create", "update"))
        outs: dict[str, Any] = {name: None for name in self.output_names()}
        outs.update({k: olds[k] for k in self.kept_outputs if k in olds})
        outs.update(args.model_dump())
        outs.update({"status": ABSENT, "runbook": None, "manual_step": None})
        return outs

    def _record(self, args: ArgsT, step: ManualStepRequired,
                desired: dict[str, Any] | None) -> Any:
        """Write the step into the stack's ledger (idempotent: a re-run raises it once)."""
        runbook = step.runbook
        return ledger_of(self.settings).raise_step(
            kind=self.kind, name=self.object_name(args), account=self._account(args),
            platform=runbook.platform, operation=runbook.operation, desired=desired,
            page=runbook.page, runbook=runbook.text,
            # The resource knows whose it is even once org.yaml has dropped the person.
            person=self.step_person(args) or runbook.person,
        )

    def _settled(self, props: dict[str, Any], outs: dict[str, Any]) -> dict[str, Any]:
        """Once a manual step is confirmed by a read (or an API call), its outputs clear;
        a resource that never had one keeps the outputs it always had."""
        if "manual_step" not in props and "status" not in props:
            return {}  # the engine drops null outputs: ``status`` marks a settled step
        self._close_seen(props)
        if _asked_for(props):
            # It is as org.yaml declares: any other step still open for it (a delete raised
            # before it was declared again, an update superseded by a create) is moot.
            # (Not a delete: after a replacement the old object may still await its removal.)
            args: ArgsT = self.parse(props)
            ledger_of(self.settings).withdraw(
                self.kind, self.object_name(args), "the object is as org.yaml declares",
                operations=("create", "update"))
        return {"status": outs.get("status") or "active", "runbook": outs.get("runbook"),
                "manual_step": None}

    def _close_seen(self, props: dict[str, Any]) -> None:
        """The platform shows a step done (a read-back, or the API call a third party
        unblocked): close its ledger step, so the worklist lists only what is left. A step
        an operator confirmed already stays as they recorded it."""
        step = props.get("manual_step")
        if not isinstance(step, dict) or not isinstance(step.get("step"), int | float):
            return
        try:
            ledger_of(self.settings).mark(
                [int(step["step"])], "done", by="read-back",
                note=f"seen on {step.get('platform', 'the platform')} by shoporg's read-back",
            )
        except LedgerError:
            pass  # already done (confirmed by an operator), or not in this ledger

    #: Outputs the account system never returns (a generated password): kept across reads.
    kept_outputs: ClassVar[tuple[str, ...]] = ()

    def rekey(self, backend: Backend, old: ArgsT, new: ArgsT) -> None:
        """Move the live object to a new non-identity key (a member renamed with
        ``previously:``) before it is updated. Most kinds have nothing to move."""

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args: ArgsT = self.parse(news)
        if _asked_for(olds) and self.key(self.parse(olds)) == self.key(args):
            # Still waiting for its manual step: look again, exactly as create does (the
            # object may exist now, confirmed in the ledger or visible on the platform).
            return UpdateResult(self._create_or_adopt(args, olds))
        backend = self.backend()
        try:
            old_args: ArgsT = self.parse(olds)
        except ValidationError:
            pass  # state from an older shape of this kind: nothing to re-key from
        else:
            if self.key(old_args) != self.key(args):
                call_with_retries(lambda: self.rekey(backend, old_args, args))
                self.wrote(self._account(args))  # moved: the listing's old key is stale
        try:
            live = call_with_retries(lambda: self.update_live(backend, args, None))
        except ManualStepRequired as step:
            self.wrote(self._account(args))  # an API part (e.g. a dispatch flag) may be done
            return UpdateResult(self._pending(args, olds, step))
        self.remember(self._account(args), self.key(args), live)
        kept = {k: olds[k] for k in self.kept_outputs if k in olds}
        outs = {**self._outs(live, olds), **kept}
        return UpdateResult({**outs, **self._settled(olds, outs)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        args: ArgsT = self.parse(props)
        backend = self.backend()
        name = self.object_name(args)
        try:
            call_with_retries(lambda: self.delete_live(backend, args))
        except NotFoundError:
            # Already gone (or never made): the desired end state, and any step still open
            # for it (a create nobody did) is not needed any more.
            ledger_of(self.settings).withdraw(self.kind, name, "org.yaml no longer declares it")
        except ManualStepRequired as step:
            # A removal no API can do is a step in the worklist, like any other: the engine
            # forgets the object now, the ledger keeps the step open until a person does it
            # (the ledger's confirmation, or the read-back that sees it gone: readback.py), and
            # the rest of the run goes on. Never pretended done: drift names it as open work.
            # Recorded with the values of the object removed (its login): after a replacement
            # the ledger tells the old object's removal from the new one's creation.
            self._record(args, step, args.model_dump())
            return
        self.remember(self._account(args), self.key(args), None)
