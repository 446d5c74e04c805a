"""The provider contract: one handler per resource type with create, read, update, delete and sweep."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from harness.model.base import INTERPOLATION, PHYSICAL_NAME, Resource

R = TypeVar("R", bound=Resource)

UNKNOWN = "(known after apply)"
"""The placeholder a plan uses for attributes of resources that do not exist yet."""

ClientFactory = Callable[[str], Any]
"""Returns a boto3 client for a service name, with the harness's administrative identity."""


@dataclass(frozen=True, slots=True)
class ResourceState:
    """What the provider knows about one deployed resource."""

    address: str
    physical_id: str
    arn: str
    attributes: Mapping[str, str] = field(default_factory=dict)

    def attribute(self, name: str) -> str:
        """Return ``name`` (``name``, ``arn``, ``id`` or a handler-specific attribute)."""
        if name == "arn":
            return self.arn
        if name in ("id", "physical_id"):
            return self.physical_id
        if name in self.attributes:
            return self.attributes[name]
        if name == "name":
            return self.physical_id
        raise KeyError(name)


@dataclass(slots=True)
class ProviderContext:
    """Everything a handler needs: clients, the account, the run's name prefix and the state so far."""

    clients: ClientFactory
    account_id: str
    region: str
    prefix: str
    partition: str = "aws"
    state: dict[str, ResourceState] = field(default_factory=dict)
    # Physical names the definition declares, by address, where the backend creates resources under them.
    declared: dict[str, str] = field(default_factory=dict)
    # Where the backend does not keep declared names: rewrites ARNs spelling one to the name it is created under.
    respell: Callable[[str], str] | None = None

    def physical_name(self, resource: Resource) -> str:
        """The name a resource is created under: the name the definition declares for it where the backend is
        fresh for the run (see ``Backend.keeps_declared_names``), else the run prefix plus its logical name."""
        return self.name_of(resource.SECTION, resource.name)

    def name_of(self, section: str, name: str) -> str:
        """The physical name of the resource ``name`` of ``section`` (see ``physical_name``)."""
        declared = self.declared.get(f"{section}.{name}")
        if declared is not None:
            return str(self.resolve(declared))
        return f"{self.prefix}{name}"

    def resolve(self, value: Any) -> Any:
        """Replace ``${...}`` interpolations in strings inside ``value`` with deployed attributes.

        Raises:
            KeyError: when a referenced resource has not been deployed yet (a dependency-order bug).
        """
        if isinstance(value, str):
            return INTERPOLATION.sub(self._substitute, self.resolve_names(value))
        if isinstance(value, Mapping):
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.resolve(v) for v in value]
        return value

    def resolve_names(self, text: str) -> str:
        """``text`` with the names it spells as this run creates them: respelled where the backend is shared, and
        each ``${physical:...}`` replaced (names are known before anything is deployed)."""
        if self.respell is not None:
            text = self.respell(text)
        return PHYSICAL_NAME.sub(lambda m: self.name_of(m.group(1), m.group(2)), text)

    def _substitute(self, match: Any) -> str:
        section, name, attribute = match.groups()
        if name is None:
            return {
                "account_id": self.account_id,
                "region": self.region,
                "partition": self.partition,
                "prefix": self.prefix,
            }[section]
        return self.state[f"{section}.{name}"].attribute(attribute)

    def state_of(self, section: str, name: str) -> ResourceState:
        """The deployed state of a referenced resource."""
        return self.state[f"{section}.{name}"]


class Handler(Generic[R]):
    """Create, read, update and delete one resource type through boto3.

    ``observe`` (desired side) and ``read`` (actual side) return the same flat mapping of comparable fields,
    so ``plan`` is a plain comparison; handlers normalize (e.g. canonical policies) so equal means equal.
    """

    resource_type: ClassVar[type[Resource]]
    # Lower numbers are swept (deleted by prefix) first: dependents before what they depend on.
    sweep_order: ClassVar[int] = 50

    def arn(self, ctx: ProviderContext, resource: R) -> str:
        """The resource's ARN when it can be known before creation, else ''."""
        return ""

    def deferred_references(self, resource: R) -> frozenset[str]:
        """Addresses this resource refers to that need not exist when it is created.

        The handler creates the resource without those parts and the provider completes them once everything
        exists (two security groups whose rules name each other, as AWS allows). Such references do not order
        deployment, so they never form a cycle.
        """
        return frozenset()

    def desired(self, ctx: ProviderContext, resource: R) -> dict[str, Any]:
        """The comparable fields the resource should have once deployed."""
        raise NotImplementedError

    def read(self, ctx: ProviderContext, resource: R) -> dict[str, Any] | None:
        """Read the resource back from the backend; None when it does not exist."""
        raise NotImplementedError

    def create(self, ctx: ProviderContext, resource: R) -> ResourceState:
        """Create the resource and return its state."""
        raise NotImplementedError

    def update(self, ctx: ProviderContext, resource: R, changed: frozenset[str]) -> ResourceState:
        """Bring the changed fields in line with the definition; return the new state."""
        raise NotImplementedError

    def delete(self, ctx: ProviderContext, resource: R) -> None:
        """Delete the resource; deleting what is already gone is not an error."""
        raise NotImplementedError

    def state(self, ctx: ProviderContext, resource: R) -> ResourceState:
        """The state of an existing resource, read from the backend (used after update and for adoption)."""
        name = ctx.physical_name(resource)
        return ResourceState(str(resource.address), name, self.arn(ctx, resource))

    def read_with_state(self, ctx: ProviderContext, resource: R) -> tuple[dict[str, Any] | None, ResourceState | None]:
        """``read``, and the resource's state where reading it learns that on the way (else None: ask ``state``)."""
        return self.read(ctx, resource), None

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        """Physical ids of existing resources of this type whose name starts with ``prefix``."""
        raise NotImplementedError

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        """Delete one leftover by physical id (used by the sweeper)."""
        raise NotImplementedError


def tags_list(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """Tags as AWS's list-of-pairs shape."""
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def tags_dict(pairs: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """Tags from AWS's list-of-pairs shape (or a mapping) to a plain dict."""
    if pairs is None:
        return {}
    if isinstance(pairs, Mapping):
        return {str(k): str(v) for k, v in pairs.items()}
    return {p[key]: p[value] for p in pairs}


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def ignore_missing(func: Callable[[], Any], *codes: str) -> None:
    """Run a delete call; an error whose code ends with ``NotFound`` (or is listed) means it is already gone."""
    try:
        func()
    except Exception as exc:
        code = error_code(exc)
        if not (code.endswith("NotFound") or code in codes):
            raise
