"""CodeBuild report groups: where test and coverage reports go, and whether their S3 export is encrypted.

moto implements CodeBuild projects and builds but no report groups, so pipewarden keeps the report groups of a
backend itself and answers the report group operations of the CodeBuild API from them; every other CodeBuild call
still goes to the emulator.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore import xform_name

from harness.backends.base import CallEvent, Identity
from harness.services.errors import ServiceError

SERVICE = "codebuild"

REPORT_TYPES = ("TEST", "CODE_COVERAGE")
EXPORT_TYPES = ("S3", "NO_EXPORT")


@dataclass(slots=True)
class ReportGroup:
    """One report group: its ARN, name, type, export configuration and tags as CodeBuild shows them."""

    arn: str
    name: str
    type: str
    export_config: dict[str, Any]
    tags: list[dict[str, str]] = field(default_factory=list)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))

    def describe(self) -> dict[str, Any]:
        """The ``ReportGroup`` shape of CreateReportGroup, UpdateReportGroup and BatchGetReportGroups."""
        return {
            "arn": self.arn,
            "name": self.name,
            "type": self.type,
            "exportConfig": copy.deepcopy(self.export_config),
            "created": self.created,
            "lastModified": self.modified,
            "tags": [dict(t) for t in self.tags],
            "status": "ACTIVE",
        }


def _export(value: Any) -> dict[str, Any]:
    """Check an ``exportConfig`` as CodeBuild does: S3 exports name their bucket."""
    config = dict(value or {})
    kind = config.get("exportConfigType", "NO_EXPORT")
    if kind not in EXPORT_TYPES:
        raise ServiceError("InvalidInputException", f"exportConfigType must be one of {', '.join(EXPORT_TYPES)}")
    if kind == "S3" and not (config.get("s3Destination") or {}).get("bucket"):
        raise ServiceError("InvalidInputException", "s3Destination.bucket is required when exportConfigType is S3")
    return config


class ReportGroupsModel:
    """The report groups of one account and region, and the CodeBuild report group operations over them.

    Args:
        account_id: the backend's account.
        region: the backend's region.
        partition: the ARN partition.
    """

    OPERATIONS = frozenset(
        {"CreateReportGroup", "BatchGetReportGroups", "UpdateReportGroup", "DeleteReportGroup", "ListReportGroups"}
    )

    def __init__(self, account_id: str, region: str, partition: str = "aws") -> None:
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.groups: dict[str, ReportGroup] = {}

    def arn_of(self, name: str) -> str:
        """A report group's ARN from its name."""
        return f"arn:{self.partition}:codebuild:{self.region}:{self.account_id}:report-group/{name}"

    # -- the service-model contract ----------------------------------------------------------------------------
    def serves(self, service: str, operation: str, params: Mapping[str, Any]) -> bool:
        """The report group operations of CodeBuild; the emulator serves the rest."""
        return service == SERVICE and operation in self.OPERATIONS

    def observe(self, event: CallEvent) -> None:
        """Nothing the emulator serves concerns report groups."""

    def call(self, caller: Identity, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one report group operation.

        Raises:
            ServiceError: CodeBuild's refusal (ResourceAlreadyExistsException, ResourceNotFoundException,
                InvalidInputException).
        """
        answer: dict[str, Any] = getattr(self, f"_{xform_name(operation)}")(params)
        return answer

    # -- operations ----------------------------------------------------------------------------------------------
    def _create_report_group(self, params: Mapping[str, Any]) -> dict[str, Any]:
        name = str(params.get("name", ""))
        if not 2 <= len(name) <= 128:
            raise ServiceError("InvalidInputException", f"name must be 2 to 128 characters long, found {len(name)}")
        kind = str(params.get("type", ""))
        if kind not in REPORT_TYPES:
            raise ServiceError("InvalidInputException", f"type must be one of {', '.join(REPORT_TYPES)}")
        arn = self.arn_of(name)
        if arn in self.groups:
            raise ServiceError("ResourceAlreadyExistsException", f"Report group with name {name} already exists")
        tags = [{"key": str(t["key"]), "value": str(t.get("value", ""))} for t in params.get("tags") or ()]
        group = ReportGroup(arn, name, kind, _export(params.get("exportConfig")), tags)
        self.groups[arn] = group
        return {"reportGroup": group.describe()}

    def _batch_get_report_groups(self, params: Mapping[str, Any]) -> dict[str, Any]:
        wanted = [str(a) for a in params.get("reportGroupArns") or ()]
        return {
            "reportGroups": [self.groups[a].describe() for a in wanted if a in self.groups],
            "reportGroupsNotFound": [a for a in wanted if a not in self.groups],
        }

    def _update_report_group(self, params: Mapping[str, Any]) -> dict[str, Any]:
        arn = str(params.get("arn", ""))
        group = self.groups.get(arn)
        if group is None:
            raise ServiceError("ResourceNotFoundException", f"Report group {arn} does not exist")
        if params.get("exportConfig") is not None:
            group.export_config = _export(params["exportConfig"])
        if params.get("tags") is not None:
            group.tags = [{"key": str(t["key"]), "value": str(t.get("value", ""))} for t in params["tags"]]
        group.modified = datetime.now(UTC)
        return {"reportGroup": group.describe()}

    def _delete_report_group(self, params: Mapping[str, Any]) -> dict[str, Any]:
        # The report group holds no reports here (no build writes any), so deleteReports changes nothing.
        self.groups.pop(str(params.get("arn", "")), None)
        return {}

    def _list_report_groups(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"reportGroups": sorted(self.groups)}


__all__ = ["EXPORT_TYPES", "REPORT_TYPES", "SERVICE", "ReportGroup", "ReportGroupsModel"]
