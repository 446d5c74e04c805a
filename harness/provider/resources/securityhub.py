"""Security Hub: the account's hub in the deployment's region (settings, standards, tags) and its handler.

A hub is an account singleton with no name of its own (its ARN always ends in ``hub/default``), so a definition
declares at most one. To tell the run's hub from one enabled otherwise, the handler tags it with the run's name
for it (``pipewarden:hub``); reads leave that tag out, and the sweeper disables only a hub carrying a name of its
prefix. moto keeps only whether the hub is enabled; the rest is kept by pipewarden's record of the hub
(:mod:`harness.services.security_hub`), reached through the ordinary Security Hub API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from harness.model.base import Resource, Tags
from harness.model.schema import UNVERIFIED, Cfn, Field, Fold, Origin, Props, Reader, Schema, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code
from harness.services.security_hub import GENERATORS, default_standards

MARKER = "pipewarden:hub"
"""The tag that names the run's hub (its physical name: the run prefix and its logical name)."""

_STANDARDS_ARN = re.compile(r"^arn:[^:]+:securityhub:[^:]*::(standards|ruleset)/.+/v/[^/]+$")


@dataclass(frozen=True, slots=True)
class SecurityHub(Resource):
    """Security Hub enabled in the account and region.

    ``enable_default_standards`` subscribes to the standards AWS enables by default (Foundational Security Best
    Practices, CIS AWS Foundations Benchmark v1.2.0); ``standards`` lists further standards ARNs to subscribe to.
    """

    SECTION: ClassVar[str] = "security_hubs"
    KIND: ClassVar[str] = "Security Hub"
    SINGLETON: ClassVar[bool] = True

    enable_default_standards: bool = True
    control_finding_generator: Literal["SECURITY_CONTROL", "STANDARD_CONTROL"] = "SECURITY_CONTROL"
    auto_enable_controls: bool = True
    standards: tuple[str, ...] = ()
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if self.control_finding_generator not in GENERATORS:
            raise ValueError(
                f"control_finding_generator SECURITY_CONTROL or STANDARD_CONTROL, found "
                f"{self.control_finding_generator!r}; use one of them"
            )
        for arn in self.standards:
            spelled = arn.replace("${partition}", "aws").replace("${region}", "us-east-1")
            if not _STANDARDS_ARN.match(spelled):
                raise ValueError(
                    f"a standards ARN such as arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1, found "
                    f"{arn!r}; name the standard by its ARN"
                )
        if MARKER in self.tags:
            raise ValueError(f"tags without {MARKER!r}, found it; the harness sets that tag itself, remove it")


