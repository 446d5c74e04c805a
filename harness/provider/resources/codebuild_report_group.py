"""CodeBuild report group: where a build's test and coverage reports go, exported to S3 or not, and its handler.

The emulators have no report groups; the handler reaches pipewarden's model of them (:mod:`harness.services`)
through the ordinary CodeBuild API, so plan, drift and destroy read them back like any other resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import CLOUDFORMATION, MISSING, Cfn, Draft, Field, Props, Reader, Schema, Tf, describe
from harness.provider.base import Handler, ProviderContext, ResourceState, tags_dict, tags_list
from harness.services.report_groups import REPORT_TYPES


@dataclass(frozen=True, slots=True)
class ReportExport:
    """Where raw reports are exported: an S3 bucket (a name, or ``${buckets.x.name}``), a path, the packaging, and
    whether the export is encrypted (with the bucket's default key, or ``encryption_key``)."""

    bucket: str
    path: str = ""
    packaging: Literal["NONE", "ZIP"] = "NONE"
    encryption_key: Annotated[str, RefTo("keys")] | None = None
    encrypted: bool = True

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ValueError("a bucket for the S3 export, found none; name the bucket reports are exported to")
        if self.packaging not in ("NONE", "ZIP"):
            raise ValueError(f"packaging NONE or ZIP, found {self.packaging!r}; use one of them")
        if self.encryption_key and not self.encrypted:
            raise ValueError(
                "an encryption key only for an encrypted export, found both a key and encryption disabled; drop one"
            )


@dataclass(frozen=True, slots=True)
class ReportGroup(Resource):
    """A CodeBuild report group: test or code coverage reports, exported to S3 (``export``) or kept in CodeBuild.

    An export with ``encrypted: false`` writes the reports to S3 unencrypted, the same weakness as unencrypted build
    logs. ``delete_reports`` lets deleting the group delete its reports.
    """

    SECTION: ClassVar[str] = "report_groups"
    KIND: ClassVar[str] = "CodeBuild report group"

    type: Literal["TEST", "CODE_COVERAGE"] = "TEST"
    export: ReportExport | None = None
    delete_reports: bool = False
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if self.type not in REPORT_TYPES:
            raise ValueError(f"type TEST or CODE_COVERAGE, found {self.type!r}; use one of them")


class ReportGroupHandler(Handler[ReportGroup]):
    resource_type = ReportGroup
    sweep_order = 25

    def arn(self, ctx: ProviderContext, resource: ReportGroup) -> str:
        return f"arn:{ctx.partition}:codebuild:{ctx.region}:{ctx.account_id}:report-group/{ctx.physical_name(resource)}"

    def _export(self, ctx: ProviderContext, resource: ReportGroup) -> dict[str, Any]:
        export = resource.export
        if export is None:
            return {"exportConfigType": "NO_EXPORT"}
        destination: dict[str, Any] = {
            "bucket": str(ctx.resolve(export.bucket)),
            "packaging": export.packaging,
            "encryptionDisabled": not export.encrypted,
        }
        if export.path:
            destination["path"] = str(ctx.resolve(export.path))
        if export.encryption_key:
            key = export.encryption_key
            destination["encryptionKey"] = key if key.startswith("arn:") else ctx.state_of("keys", key).arn
        return {"exportConfigType": "S3", "s3Destination": destination}

    @staticmethod
    def _comparable(config: dict[str, Any]) -> dict[str, Any] | None:
        if config.get("exportConfigType", "NO_EXPORT") == "NO_EXPORT":
            return None
        destination = config.get("s3Destination") or {}
        return {
            "bucket": destination.get("bucket"),
            "path": destination.get("path", ""),
            "packaging": destination.get("packaging", "NONE"),
            "encryption_key": destination.get("encryptionKey"),
            "encrypted": not destination.get("encryptionDisabled", False),
        }

    def desired(self, ctx: ProviderContext, resource: ReportGroup) -> dict[str, Any]:
        return {
            "type": resource.type,
            "export": self._comparable(self._export(ctx, resource)),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: ReportGroup) -> dict[str, Any] | None:
        found = ctx.clients("codebuild").batch_get_report_groups(reportGroupArns=[self.arn(ctx, resource)])
        groups = found.get("reportGroups", [])
        if not groups:
            return None
        group = groups[0]
        return {
            "type": group["type"],
            "export": self._comparable(group.get("exportConfig") or {}),
            "tags": tags_dict(group.get("tags"), "key", "value"),
        }

    def create(self, ctx: ProviderContext, resource: ReportGroup) -> ResourceState:
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {"name": name, "type": resource.type, "exportConfig": self._export(ctx, resource)}
        if resource.tags:
            kwargs["tags"] = tags_list(resource.tags, "key", "value")
        arn = ctx.clients("codebuild").create_report_group(**kwargs)["reportGroup"]["arn"]
        return ResourceState(str(resource.address), name, str(arn))

    def state(self, ctx: ProviderContext, resource: ReportGroup) -> ResourceState:
        return ResourceState(str(resource.address), ctx.physical_name(resource), self.arn(ctx, resource))

    def update(self, ctx: ProviderContext, resource: ReportGroup, changed: frozenset[str]) -> ResourceState:
        if "type" in changed:
            # UpdateReportGroup cannot change the type: the group is made again.
            self.delete(ctx, resource)
            return self.create(ctx, resource)
        ctx.clients("codebuild").update_report_group(
            arn=self.arn(ctx, resource),
            exportConfig=self._export(ctx, resource),
            tags=tags_list(resource.tags, "key", "value"),
        )
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: ReportGroup) -> None:
        ctx.clients("codebuild").delete_report_group(arn=self.arn(ctx, resource), deleteReports=resource.delete_reports)

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        arns = ctx.clients("codebuild").list_report_groups().get("reportGroups", [])
        names = (str(a).rsplit("/", 1)[-1] for a in arns)
        return sorted(n for n in names if n.startswith(prefix))

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        arn = f"arn:{ctx.partition}:codebuild:{ctx.region}:{ctx.account_id}:report-group/{physical_id}"
        ctx.clients("codebuild").delete_report_group(arn=arn, deleteReports=True)


