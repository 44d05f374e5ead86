"""Departments (部门), mirrored into every account whose seller centre has a department tree::

    departments:
      - id: cs
        name: 客服部
        children:
          - {id: cs-presale, name: 售前}

One resource per (account, department). The stack passes the parent's output as an input,
so the engine creates parents first and deletes children first; the platform refuses to
delete a non-empty department (``department_not_empty``).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pulumi

from shoporg.backends.protocol import Department as LiveDepartment
from shoporg.backends.protocol import DepartmentBackend, DepartmentSpec
from shoporg.kinds.department import DEPARTMENT
from shoporg.resources.base import KindArgs, ObjectProvider
from shoporg.schema.models import Id, Text


class DepartmentArgs(KindArgs):
    account_id: Id
    department_id: Id
    name: Text
    parent_id: Id | None = None


class DepartmentProvider(ObjectProvider[DepartmentArgs, LiveDepartment]):
    kind = DEPARTMENT.word
    args_model = DepartmentArgs
    identity = DEPARTMENT.identity

    def object_name(self, args: DepartmentArgs) -> str:
        return DEPARTMENT.ref(args.account_id, args.department_id).name

    def key(self, args: DepartmentArgs) -> Hashable:
        return args.department_id

    def list_live(
        self, backend: DepartmentBackend, account_id: str
    ) -> dict[Hashable, LiveDepartment]:
        return {d.id: d for d in backend.list_departments(account_id)}

    def get_live(self, backend: DepartmentBackend, args: DepartmentArgs) -> LiveDepartment | None:
        return backend.get_department(args.account_id, args.department_id)

    def live_inputs(self, live: LiveDepartment) -> dict[str, Any]:
        return {
            "account_id": live.account_id,
            "department_id": live.id,
            "name": live.name,
            "parent_id": live.parent_id,
        }

    def _spec(self, args: DepartmentArgs) -> DepartmentSpec:
        return DepartmentSpec(id=args.department_id, name=args.name, parent_id=args.parent_id)

    def create_live(
        self, backend: DepartmentBackend, args: DepartmentArgs
    ) -> tuple[LiveDepartment, dict[str, Any]]:
        return backend.create_department(args.account_id, self._spec(args)), {}

    def update_live(
        self, backend: DepartmentBackend, args: DepartmentArgs, live: LiveDepartment | None
    ) -> LiveDepartment:
        if live is not None and self.live_inputs(live) == args.model_dump():
            return live
        return backend.update_department(args.account_id, self._spec(args))

    def delete_live(self, backend: DepartmentBackend, args: DepartmentArgs) -> None:
        backend.delete_department(args.account_id, args.department_id)


class Department(pulumi.dynamic.Resource, module="shoporg", name=DEPARTMENT.type_name):
    account_id: pulumi.Output[str]
    department_id: pulumi.Output[str]
    name: pulumi.Output[str]
    parent_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        args: DepartmentArgs,
        opts: pulumi.ResourceOptions | None = None,
        parent_id: pulumi.Input[str] | None = None,
    ) -> None:
        props: dict[str, Any] = args.model_dump()
        if parent_id is not None:
            props["parent_id"] = parent_id  # an Output: the parent is created first
        super().__init__(DepartmentProvider(), resource_name, props, opts)
