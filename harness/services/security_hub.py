"""Security Hub: what moto keeps of it (whether it is enabled) completed with what it does not keep.

moto enables, describes and disables Security Hub but stores none of its settings: DescribeHub always reports
controls enabled automatically and consolidated findings, whatever was asked, and it has no standards
subscriptions, no configuration update and no tags. pipewarden mirrors each successful EnableSecurityHub and
DisableSecurityHub the emulator serves, and answers the rest from its own record of the hub: its settings, the
standards it subscribes to and its tags. DescribeHub is answered from that record too, so the settings read back
are the ones that were set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore import xform_name

from harness.backends.base import CallEvent, Identity
from harness.errors import Unverified
from harness.services.errors import ServiceError

SERVICE = "securityhub"

GENERATORS = ("SECURITY_CONTROL", "STANDARD_CONTROL")

# What EnableDefaultStandards turns on: AWS Foundational Security Best Practices and CIS AWS Foundations
# Benchmark v1.2.0 (whose ARN, as the oldest standard, is a region-less ruleset).
_DEFAULT_STANDARDS = (
    "arn:{partition}:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
    "arn:{partition}:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
)

# The operations the record answers; EnableSecurityHub and DisableSecurityHub are the emulator's, mirrored.
_ANSWERED = frozenset(
    {
        "DescribeHub",
        "UpdateSecurityHubConfiguration",
        "GetEnabledStandards",
        "BatchEnableStandards",
        "BatchDisableStandards",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
    }
)

_STANDARD = re.compile(r"^arn:[a-z-]+:securityhub:[a-z0-9-]*::(?:standards|ruleset)/(?P<path>.+/v/[^/]+)$")


def default_standards(region: str, partition: str = "aws") -> tuple[str, ...]:
    """The standards ARNs EnableDefaultStandards subscribes to in ``region``."""
    return tuple(s.format(partition=partition, region=region) for s in _DEFAULT_STANDARDS)


@dataclass(slots=True)
class Hub:
    """The account's hub in one region: when it was enabled, its settings, standards and tags."""

    subscribed_at: datetime
    control_finding_generator: str = "SECURITY_CONTROL"
    auto_enable_controls: bool = True
    standards: dict[str, str] = field(default_factory=dict)  # standards ARN -> subscription ARN
    tags: dict[str, str] = field(default_factory=dict)