HANDLER = ReportGroupHandler()


# -- how the source formats spell a report group ---------------------------------------------------------------


def _export(reader: Reader, props: Props, draft: Draft) -> Any:
    """The export configuration: none for NO_EXPORT, else the S3 destination."""
    cfn = reader.format == CLOUDFORMATION
    keys = (
        (
            "ExportConfig",
            "ExportConfigType",
            "S3Destination",
            "Bucket",
            "Path",
            "Packaging",
            "EncryptionKey",
            "EncryptionDisabled",
            "BucketOwner",
        )
        if cfn
        else (
            "export_config",
            "type",
            "s3_destination",
            "bucket",
            "path",
            "packaging",
            "encryption_key",
            "encryption_disabled",
            "bucket_owner",
        )
    )
    config_key, type_key, destination_key, bucket, path, packaging, key, disabled, owner = keys
    config = props.block(config_key)
    if config is None:
        props.require(config_key)  # ExportConfig and export_config are required
        return MISSING
    kind = config.text(type_key, required=True)
    if kind not in ("S3", "NO_EXPORT"):
        reader.fail(config.at(type_key), "S3 or NO_EXPORT", repr(kind), "use S3 or NO_EXPORT")
    destination = config.block(destination_key)
    if kind == "NO_EXPORT":
        if destination is not None:
            destination.ignore(*destination.values)
        return None
    if destination is None:
        reader.fail(
            config.at(destination_key),
            f"'{destination_key}' for an S3 export",
            "it missing",
            f"add '{destination_key}' with the bucket reports go to",
        )
    name = destination.text(bucket, required=True)
    if not cfn:
        name = reader.spelled(name, "buckets")
    if destination.has(owner):
        destination.raw(owner)
        reader.note(f"{destination.at(owner)}: the bucket's owner is not checked; {describe(name)} is taken as is")
    encryption_key = destination.text(key)
    found_key = reader.reference(encryption_key, "keys", destination.at(key)) if encryption_key else None
    return reader.make(
        ReportExport,
        destination.path,
        draft.line,
        bucket=str(name),
        path=destination.text(path, ""),
        packaging=destination.text(packaging, "NONE"),
        encryption_key=found_key,
        encrypted=not destination.flag(disabled, False),
    )


SCHEMA = Schema(
    ReportGroup,
    fields=(
        Field("type", cfn="Type", tf="type", required=True, choices=REPORT_TYPES),
        Field("export", cfn_read=_export, tf_read=_export),
        Field("delete_reports", cfn="DeleteReports", tf="delete_reports", read="flag", default=False),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    # Ref of a report group is its ARN.
    cfn=Cfn("AWS::CodeBuild::ReportGroup", ref="{arn}", attributes={"Arn": "{arn}"}, name="Name"),
    tf=Tf(
        "aws_codebuild_report_group",
        name="name",
        attributes={"arn": "arn", "id": "arn", "name": "name"},
        ignore=("created",),
    ),
)
