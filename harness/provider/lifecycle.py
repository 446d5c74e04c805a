"""Plan, apply, destroy, CheckDestroy and sweep, in dependency order, in the style of Terraform's provider tests."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.backends.base import Backend
from harness.errors import CheckFailed, DeployError, InputError
from harness.model.base import Resource
from harness.model.definition import Definition, Unknown
from harness.provider.base import UNKNOWN, ProviderContext, ResourceState, error_code
from harness.provider.registry import Registry
from harness.provider.spelling import respeller, respellings, unrewritten
from harness.services.service import OwnedServices
from harness.source.service import SourceService


def new_prefix() -> str:
    """A fresh run prefix: ``pw-`` and eight hex digits, lower case (valid in every AWS name)."""
    return f"pw-{secrets.token_hex(4)}-"


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One field that differs between the definition and the backend."""

    field: str
    desired: Any
    actual: Any

    def render(self) -> str:
        """``field: actual -> desired`` with compact JSON values."""
        return f"{self.field}: {_short(self.actual)} -> {_short(self.desired)}"


@dataclass(frozen=True, slots=True)
class Change:
    """What a plan would do to one resource."""

    address: str
    kind: str
    action: Literal["create", "update", "no-op"]
    diffs: tuple[FieldDiff, ...] = ()

    def render(self) -> str:
        """A readable line (and one line per changed field)."""
        mark = {"create": "+", "update": "~", "no-op": " "}[self.action]
        lines = [f"{mark} {self.address} ({self.kind}): {self.action}"]
        lines.extend(f"    {d.render()}" for d in self.diffs)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Plan:
    """The difference between a definition and what the backend holds."""

    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        """True when applying would change nothing."""
        return all(c.action == "no-op" for c in self.changes)

    def pending(self) -> tuple[Change, ...]:
        """The changes that are not no-ops."""
        return tuple(c for c in self.changes if c.action != "no-op")

    def for_address(self, address: str) -> Change | None:
        """The change planned for one resource."""
        return next((c for c in self.changes if c.address == address), None)

    def render(self) -> str:
        """The pending changes, one block per resource, or 'no changes'."""
        pending = self.pending()
        if not pending:
            return "no changes"
        return "\n".join(c.render() for c in pending)