class SecurityHubHandler(Handler[SecurityHub]):
    resource_type = SecurityHub
    sweep_order = 90

    def arn(self, ctx: ProviderContext, resource: SecurityHub) -> str:
        return f"arn:{ctx.partition}:securityhub:{ctx.region}:{ctx.account_id}:hub/default"

    def _hub_arn(self, ctx: ProviderContext) -> str:
        return f"arn:{ctx.partition}:securityhub:{ctx.region}:{ctx.account_id}:hub/default"

    def _standards(self, ctx: ProviderContext, resource: SecurityHub) -> list[str]:
        wanted = {str(ctx.resolve(s)) for s in resource.standards}
        if resource.enable_default_standards:
            wanted.update(default_standards(ctx.region, ctx.partition))
        return sorted(wanted)

    def _tags(self, ctx: ProviderContext) -> dict[str, str] | None:
        """The hub's tags, or None when Security Hub is not enabled."""
        try:
            tags = ctx.clients("securityhub").list_tags_for_resource(ResourceArn=self._hub_arn(ctx))["Tags"]
        except Exception as exc:
            if error_code(exc) == "InvalidAccessException":
                return None
            raise
        return {str(k): str(v) for k, v in tags.items()}

    def desired(self, ctx: ProviderContext, resource: SecurityHub) -> dict[str, Any]:
        return {
            "control_finding_generator": resource.control_finding_generator,
            "auto_enable_controls": resource.auto_enable_controls,
            "standards": self._standards(ctx, resource),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: SecurityHub) -> dict[str, Any] | None:
        tags = self._tags(ctx)
        if tags is None or tags.get(MARKER) != ctx.physical_name(resource):
            # Not enabled, or enabled by someone else: this run's hub does not exist.
            return None
        hub = ctx.clients("securityhub")
        described = hub.describe_hub()
        subscriptions = hub.get_enabled_standards().get("StandardsSubscriptions", [])
        return {
            "control_finding_generator": described.get("ControlFindingGenerator"),
            "auto_enable_controls": described.get("AutoEnableControls"),
            "standards": sorted(s["StandardsArn"] for s in subscriptions),
            "tags": {k: v for k, v in tags.items() if k != MARKER},
        }

    def create(self, ctx: ProviderContext, resource: SecurityHub) -> ResourceState:
        hub = ctx.clients("securityhub")
        hub.enable_security_hub(
            EnableDefaultStandards=resource.enable_default_standards,
            ControlFindingGenerator=resource.control_finding_generator,
            Tags={**resource.tags, MARKER: ctx.physical_name(resource)},
        )
        if not resource.auto_enable_controls:
            hub.update_security_hub_configuration(AutoEnableControls=False)
        self._subscribe(ctx, resource)
        return self.state(ctx, resource)

    def _subscribe(self, ctx: ProviderContext, resource: SecurityHub) -> None:
        hub = ctx.clients("securityhub")
        current = {
            s["StandardsArn"]: s["StandardsSubscriptionArn"]
            for s in hub.get_enabled_standards().get("StandardsSubscriptions", [])
        }
        wanted = self._standards(ctx, resource)
        missing = [s for s in wanted if s not in current]
        if missing:
            hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": s} for s in missing])
        extra = [arn for standard, arn in current.items() if standard not in wanted]
        if extra:
            hub.batch_disable_standards(StandardsSubscriptionArns=extra)

    def state(self, ctx: ProviderContext, resource: SecurityHub) -> ResourceState:
        return ResourceState(str(resource.address), ctx.physical_name(resource), self.arn(ctx, resource))

    def update(self, ctx: ProviderContext, resource: SecurityHub, changed: frozenset[str]) -> ResourceState:
        hub = ctx.clients("securityhub")
        if changed & {"control_finding_generator", "auto_enable_controls"}:
            hub.update_security_hub_configuration(
                ControlFindingGenerator=resource.control_finding_generator,
                AutoEnableControls=resource.auto_enable_controls,
            )
        if "standards" in changed:
            self._subscribe(ctx, resource)
        if "tags" in changed:
            arn = self._hub_arn(ctx)
            current = self._tags(ctx) or {}
            stale = [k for k in current if k not in resource.tags and k != MARKER]
            if stale:
                hub.untag_resource(ResourceArn=arn, TagKeys=stale)
            if resource.tags:
                hub.tag_resource(ResourceArn=arn, Tags=dict(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: SecurityHub) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        marker = (self._tags(ctx) or {}).get(MARKER, "")
        return [marker] if marker.startswith(prefix) and marker else []

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        if (self._tags(ctx) or {}).get(MARKER) != physical_id:
            return  # not enabled, or not this run's hub: leave it as it is
        ctx.clients("securityhub").disable_security_hub()


HANDLER = SecurityHubHandler()


# -- how the source formats spell a hub ------------------------------------------------------------------------

SCHEMA = Schema(
    SecurityHub,
    fields=(
        Field(
            "enable_default_standards",
            cfn="EnableDefaultStandards",
            tf="enable_default_standards",
            read="flag",
            default=True,
        ),
        Field(
            "control_finding_generator",
            cfn="ControlFindingGenerator",
            tf="control_finding_generator",
            choices=GENERATORS,
        ),
        Field("auto_enable_controls", cfn="AutoEnableControls", tf="auto_enable_controls", read="flag", default=True),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    # Ref of a hub is its ARN.
    cfn=Cfn("AWS::SecurityHub::Hub", ref="{arn}", attributes={"ARN": "{arn}", "SubscribedAt": None}),
    tf=Tf("aws_securityhub_account", name=None, attributes={"arn": "arn"}),
)


def _fold_standard(reader: Reader, props: Props, origin: Origin, key: str) -> None:
    """A standards subscription: one more standard the hub subscribes to."""
    standard = props.text(key, required=True)
    hubs = reader.declared(SecurityHub.SECTION)
    if not hubs:
        reader.note(f"{origin.path}: subscribes a hub outside the {reader.noun} to {standard!r}; {UNVERIFIED}")
        return
    draft = hubs[0]
    draft.kwargs["standards"] = (*draft.kwargs.get("standards", ()), str(standard))


def _fold_cfn_standard(reader: Reader, props: Props, origin: Origin) -> None:
    _fold_standard(reader, props, origin, "StandardsArn")
    if props.has("DisabledStandardsControls"):
        props.raw("DisabledStandardsControls")
        reader.note(f"{props.at('DisabledStandardsControls')}: controls disabled in a standard; {UNVERIFIED}")


def _fold_tf_standard(reader: Reader, props: Props, origin: Origin) -> None:
    _fold_standard(reader, props, origin, "standards_arn")


FOLDS = (
    Fold(_fold_cfn_standard, cfn="AWS::SecurityHub::Standard"),
    Fold(_fold_tf_standard, tf="aws_securityhub_standards_subscription"),
)
