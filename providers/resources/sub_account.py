"""Sub-accounts (子账号): a member's login on one platform account::

    members:
      - id: alice
        name: 王丽
        department: cs-presale
        status: active            # left: every sub-account disabled, never deleted
        sub_accounts:
          - account: tb-flagship
            login_name: alice     # -> "acme旗舰店:alice", immutable on Taobao/Tmall

Identity: the account and the login (a new Taobao login is a new account, so a login
rename shows as a replacement); a member renamed with ``previously:`` is the same object
under a new id (an alias plus an in-place re-key, never delete+create).

``enabled`` is the desired state; the output ``status`` is the platform's (``pending``
until e.g. an Ozon user confirms the e-mail — reported with a runbook line, never
pretended active). A generated initial password is a secret output.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from typing import Any

import pulumi

from shoporg.backends.protocol import SubAccount as LiveSubAccount
from shoporg.backends.protocol import SubAccountBackend, SubAccountSpec
from shoporg.backends.retry import call_with_retries
from shoporg.engine import step_journal
from shoporg.kinds.sub_account import SUB_ACCOUNT
from shoporg.resources.base import KindArgs, ObjectProvider
from shoporg.schema.models import Email, Id, Text


class SubAccountArgs(KindArgs):
    account_id: Id
    member_id: Id
    login: Text
    display_name: Text
    department_id: Id | None = None
    email: Email | None = None
    phone: str | None = None
    dispatch: bool = False
    two_factor: bool = False
    enabled: bool = True


def pending_runbook(live: LiveSubAccount) -> str | None:
    """What a person must do before a pending sub-account becomes active."""
    if live.status != "pending":
        return None
    if not live.email_confirmed and live.email:
        return (
            f"{live.display_name} ({live.login}) must confirm the invitation e-mail sent to "
            f"{live.email}; it becomes active on the next refresh after that"
        )
    return f"{live.login} awaits activation in the seller centre of account {live.account_id}"


class SubAccountProvider(ObjectProvider[SubAccountArgs, LiveSubAccount]):
    kind = SUB_ACCOUNT.word
    args_model = SubAccountArgs
    # Not the member id: a member renamed with ``previously:`` keeps the same platform
    # object (the id is our label for it), so the engine updates it in place via rekey().
    identity = SUB_ACCOUNT.identity
    kept_outputs = ("initial_password",)
    secret_outputs = ("initial_password",)

    @classmethod
    def output_names(cls) -> tuple[str, ...]:
        return ("status", "runbook", "initial_password", "platform_status")

    def object_name(self, args: SubAccountArgs) -> str:
        return SUB_ACCOUNT.ref(args.account_id, args.member_id).name

    def key(self, args: SubAccountArgs) -> Hashable:
        return args.member_id

    def list_live(
        self, backend: SubAccountBackend, account_id: str
    ) -> dict[Hashable, LiveSubAccount]:
        return {s.member_id: s for s in backend.list_sub_accounts(account_id)}

    def get_live(self, backend: SubAccountBackend, args: SubAccountArgs) -> LiveSubAccount | None:
        return backend.get_sub_account(args.account_id, args.member_id)

    def live_inputs(self, live: LiveSubAccount) -> dict[str, Any]:
        return {
            "account_id": live.account_id,
            "member_id": live.member_id,
            "login": live.login,
            "display_name": live.display_name,
            "department_id": live.department_id,
            "email": live.email,
            "phone": live.phone,
            "dispatch": live.dispatch,
            "two_factor": live.two_factor,
            "enabled": live.status != "disabled",
        }

    def live_outputs(self, live: LiveSubAccount, props: dict[str, Any]) -> dict[str, Any]:
        return {"status": live.status, "runbook": pending_runbook(live),
                "platform_status": live.platform_note}

    def adoptable(self, live: LiveSubAccount, args: SubAccountArgs) -> bool:
        # A crashed run may have created it but not yet set the status: same identity and
        # profile is enough; the status is converged by update_live.
        ours = {k: v for k, v in self.live_inputs(live).items() if k != "enabled"}
        return ours == {k: v for k, v in args.model_dump().items() if k != "enabled"}

    def _spec(self, args: SubAccountArgs) -> SubAccountSpec:
        return SubAccountSpec(
            member_id=args.member_id,
            login=args.login,
            display_name=args.display_name,
            department_id=args.department_id,
            email=args.email,
            phone=args.phone,
            dispatch=args.dispatch,
            two_factor=args.two_factor,
        )

    def _converge_status(
        self, backend: SubAccountBackend, args: SubAccountArgs, live: LiveSubAccount
    ) -> LiveSubAccount:
        if not args.enabled and live.status != "disabled":
            return backend.set_sub_account_status(args.account_id, args.member_id, "disabled")
        if args.enabled and live.status == "disabled":
            return backend.set_sub_account_status(args.account_id, args.member_id, "active")
        return live

    def create_live(
        self, backend: SubAccountBackend, args: SubAccountArgs
    ) -> tuple[LiveSubAccount, dict[str, Any]]:
        password = secrets.token_urlsafe(12)
        # Journaled (sealed, fsync'd) before the platform sees it when the run journals
        # (`shoporg up`): a kill right after the create cannot lose the password
        # (step_journal.py).
        step_journal.intent(self.object_name(args), {"initial_password": password})
        live = backend.create_sub_account(args.account_id, self._spec(args), password)
        # It exists from here on: a throttled or transient status change must retry only
        # itself. The caller's retry of this whole method would create it again and fail
        # with "already exists" (tests/reliability/test_faults.py found this).
        settled = call_with_retries(lambda: self._converge_status(backend, args, live))
        return settled, {"initial_password": password}

    def step_person(self, args: SubAccountArgs) -> str | None:
        return f"{args.display_name} ({args.member_id})"

    def not_needed(self, backend: SubAccountBackend, args: SubAccountArgs) -> str | None:
        if args.enabled:
            return None
        # A leaver (or an expired entry) is disabled where a login exists; where none was
        # ever made, making one only to disable it would hand a login to someone who is gone.
        return (f"{self.step_person(args)} is not to have a working login (left, or the "
                "entry expired), and none was made")

    def step_fields(self, args: SubAccountArgs) -> dict[str, object | None]:
        return {"login": args.login, "name": args.display_name, "email": args.email,
                "phone": args.phone}

    def update_live(
        self, backend: SubAccountBackend, args: SubAccountArgs, live: LiveSubAccount | None
    ) -> LiveSubAccount:
        if live is None or live.spec() != self._spec(args):
            # Disable before a profile change, enable after it: a leaver is never active
            # with a new department for even one call.
            if not args.enabled:
                current = backend.get_sub_account(args.account_id, args.member_id)
                if current is not None:
                    self._converge_status(backend, args, current)
            live = backend.update_sub_account(args.account_id, self._spec(args))
        return self._converge_status(backend, args, live)

    def rekey(self, backend: SubAccountBackend, old: SubAccountArgs, new: SubAccountArgs) -> None:
        if backend.get_sub_account(new.account_id, new.member_id) is None:
            backend.rename_member(old.account_id, old.member_id, new.member_id)

    def delete_live(self, backend: SubAccountBackend, args: SubAccountArgs) -> None:
        backend.delete_sub_account(args.account_id, args.member_id)


class SubAccount(pulumi.dynamic.Resource, module="shoporg", name=SUB_ACCOUNT.type_name):
    account_id: pulumi.Output[str]
    member_id: pulumi.Output[str]
    login: pulumi.Output[str]
    status: pulumi.Output[str]
    runbook: pulumi.Output[str | None]
    initial_password: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: SubAccountArgs,
        opts: pulumi.ResourceOptions | None = None,
        department_id: pulumi.Input[str] | None = None,
    ) -> None:
        props: dict[str, Any] = {
            **args.model_dump(),
            "status": None,
            "runbook": None,
            "initial_password": None,
            "platform_status": None,
        }
        if department_id is not None:
            props["department_id"] = department_id  # the department is created first
        # The initial password is generated by the provider and must never be stored in
        # plaintext: the engine encrypts these outputs in state.
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(
                additional_secret_outputs=list(SubAccountProvider.secret_outputs))
        )
        super().__init__(SubAccountProvider(), resource_name, props, opts)