def _short(value: Any, limit: int = 240) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(slots=True)
class Provider:
    """Deploys definitions into a backend under one run prefix.

    Attributes:
        backend: where calls go.
        prefix: prepended to every physical name; the sweeper deletes by it.
        registry: the resource types and their handlers.
    """

    backend: Backend
    prefix: str = field(default_factory=new_prefix)
    registry: Registry = field(default_factory=Registry.discover)
    ctx: ProviderContext = field(init=False)
    # Fields the backend does not store: they are never compared, and reports list them as unverified.
    unverified_fields: set[str] = field(default_factory=set)
    # (address, address holding the name, name) of resources declaring a name another resource of the definition
    # already declares (see ``_use_names``).
    collisions: list[tuple[str, str, str]] = field(default_factory=list)
    # Where the backend does not keep declared names: the wildcards that reach a resource only by its declared
    # name, as unknowns of the fields holding them (see ``harness.provider.spelling``).
    unrewritten: tuple[Unknown, ...] = ()
    # The last definition ordered and its order (see ``order``).
    _ordered: tuple[Definition, tuple[Resource, ...]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # What the emulators lack of CodeCommit (branches, templates, pull requests) is served by the backend's
        # source model, which handlers reach through the CodeCommit API; connections, report groups and Security
        # Hub settings by the backend's service models, likewise.
        SourceService.of(self.backend)
        OwnedServices.of(self.backend)
        self.ctx = ProviderContext(
            clients=self.backend.client,
            account_id=self.backend.account_id,
            region=self.backend.region,
            prefix=self.prefix,
        )

    @property
    def state(self) -> dict[str, ResourceState]:
        """Deployed resources by address."""
        return self.ctx.state

    # -- ordering ------------------------------------------------------------------------------------------
    def order(self, definition: Definition) -> list[Resource]:
        """Resources in dependency order (each after everything it refers to).

        Raises:
            InputError: when references form a cycle, naming it.
        """
        # A plan, an apply and a destroy each walk the same definition in order: work it out once per definition.
        if self._ordered is not None and self._ordered[0] is definition:
            return list(self._ordered[1])
        ordered = self._order(definition)
        self._ordered = (definition, tuple(ordered))
        return ordered

    def _order(self, definition: Definition) -> list[Resource]:
        by_address = {str(r.address): r for r in definition.resources}
        ordered: list[Resource] = []
        marks: dict[str, str] = {}

        def visit(address: str, trail: list[str]) -> None:
            if marks.get(address) == "done":
                return
            if marks.get(address) == "visiting":
                cycle = [*trail[trail.index(address) :], address]
                raise InputError(
                    where=definition.where(address),
                    expected="references without cycles",
                    found="the cycle " + " -> ".join(cycle),
                    fix="break it, e.g. grant the account root in the key policy and scope access in IAM policies",
                )
            marks[address] = "visiting"
            resource = by_address[address]
            deferred = self.registry.handler_for(resource).deferred_references(resource)
            for dep in definition.dependencies(resource):
                if str(dep) not in deferred:
                    visit(str(dep), [*trail, address])
            marks[address] = "done"
            ordered.append(resource)

        for resource in definition.resources:
            visit(str(resource.address), [])
        return ordered

    def _use_names(self, definition: Definition) -> None:
        """Create ``definition``'s resources under the names it declares where the backend keeps them.

        Two resources of one kind declaring the same name cannot both exist in AWS (the second create is refused):
        the first keeps the name, the others get the run prefix so the rest of the pipeline can still be exercised,
        and ``collisions`` records them for the claim that the pipeline deploys as declared.
        """
        self.ctx.declared.clear()
        self.collisions.clear()
        if not self.backend.keeps_declared_names:
            spelled = respellings(definition, self.ctx)
            self.ctx.respell = respeller(spelled)
            self.unrewritten = unrewritten(definition, self.ctx, spelled)
            return
        self.ctx.respell = None
        self.unrewritten = ()
        first: dict[tuple[str, str], str] = {}
        for address, name in definition.physical_names.items():
            section = address.split(".", 1)[0]
            holder = first.setdefault((section, name), address)
            if holder == address:
                self.ctx.declared[address] = name
            else:
                self.collisions.append((address, holder, name))

    # -- plan ----------------------------------------------------------------------------------------------
    def plan(self, definition: Definition) -> Plan:
        """Compare the definition with what the backend holds, reading every resource back.

        Returns:
            The plan; a change made behind the harness's back shows as an update (drift).
        """
        self._use_names(definition)
        changes: list[Change] = []
        planned = dict(self.ctx.state)
        try:
            for resource in self.order(definition):
                handler = self.registry.handler_for(resource)
                actual, known = self._call(
                    resource, "read", lambda r=resource, h=handler: h.read_with_state(self.ctx, r)
                )
                if actual is None:
                    self.ctx.state[str(resource.address)] = ResourceState(
                        str(resource.address), UNKNOWN, handler.arn(self.ctx, resource) or UNKNOWN
                    )
                    changes.append(Change(str(resource.address), resource.KIND, "create"))
                    continue
                self.ctx.state[str(resource.address)] = known or self._call(
                    resource, "read", lambda r=resource, h=handler: h.state(self.ctx, r)
                )
                desired = handler.desired(self.ctx, resource)
                skipped = {k for k in desired if (resource.SECTION, k) in self.backend.unstored_fields}
                for key in sorted(skipped):
                    self.unverified_fields.add(f"{resource.address}.{key}")
                diffs = tuple(
                    FieldDiff(key, desired[key], actual.get(key))
                    for key in desired
                    if key not in skipped and desired[key] != actual.get(key)
                )
                changes.append(Change(str(resource.address), resource.KIND, "update" if diffs else "no-op", diffs))
        finally:
            # Planning must not leave placeholder state behind for resources that do not exist.
            self.ctx.state.clear()
            self.ctx.state.update(planned)
            for change in changes:
                if change.action != "create" and change.address not in self.ctx.state:
                    found = definition.get(*change.address.split(".", 1))
                    if found is not None:
                        self.ctx.state[change.address] = self.registry.handler_for(found).state(self.ctx, found)
        return Plan(tuple(changes))

    # -- apply ---------------------------------------------------------------------------------------------
    def apply(self, definition: Definition, *, check_idempotent: bool = True) -> Plan:
        """Create or update every resource in dependency order, then re-plan.

        A failure half-way destroys what this apply created, then raises.

        Args:
            definition: what to deploy.
            check_idempotent: re-plan after apply and fail when the plan is not empty.

        Returns:
            The plan that was applied.

        Raises:
            DeployError: a call failed (what was created has been removed again).
            CheckFailed: the plan after apply is not empty.
        """
        plan = self.plan(definition)
        created: list[Resource] = []
        creating: list[Resource] = []
        try:
            for resource in self.order(definition):
                change = plan.for_address(str(resource.address))
                handler = self.registry.handler_for(resource)
                if change is None or change.action == "create":
                    # A resource may refer to itself (a topic or bucket policy naming its own ARN): give it the
                    # attributes known before creation.
                    address = str(resource.address)
                    self.ctx.state[address] = ResourceState(
                        address, self.ctx.physical_name(resource), handler.arn(self.ctx, resource)
                    )
                    creating = [resource]
                    state = self._call(resource, "create", lambda r=resource, h=handler: h.create(self.ctx, r))
                    creating = []
                    created.append(resource)
                elif change.action == "update":
                    fields = frozenset(d.field for d in change.diffs)
                    state = self._call(
                        resource, "update", lambda r=resource, h=handler, f=fields: h.update(self.ctx, r, f)
                    )
                else:
                    state = self.ctx.state.get(str(resource.address)) or handler.state(self.ctx, resource)
                self.ctx.state[str(resource.address)] = state
            self._complete_deferred(definition)
        except DeployError as exc:
            # A create that fails half-way (a role made, then its inline policy refused) leaves that resource
            # behind too; deleting what does not exist is not an error, so it is removed with the rest.
            left = self._rollback([*created, *creating])
            note = f" Rolled back {len(created)} created resource(s)" + (
                f"; could not remove: {', '.join(left)}" if left else "."
            )
            # AWS messages rarely end with a full stop; without one the note reads as part of the message.
            stop = "" if exc.message.endswith((".", "!", "?")) else "."
            kept = {k: v for k, v in exc.fields.items() if k not in ("resource", "operation")}
            raise DeployError(
                exc.message + stop + note, resource=exc.resource, operation=exc.operation, **kept
            ) from None
        if check_idempotent:
            again = self.plan(definition)
            if not again.empty:
                raise CheckFailed(
                    f"definition '{definition.name}': expected an empty plan after apply, found changes:\n"
                    f"{again.render()}\nthe backend stores these fields differently from the definition; "
                    "write them as the backend returns them",
                    plan=again,
                )
        return plan

    def _complete_deferred(self, definition: Definition) -> None:
        """Bring resources with deferred references in line now that everything they name exists."""
        for resource in self.order(definition):
            handler = self.registry.handler_for(resource)
            if not handler.deferred_references(resource):
                continue
            actual = self._call(resource, "read", lambda r=resource, h=handler: h.read(self.ctx, r))
            desired = handler.desired(self.ctx, resource)
            changed = frozenset(k for k in desired if actual is None or desired[k] != actual.get(k))
            if changed:
                self.ctx.state[str(resource.address)] = self._call(
                    resource, "update", lambda r=resource, h=handler, f=changed: h.update(self.ctx, r, f)
                )

    def _rollback(self, created: list[Resource]) -> list[str]:
        left: list[str] = []
        for resource in reversed(created):
            try:
                self.registry.handler_for(resource).delete(self.ctx, resource)
                self.ctx.state.pop(str(resource.address), None)
            except Exception:  # keep rolling back the rest; report what is left
                left.append(str(resource.address))
        return left

    def _call(self, resource: Resource, operation: str, func: Any) -> Any:
        try:
            return func()
        except (DeployError, InputError, CheckFailed):
            raise
        except Exception as exc:
            code = error_code(exc)
            detail = str(exc) if code else f"{type(exc).__name__}: {exc}"
            raise DeployError(
                f"{resource.KIND} '{resource.address}': {operation} failed: {detail}",
                resource=str(resource.address),
                operation=operation,
                code=code,
            ) from exc

    # -- destroy -------------------------------------------------------------------------------------------
    def destroy(self, definition: Definition, *, as_declared: bool = False) -> list[str]:
        """Delete every resource of the definition, dependents first.

        Args:
            definition: what to remove.
            as_declared: keep what the definition retains on removal (``DeletionPolicy: Retain``), as its source's
                own removal would; by default everything goes, so nothing of a run is left behind.

        Returns:
            The addresses whose deletion failed (empty when all went).
        """
        self._use_names(definition)
        failed: list[str] = []
        for resource in reversed(self.order(definition)):
            if as_declared and str(resource.address) in definition.retained:
                continue
            handler = self.registry.handler_for(resource)
            try:
                handler.delete(self.ctx, resource)
            except Exception:
                failed.append(str(resource.address))
            self.ctx.state.pop(str(resource.address), None)
        return failed

    def check_destroy(self, definition: Definition) -> None:
        """Read every resource back after destroy; each must be gone.

        Raises:
            CheckFailed: naming every resource still present.
        """
        left = [
            str(r.address) for r in definition.resources if self.registry.handler_for(r).read(self.ctx, r) is not None
        ]
        kept = [a for a in left if a in definition.retained]
        if kept:
            where = ", ".join(f"{definition.where(a)} kept by {definition.retained[a]}: Retain" for a in kept)
            raise CheckFailed(
                f"definition '{definition.name}': expected nothing left after the pipeline is removed, found {where}; "
                "let the resource go with the pipeline, or remove it on purpose and record why",
                left=left,
            )
        if left:
            raise CheckFailed(
                f"definition '{definition.name}': expected nothing left after destroy, found {', '.join(left)}; "
                "the handlers' delete missed them (run 'pipewarden sweep' to remove leftovers)",
                left=left,
            )

    def sweep(self, prefix: str | None = None) -> list[str]:
        """Delete every resource whose name starts with ``prefix`` (this run's by default, with what is left under
        the names this run's definition declares), dependents first.

        Returns:
            ``section:physical id`` of each resource deleted.

        Raises:
            DeployError: after sweeping everything it could, naming what it could not list or delete.
        """
        own = prefix is None
        prefix = prefix or self.prefix
        if len(prefix) < 4:
            raise InputError(
                where="sweep",
                expected="a name prefix of at least 4 characters",
                found=repr(prefix),
                fix="give the run prefix, e.g. pw-1a2b3c4d-",
            )
        deleted: list[str] = []
        failed: list[str] = []
        # Best effort: one type the backend cannot list or delete must not keep the others from being cleaned up.
        for section, handler in sorted(self.registry.handlers.items(), key=lambda kv: kv[1].sweep_order):
            try:
                found = handler.list_by_prefix(self.ctx, prefix)
                if own:
                    found = [*found, *self._declared_left(section, handler)]
            except Exception as exc:
                failed.append(f"{section} (listing failed: {_reason(exc)})")
                continue
            for physical in found:
                try:
                    handler.delete_physical(self.ctx, physical)
                except Exception as exc:
                    failed.append(f"{section}:{physical} ({_reason(exc)})")
                    continue
                deleted.append(f"{section}:{physical}")
        if failed:
            raise DeployError(
                f"sweep of '{prefix}': expected every resource under the prefix deleted, found {len(failed)} "
                f"not: {'; '.join(failed)}; deleted {len(deleted)}; remove the rest by hand or sweep again",
                operation="sweep",
                deleted=deleted,
                failed=failed,
            )
        return deleted

    def leftovers(self, prefix: str | None = None) -> list[str]:
        """What a sweep would delete, without deleting it; for this run, also what is left under a declared name."""
        own = prefix is None
        prefix = prefix or self.prefix
        found: list[str] = []
        for section, handler in sorted(self.registry.handlers.items(), key=lambda kv: kv[1].sweep_order):
            found.extend(f"{section}:{p}" for p in handler.list_by_prefix(self.ctx, prefix))
            if own:
                found.extend(f"{section}:{p}" for p in self._declared_left(section, handler))
        return found

    def _declared_left(self, section: str, handler: Any) -> list[str]:
        """The physical names declared for ``section`` that still name a resource in the backend."""
        names = {
            str(self.ctx.resolve(name))
            for address, name in self.ctx.declared.items()
            if address.split(".", 1)[0] == section
        }
        return sorted(
            p
            for name in names
            if not name.startswith(self.prefix)
            for p in handler.list_by_prefix(self.ctx, name)
            if p == name
        )


def _reason(exc: BaseException) -> str:
    return str(exc) if error_code(exc) else f"{type(exc).__name__}: {exc}"