class SecurityHubModel:
    """The record of one account's hub in one region, completing the emulator's.

    Args:
        account_id: the backend's account.
        region: the backend's region.
        partition: the ARN partition.
    """

    def __init__(self, account_id: str, region: str, partition: str = "aws") -> None:
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.hub: Hub | None = None

    @property
    def hub_arn(self) -> str:
        """The hub's ARN: one hub per account and region, always named ``default``."""
        return f"arn:{self.partition}:securityhub:{self.region}:{self.account_id}:hub/default"

    def subscription_arn(self, standards_arn: str) -> str:
        """The ARN of the account's subscription to a standard.

        Raises:
            ServiceError: InvalidInputException for a string that is not a standards ARN.
        """
        match = _STANDARD.match(standards_arn)
        if match is None:
            raise ServiceError("InvalidInputException", f"Invalid StandardsArn: {standards_arn}")
        return f"arn:{self.partition}:securityhub:{self.region}:{self.account_id}:subscription/{match['path']}"

    # -- the service-model contract ----------------------------------------------------------------------------
    def serves(self, service: str, operation: str, params: Mapping[str, Any]) -> bool:
        """The operations the emulator lacks, once the hub is enabled; and enabling an enabled hub, which the
        emulator wrongly accepts."""
        if service != SERVICE:
            return False
        if operation == "EnableSecurityHub":
            return self.hub is not None
        return operation in _ANSWERED and (self.hub is not None or operation != "DescribeHub")

    def observe(self, event: CallEvent) -> None:
        """Mirror the emulator enabling or disabling the hub."""
        if event.service != SERVICE or event.error_code or event.response is None:
            return
        if event.operation == "EnableSecurityHub":
            params = event.params
            hub = Hub(
                datetime.now(UTC),
                str(params.get("ControlFindingGenerator") or "SECURITY_CONTROL"),
                tags={str(k): str(v) for k, v in (params.get("Tags") or {}).items()},
            )
            if params.get("EnableDefaultStandards", True):
                hub.standards = {s: self.subscription_arn(s) for s in default_standards(self.region, self.partition)}
            self.hub = hub
        elif event.operation == "DisableSecurityHub":
            self.hub = None

    def call(self, caller: Identity, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one Security Hub operation from the record.

        Raises:
            ServiceError: Security Hub's refusal (InvalidAccessException when the hub is not enabled,
                ResourceConflictException when it already is).
            Unverified: tags of a Security Hub resource other than the hub, which pipewarden does not model.
        """
        if operation == "EnableSecurityHub":
            raise ServiceError("ResourceConflictException", "Account is already subscribed to Security Hub")
        answer: dict[str, Any] = getattr(self, f"_{xform_name(operation)}")(params)
        return answer

    def _enabled(self) -> Hub:
        if self.hub is None:
            raise ServiceError(
                "InvalidAccessException", f"Account {self.account_id} is not subscribed to AWS Security Hub", 401
            )
        return self.hub

    def _the_hub(self, arn: Any) -> Hub:
        if arn != self.hub_arn:
            raise Unverified(
                f"securityhub: tags of {arn} are not modelled by pipewarden (only the hub's are), so their outcome "
                "cannot be verified"
            )
        return self._enabled()

    # -- operations ----------------------------------------------------------------------------------------------
    def _describe_hub(self, params: Mapping[str, Any]) -> dict[str, Any]:
        hub = self._enabled()
        wanted = params.get("HubArn")
        if wanted and wanted != self.hub_arn:
            raise ServiceError(
                "ResourceNotFoundException", f"The request was rejected because no hub was found with ARN {wanted}."
            )
        return {
            "HubArn": self.hub_arn,
            "SubscribedAt": hub.subscribed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "AutoEnableControls": hub.auto_enable_controls,
            "ControlFindingGenerator": hub.control_finding_generator,
        }

    def _update_security_hub_configuration(self, params: Mapping[str, Any]) -> dict[str, Any]:
        hub = self._enabled()
        generator = params.get("ControlFindingGenerator")
        if generator is not None:
            if generator not in GENERATORS:
                raise ServiceError("InvalidInputException", f"ControlFindingGenerator must be one of {GENERATORS}")
            hub.control_finding_generator = str(generator)
        if params.get("AutoEnableControls") is not None:
            hub.auto_enable_controls = bool(params["AutoEnableControls"])
        return {}

    def _subscription(self, standards_arn: str, subscription_arn: str, status: str) -> dict[str, Any]:
        return {
            "StandardsSubscriptionArn": subscription_arn,
            "StandardsArn": standards_arn,
            "StandardsInput": {},
            "StandardsStatus": status,
        }

    def _get_enabled_standards(self, params: Mapping[str, Any]) -> dict[str, Any]:
        hub = self._enabled()
        wanted = set(params.get("StandardsSubscriptionArns") or ())
        found = [
            self._subscription(standard, subscription, "READY")
            for standard, subscription in sorted(hub.standards.items())
            if not wanted or subscription in wanted
        ]
        return {"StandardsSubscriptions": found}

    def _batch_enable_standards(self, params: Mapping[str, Any]) -> dict[str, Any]:
        hub = self._enabled()
        out = []
        for request in params.get("StandardsSubscriptionRequests") or ():
            standard = str(request["StandardsArn"])
            subscription = self.subscription_arn(standard)
            hub.standards[standard] = subscription
            # AWS reports PENDING while it sets the controls up; the record is ready at once.
            out.append(self._subscription(standard, subscription, "READY"))
        return {"StandardsSubscriptions": out}

    def _batch_disable_standards(self, params: Mapping[str, Any]) -> dict[str, Any]:
        hub = self._enabled()
        by_subscription = {subscription: standard for standard, subscription in hub.standards.items()}
        out = []
        for subscription in params.get("StandardsSubscriptionArns") or ():
            standard = by_subscription.get(str(subscription))
            if standard is None:
                raise ServiceError("ResourceNotFoundException", f"Subscription {subscription} does not exist")
            del hub.standards[standard]
            out.append(self._subscription(standard, str(subscription), "DELETING"))
        return {"StandardsSubscriptions": out}

    def _tag_resource(self, params: Mapping[str, Any]) -> dict[str, Any]:
        hub = self._the_hub(params.get("ResourceArn"))
        hub.tags.update({str(k): str(v) for k, v in (params.get("Tags") or {}).items()})
        return {}

    def _untag_resource(self, params: Mapping[str, Any]) -> dict[str, Any]:
        hub = self._the_hub(params.get("ResourceArn"))
        for key in params.get("TagKeys") or ():
            hub.tags.pop(str(key), None)
        return {}

    def _list_tags_for_resource(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Tags": dict(self._the_hub(params.get("ResourceArn")).tags)}


__all__ = ["GENERATORS", "SERVICE", "Hub", "SecurityHubModel", "default_standards"]
