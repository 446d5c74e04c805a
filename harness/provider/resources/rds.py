"""RDS, the data tier: DB subnet groups, DB instances and DB clusters (engine, class, network placement, public
access, storage encryption, IAM database authentication, deletion protection, tags) and their handlers.

A master password is never kept: the model records only whether one is set or managed by Secrets Manager, and the
handler gives the backend a throw-away password of its own where the engine needs one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import (
    CLOUDFORMATION,
    MISSING,
    TERRAFORM,
    UNVERIFIED,
    Cfn,
    Draft,
    Field,
    Ignored,
    Props,
    Reader,
    Schema,
    Tf,
    describe,
    ref_parts,
)
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list
from harness.provider.resources.ec2_common import cannot_change, ref_id

MasterPassword = Literal["none", "set", "managed"]
"""Whether the source sets a master password (its value is never kept), lets Secrets Manager manage it, or
gives none (a cluster member, a replica, a restore from a snapshot)."""

# DB identifiers: letters, digits and single hyphens, starting with a letter (the run prefix is one).
_IDENTIFIER = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")


def _check_identifier(name: str, what: str) -> None:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(
            f"a {what} name of letters, digits and single hyphens, found {name!r}; rename it (RDS takes no '_', "
            "'--' or trailing '-')"
        )


def _check_encryption(storage_encrypted: bool, kms_key: str | None) -> None:
    if kms_key and not storage_encrypted:
        raise ValueError(
            "storage_encrypted: true when kms_key is set, found storage_encrypted false; RDS refuses a key for "
            "unencrypted storage, so turn encryption on"
        )


@dataclass(frozen=True, slots=True)
class DbSubnetGroup(Resource):
    """The subnets an RDS instance or cluster may be placed in (one VPC)."""

    SECTION: ClassVar[str] = "db_subnet_groups"
    KIND: ClassVar[str] = "DB subnet group"

    subnets: tuple[Annotated[str, RefTo("subnets")], ...] = ()
    description: str = "Managed by pipewarden"
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        _check_identifier(self.name, "DB subnet group")
        if not self.subnets:
            raise ValueError("subnets naming subnets under 'subnets', found none; list where the databases go")
        if not self.description:
            raise ValueError("a description, found none; RDS requires one")


@dataclass(frozen=True, slots=True)
class DbCluster(Resource):
    """An RDS DB cluster (Aurora, or a Multi-AZ DB cluster): its instances are ``databases`` naming it."""

    SECTION: ClassVar[str] = "db_clusters"
    KIND: ClassVar[str] = "RDS DB cluster"

    engine: str = ""
    subnet_group: Annotated[str, RefTo("db_subnet_groups")] | None = None
    security_groups: tuple[Annotated[str, RefTo("security_groups")], ...] = ()
    storage_encrypted: bool = False
    kms_key: Annotated[str, RefTo("keys")] | None = None
    iam_auth: bool = False
    deletion_protection: bool = False
    master_password: MasterPassword = "none"
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        _check_identifier(self.name, "DB cluster")
        if not self.engine:
            raise ValueError("an engine such as aurora-postgresql, found none; add engine")
        _check_encryption(self.storage_encrypted, self.kms_key)


@dataclass(frozen=True, slots=True)
class Database(Resource):
    """An RDS DB instance: standalone, or a member of a cluster (``cluster``), which then holds its network
    placement, encryption, IAM authentication and password.

    A database is data tier by nature: its subnet group's subnets and its security groups are where the isolation
    scenarios look for paths from other environments.
    """

    SECTION: ClassVar[str] = "databases"
    KIND: ClassVar[str] = "RDS DB instance"

    engine: str = ""
    instance_class: str = "db.t3.micro"
    cluster: Annotated[str, RefTo("db_clusters")] | None = None
    subnet_group: Annotated[str, RefTo("db_subnet_groups")] | None = None
    security_groups: tuple[Annotated[str, RefTo("security_groups")], ...] = ()
    publicly_accessible: bool = False
    storage_encrypted: bool = False
    kms_key: Annotated[str, RefTo("keys")] | None = None
    iam_auth: bool = False
    deletion_protection: bool = False
    master_password: MasterPassword = "none"
    storage_gb: int | None = None
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        _check_identifier(self.name, "DB instance")
        if not self.engine:
            raise ValueError("an engine such as postgres or mysql, found none; add engine")
        if not self.instance_class.startswith("db."):
            raise ValueError(f"an instance class such as db.t3.micro, found {self.instance_class!r}; correct it")
        if self.cluster:
            given = [
                name
                for name, value in (
                    ("security_groups", self.security_groups),
                    ("storage_encrypted", self.storage_encrypted),
                    ("kms_key", self.kms_key),
                    ("iam_auth", self.iam_auth),
                    ("storage_gb", self.storage_gb),
                    ("master_password", self.master_password != "none"),
                )
                if value
            ]
            if given:
                raise ValueError(
                    f"no {', '.join(given)} on a member of cluster '{self.cluster}', found "
                    f"{'it' if len(given) == 1 else 'them'} set; set them on the cluster"
                )
        elif self.storage_gb is not None and self.storage_gb < 1:
            raise ValueError(f"storage_gb of at least 1, found {self.storage_gb}; give the allocated storage in GiB")
        _check_encryption(self.storage_encrypted, self.kms_key)


# -- handlers ----------------------------------------------------------------------------------------------------


def _rds_name(ctx: ProviderContext, resource: Resource) -> str:
    # RDS keeps identifiers and subnet group names in lower case.
    return ctx.physical_name(resource).lower()


def _rds_arn(ctx: ProviderContext, kind: str, name: str) -> str:
    return f"arn:{ctx.partition}:rds:{ctx.region}:{ctx.account_id}:{kind}:{name}"


def _key_arn(ctx: ProviderContext, key: str | None) -> str | None:
    if key is None:
        return None
    return key if key.startswith("arn:") else ctx.state_of("keys", key).arn


def _group_ids(ctx: ProviderContext, groups: tuple[str, ...]) -> list[str]:
    return sorted(ref_id(ctx, "security_groups", g) for g in groups)


def _stand_in_password() -> str:
    """A password for the backend only: random, never kept, never shown (the source's own is never read)."""
    return "Pw" + secrets.token_hex(12)


def _sync_tags(rds: Any, arn: str, want: dict[str, str]) -> None:
    have = tags_dict(rds.list_tags_for_resource(ResourceName=arn).get("TagList", []))
    stale = [k for k in have if k not in want]
    if stale:
        rds.remove_tags_from_resource(ResourceName=arn, TagKeys=stale)
    changed = {k: v for k, v in want.items() if have.get(k) != v}
    if changed:
        rds.add_tags_to_resource(ResourceName=arn, Tags=tags_list(changed))


def _managed_secret(found: dict[str, Any]) -> bool:
    return bool((found.get("MasterUserSecret") or {}).get("SecretArn"))


class DbSubnetGroupHandler(Handler[DbSubnetGroup]):
    resource_type = DbSubnetGroup
    sweep_order = 29

    def arn(self, ctx: ProviderContext, resource: DbSubnetGroup) -> str:
        return _rds_arn(ctx, "subgrp", _rds_name(ctx, resource))

    def state(self, ctx: ProviderContext, resource: DbSubnetGroup) -> ResourceState:
        return ResourceState(str(resource.address), _rds_name(ctx, resource), self.arn(ctx, resource))

    def _find(self, ctx: ProviderContext, name: str) -> dict[str, Any] | None:
        try:
            found = ctx.clients("rds").describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"]
        except Exception as exc:
            if error_code(exc) == "DBSubnetGroupNotFoundFault":
                return None
            raise
        return dict(found[0]) if found else None

    def desired(self, ctx: ProviderContext, resource: DbSubnetGroup) -> dict[str, Any]:
        return {
            "subnets": sorted(ref_id(ctx, "subnets", s) for s in resource.subnets),
            "description": resource.description,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: DbSubnetGroup) -> dict[str, Any] | None:
        found = self._find(ctx, _rds_name(ctx, resource))
        if found is None:
            return None
        arn = found.get("DBSubnetGroupArn") or self.arn(ctx, resource)
        return {
            "subnets": sorted(s["SubnetIdentifier"] for s in found.get("Subnets", [])),
            "description": found.get("DBSubnetGroupDescription", ""),
            "tags": tags_dict(ctx.clients("rds").list_tags_for_resource(ResourceName=arn).get("TagList", [])),
        }

    def create(self, ctx: ProviderContext, resource: DbSubnetGroup) -> ResourceState:
        ctx.clients("rds").create_db_subnet_group(
            DBSubnetGroupName=_rds_name(ctx, resource),
            DBSubnetGroupDescription=resource.description,
            SubnetIds=self.desired(ctx, resource)["subnets"],
            Tags=tags_list(resource.tags),
        )
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: DbSubnetGroup, changed: frozenset[str]) -> ResourceState:
        rds = ctx.clients("rds")
        name = _rds_name(ctx, resource)
        if changed & {"subnets", "description"}:
            rds.modify_db_subnet_group(
                DBSubnetGroupName=name,
                DBSubnetGroupDescription=resource.description,
                SubnetIds=self.desired(ctx, resource)["subnets"],
            )
            if self._find(ctx, name) is None:
                # moto drops a subnet group it modifies (AWS keeps it): it is made again as modified.
                return self.create(ctx, resource)
        if "tags" in changed:
            _sync_tags(rds, self.arn(ctx, resource), dict(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: DbSubnetGroup) -> None:
        self.delete_physical(ctx, _rds_name(ctx, resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        names: list[str] = []
        for page in ctx.clients("rds").get_paginator("describe_db_subnet_groups").paginate():
            names.extend(
                g["DBSubnetGroupName"]
                for g in page.get("DBSubnetGroups", [])
                if g["DBSubnetGroupName"].startswith(prefix)
            )
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        try:
            ctx.clients("rds").delete_db_subnet_group(DBSubnetGroupName=physical_id)
        except Exception as exc:
            if error_code(exc) != "DBSubnetGroupNotFoundFault":
                raise


class _DbHandler:
    """What instances and clusters share: reading one back, tags, unprotecting before deletion."""

    kind: ClassVar[str]  # "db" or "cluster": the ARN's resource type
    describe: ClassVar[str]
    key: ClassVar[str]
    id_field: ClassVar[str]
    not_found: ClassVar[str]
    modify: ClassVar[str]

    def _find(self, ctx: ProviderContext, name: str) -> dict[str, Any] | None:
        rds = ctx.clients("rds")
        try:
            found = getattr(rds, self.describe)(**{self.id_field: name})[self.key]
        except Exception as exc:
            if error_code(exc) == self.not_found:
                return None
            raise
        live = [f for f in found if str(f.get("Status", f.get("DBInstanceStatus", ""))).lower() != "deleting"]
        return dict(live[0]) if live else None

    def _list(self, ctx: ProviderContext, prefix: str) -> list[str]:
        names: list[str] = []
        rds = ctx.clients("rds")
        for page in rds.get_paginator(self.describe).paginate():
            names.extend(
                str(i[self.id_field]) for i in page.get(self.key, []) if str(i[self.id_field]).startswith(prefix)
            )
        return names

    def arn(self, ctx: ProviderContext, resource: Database | DbCluster) -> str:
        return _rds_arn(ctx, self.kind, _rds_name(ctx, resource))

    def state(self, ctx: ProviderContext, resource: Database | DbCluster) -> ResourceState:
        return ResourceState(str(resource.address), _rds_name(ctx, resource), self.arn(ctx, resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        return self._list(ctx, prefix.lower())

    def _own_settings(self, resource: Database | DbCluster, want: dict[str, Any]) -> dict[str, Any]:
        """What a standalone instance or a cluster is created with: credentials, groups, encryption."""
        request: dict[str, Any] = {
            "MasterUsername": "pwadmin",
            "StorageEncrypted": resource.storage_encrypted,
            "EnableIAMDatabaseAuthentication": resource.iam_auth,
        }
        if resource.security_groups:
            request["VpcSecurityGroupIds"] = want["security_groups"]
        if want["kms_key"]:
            request["KmsKeyId"] = want["kms_key"]
        if resource.master_password == "managed":
            request["ManageMasterUserPassword"] = True
        else:
            request["MasterUserPassword"] = _stand_in_password()
        return request

    def _modify(
        self,
        ctx: ProviderContext,
        resource: Database | DbCluster,
        changed: frozenset[str],
        want: dict[str, Any],
        request: dict[str, Any],
    ) -> ResourceState:
        """Apply the changes both kinds share, with ``request`` holding the kind's own, then the tags."""
        rds = ctx.clients("rds")
        if "security_groups" in changed:
            request["VpcSecurityGroupIds"] = want["security_groups"]
        if "iam_auth" in changed:
            request["EnableIAMDatabaseAuthentication"] = resource.iam_auth
        if "deletion_protection" in changed:
            request["DeletionProtection"] = resource.deletion_protection
        if "managed_password" in changed:
            request["ManageMasterUserPassword"] = want["managed_password"]
            if not want["managed_password"]:
                request["MasterUserPassword"] = _stand_in_password()
        if request:
            getattr(rds, self.modify)(**{self.id_field: _rds_name(ctx, resource)}, ApplyImmediately=True, **request)
        if "tags" in changed:
            _sync_tags(rds, self.arn(ctx, resource), dict(resource.tags))
        return self.state(ctx, resource)

    def _unprotected(self, ctx: ProviderContext, physical_id: str) -> dict[str, Any] | None:
        """The instance or cluster found, with deletion protection lifted (as AWS, it would stop the delete)."""
        found = self._find(ctx, physical_id)
        if found is not None and found.get("DeletionProtection"):
            getattr(ctx.clients("rds"), self.modify)(
                **{self.id_field: physical_id}, DeletionProtection=False, ApplyImmediately=True
            )
        return found


class DatabaseHandler(_DbHandler, Handler[Database]):
    resource_type = Database
    sweep_order = 26
    kind = "db"
    describe = "describe_db_instances"
    key = "DBInstances"
    id_field = "DBInstanceIdentifier"
    not_found = "DBInstanceNotFound"
    modify = "modify_db_instance"

    def _cluster_name(self, ctx: ProviderContext, resource: Database) -> str | None:
        return ctx.state_of("db_clusters", resource.cluster).physical_id if resource.cluster else None

    def _subnet_group(self, ctx: ProviderContext, resource: Database) -> str | None:
        return ctx.state_of("db_subnet_groups", resource.subnet_group).physical_id if resource.subnet_group else None

    def desired(self, ctx: ProviderContext, resource: Database) -> dict[str, Any]:
        standalone = resource.cluster is None
        return {
            "engine": resource.engine,
            "instance_class": resource.instance_class,
            "cluster": self._cluster_name(ctx, resource),
            "subnet_group": self._subnet_group(ctx, resource),
            "security_groups": _group_ids(ctx, resource.security_groups) if standalone else None,
            "publicly_accessible": resource.publicly_accessible,
            "storage_encrypted": resource.storage_encrypted if standalone else None,
            "kms_key": _key_arn(ctx, resource.kms_key),
            "iam_auth": resource.iam_auth if standalone else None,
            "deletion_protection": resource.deletion_protection,
            "managed_password": resource.master_password == "managed",
            "storage_gb": (resource.storage_gb or 20) if standalone else None,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Database) -> dict[str, Any] | None:
        found = self._find(ctx, _rds_name(ctx, resource))
        if found is None:
            return None
        standalone = resource.cluster is None
        group = found.get("DBSubnetGroup") or {}
        key = found.get("KmsKeyId") if found.get("StorageEncrypted") else None
        return {
            "engine": found.get("Engine"),
            "instance_class": found.get("DBInstanceClass"),
            "cluster": found.get("DBClusterIdentifier") or None,
            "subnet_group": group.get("DBSubnetGroupName") if isinstance(group, dict) else None,
            # A cluster member takes its groups, encryption and authentication from the cluster: compared there.
            "security_groups": (
                sorted(g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", []) if resource.security_groups)
                if standalone
                else None
            ),
            "publicly_accessible": bool(found.get("PubliclyAccessible")),
            "storage_encrypted": bool(found.get("StorageEncrypted")) if standalone else None,
            # Encryption without a key of the definition's uses the account's RDS key: not compared then.
            "kms_key": key if resource.kms_key else None,
            "iam_auth": bool(found.get("IAMDatabaseAuthenticationEnabled")) if standalone else None,
            "deletion_protection": bool(found.get("DeletionProtection")),
            "managed_password": _managed_secret(found),
            "storage_gb": found.get("AllocatedStorage") if standalone else None,
            "tags": tags_dict(found.get("TagList", [])),
        }

    def create(self, ctx: ProviderContext, resource: Database) -> ResourceState:
        want = self.desired(ctx, resource)
        request: dict[str, Any] = {
            "DBInstanceIdentifier": _rds_name(ctx, resource),
            "DBInstanceClass": resource.instance_class,
            "Engine": resource.engine,
            "PubliclyAccessible": resource.publicly_accessible,
            "DeletionProtection": resource.deletion_protection,
            "Tags": tags_list(resource.tags),
        }
        if want["subnet_group"]:
            request["DBSubnetGroupName"] = want["subnet_group"]
        if resource.cluster:
            request["DBClusterIdentifier"] = want["cluster"]
        else:
            request.update(AllocatedStorage=want["storage_gb"], **self._own_settings(resource, want))
        ctx.clients("rds").create_db_instance(**request)
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: Database, changed: frozenset[str]) -> ResourceState:
        fixed = changed & {"engine", "cluster", "subnet_group", "storage_encrypted", "kms_key"}
        if fixed:
            raise cannot_change(resource.KIND, str(resource.address), fixed)
        want = self.desired(ctx, resource)
        request: dict[str, Any] = {}
        if "instance_class" in changed:
            request["DBInstanceClass"] = resource.instance_class
        if "publicly_accessible" in changed:
            request["PubliclyAccessible"] = resource.publicly_accessible
        if "storage_gb" in changed:
            request["AllocatedStorage"] = want["storage_gb"]
        return self._modify(ctx, resource, changed, want, request)

    def delete(self, ctx: ProviderContext, resource: Database) -> None:
        self.delete_physical(ctx, _rds_name(ctx, resource))

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        rds = ctx.clients("rds")
        found = self._unprotected(ctx, physical_id)
        if found is None:
            return
        request: dict[str, Any] = {"DBInstanceIdentifier": physical_id, "DeleteAutomatedBackups": True}
        if not found.get("DBClusterIdentifier"):
            request["SkipFinalSnapshot"] = True
        try:
            rds.delete_db_instance(**request)
        except Exception as exc:
            if error_code(exc) != "DBInstanceNotFound":
                raise


class DbClusterHandler(_DbHandler, Handler[DbCluster]):
    resource_type = DbCluster
    sweep_order = 28
    kind = "cluster"
    describe = "describe_db_clusters"
    key = "DBClusters"
    id_field = "DBClusterIdentifier"
    not_found = "DBClusterNotFoundFault"
    modify = "modify_db_cluster"

    def desired(self, ctx: ProviderContext, resource: DbCluster) -> dict[str, Any]:
        return {
            "engine": resource.engine,
            "subnet_group": (
                ctx.state_of("db_subnet_groups", resource.subnet_group).physical_id if resource.subnet_group else None
            ),
            "security_groups": _group_ids(ctx, resource.security_groups),
            "storage_encrypted": resource.storage_encrypted,
            "kms_key": _key_arn(ctx, resource.kms_key),
            "iam_auth": resource.iam_auth,
            "deletion_protection": resource.deletion_protection,
            "managed_password": resource.master_password == "managed",
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: DbCluster) -> dict[str, Any] | None:
        found = self._find(ctx, _rds_name(ctx, resource))
        if found is None:
            return None
        group = found.get("DBSubnetGroup")
        key = found.get("KmsKeyId") if found.get("StorageEncrypted") else None
        return {
            "engine": found.get("Engine"),
            "subnet_group": group if isinstance(group, str) and group else None,
            # With no groups of its own a cluster gets the VPC's default group: only declared groups are compared.
            "security_groups": (
                sorted(g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", []))
                if resource.security_groups
                else []
            ),
            "storage_encrypted": bool(found.get("StorageEncrypted")),
            "kms_key": key if resource.kms_key else None,
            "iam_auth": bool(found.get("IAMDatabaseAuthenticationEnabled")),
            "deletion_protection": bool(found.get("DeletionProtection")),
            "managed_password": _managed_secret(found),
            "tags": tags_dict(found.get("TagList", [])),
        }

    def create(self, ctx: ProviderContext, resource: DbCluster) -> ResourceState:
        want = self.desired(ctx, resource)
        request: dict[str, Any] = {
            "DBClusterIdentifier": _rds_name(ctx, resource),
            "Engine": resource.engine,
            "DeletionProtection": resource.deletion_protection,
            "Tags": tags_list(resource.tags),
            **self._own_settings(resource, want),
        }
        if want["subnet_group"]:
            request["DBSubnetGroupName"] = want["subnet_group"]
        ctx.clients("rds").create_db_cluster(**request)
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: DbCluster, changed: frozenset[str]) -> ResourceState:
        fixed = changed & {"engine", "subnet_group", "storage_encrypted", "kms_key"}
        if fixed:
            raise cannot_change(resource.KIND, str(resource.address), fixed)
        return self._modify(ctx, resource, changed, self.desired(ctx, resource), {})

    def delete(self, ctx: ProviderContext, resource: DbCluster) -> None:
        self.delete_physical(ctx, _rds_name(ctx, resource))

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        rds = ctx.clients("rds")
        if self._unprotected(ctx, physical_id) is None:
            return
        # A cluster goes only once its instances are gone (the sweeper deletes instances first).
        try:
            rds.delete_db_cluster(DBClusterIdentifier=physical_id, SkipFinalSnapshot=True)
        except Exception as exc:
            if error_code(exc) != "DBClusterNotFoundFault":
                raise
        # AWS removes a cluster's automated snapshots with it; an emulator that keeps them refuses a new cluster of
        # the same name (its automated snapshot's name is taken).
        snapshots = rds.describe_db_cluster_snapshots(DBClusterIdentifier=physical_id, SnapshotType="automated")
        for snapshot in snapshots.get("DBClusterSnapshots", []):
            try:
                rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"])
            except Exception as exc:
                if error_code(exc) not in ("DBClusterSnapshotNotFoundFault", "InvalidDBClusterSnapshotStateFault"):
                    raise


HANDLERS = (DbSubnetGroupHandler(), DbClusterHandler(), DatabaseHandler())


# -- how the source formats spell the data tier ------------------------------------------------------------------


def _master_password(reader: Reader, props: Props, draft: Draft) -> Any:
    """Whether a master password is set or managed; the password itself is marked read and never kept."""
    if reader.format == CLOUDFORMATION:
        managed, password, secret = "ManageMasterUserPassword", "MasterUserPassword", "MasterUserSecret"
    else:
        managed, password, secret = "manage_master_user_password", "password", "master_user_secret_kms_key_id"
        if draft.cls is DbCluster:
            password = "master_password"
    if props.flag(managed, False):
        if props.has(secret):
            props.raw(secret)
            reader.note(f"{props.at(secret)}: the key of the managed master password secret is {UNVERIFIED}")
        return "managed"
    given = props.has(password)
    props.ignore(password)
    return "set" if given else MISSING


def _storage(reader: Reader, value: Any, path: str) -> Any:
    try:
        return int(str(value))
    except ValueError:
        reader.fail(path, "the allocated storage in GiB (a whole number)", repr(value), "write it like 20")


_CFN_IGNORED = (
    # Names, versions and maintenance timing: nothing the claims depend on.
    "EngineVersion",
    "MasterUsername",
    "DBName",
    "DatabaseName",
    "AllowMajorVersionUpgrade",
    "AutoMinorVersionUpgrade",
    "PreferredBackupWindow",
    "PreferredMaintenanceWindow",
    "AvailabilityZone",
    "AvailabilityZones",
    "StorageType",
    "Iops",
    "CopyTagsToSnapshot",
    "Port",
)
_TF_IGNORED = (
    "username",
    "master_username",
    "name",
    "db_name",
    "database_name",
    "engine_version",
    "engine_version_actual",
    "apply_immediately",
    "auto_minor_version_upgrade",
    "allow_major_version_upgrade",
    "skip_final_snapshot",
    "final_snapshot_identifier",
    "delete_automated_backups",
    "identifier_prefix",
    "cluster_identifier_prefix",
    "timeouts",
    "availability_zone",
    "availability_zones",
    "maintenance_window",
    "backup_window",
    "preferred_backup_window",
    "preferred_maintenance_window",
    "storage_type",
    "iops",
    "license_model",
    "character_set_name",
    "timezone",
    "ca_cert_identifier",
    "copy_tags_to_snapshot",
    "port",
    "address",
    "endpoint",
    "reader_endpoint",
    "hosted_zone_id",
    "resource_id",
    "cluster_resource_id",
    "status",
    "replicas",
    "cluster_members",
    "latest_restorable_time",
    "master_user_secret",
    "writer",
)

_KMS_KEY = Field("kms_key", cfn="KmsKeyId", tf="kms_key_id", read="ref", section="keys")

# Settings instances and clusters spell alike.
_STORAGE_ENCRYPTED = Field(
    "storage_encrypted", cfn="StorageEncrypted", tf="storage_encrypted", read="flag", default=False
)
_IAM_AUTH = Field(
    "iam_auth",
    cfn="EnableIAMDatabaseAuthentication",
    tf="iam_database_authentication_enabled",
    read="flag",
    default=False,
)
_DELETION_PROTECTION = Field(
    "deletion_protection", cfn="DeletionProtection", tf="deletion_protection", read="flag", default=False
)
_MASTER_PASSWORD = Field("master_password", cfn_read=_master_password, tf_read=_master_password)

_PLACEMENT_KEYS = {
    CLOUDFORMATION: ("DBSubnetGroupName", "VPCSecurityGroups"),
    TERRAFORM: ("db_subnet_group_name", "vpc_security_group_ids"),
}


def _declared(reader: Reader, value: Any, section: str) -> str | None:
    parts = ref_parts(reader.spelled(value, section))
    return parts[1] if parts is not None and parts[0] == section else None


def _placement(reader: Reader, draft: Draft, props: Props) -> None:
    """The subnet group and security groups, kept only when the definition declares all of them.

    A database placed by names of other stacks (an imported subnet group, a group id passed as a parameter) cannot
    be placed here: it is deployed outside any VPC and the isolation scenarios about it say so (unverified).
    """
    group_key, groups_key = _PLACEMENT_KEYS[reader.format]
    if reader.format == CLOUDFORMATION and draft.cls is DbCluster:
        groups_key = "VpcSecurityGroupIds"  # a cluster's own spelling
    subnet_group = props.raw(group_key)
    groups = props.seq(groups_key) if props.has(groups_key) else []
    props.ignore(groups_key)
    wanted = ([(subnet_group, "db_subnet_groups")] if subnet_group is not None else []) + [
        (g, "security_groups") for g in groups
    ]
    names = [_declared(reader, value, section) for value, section in wanted]
    outside = [describe(value) for (value, _section), name in zip(wanted, names, strict=True) if name is None]
    if outside:
        reader.note(
            f"{props.path}: the network placement names {', '.join(outside)}, outside the definition; the "
            f"{draft.cls.KIND} is deployed outside any VPC here, so isolation scenarios about it are unverified"
        )
        return
    if subnet_group is not None:
        draft.kwargs["subnet_group"] = names[0]
    if groups:
        draft.kwargs["security_groups"] = tuple(n for n in names[1 if subnet_group is not None else 0 :] if n)
    for key in ("DBSecurityGroups", "security_group_names"):
        if props.values.get(key):
            props.raw(key)
            reader.note(f"{props.at(key)}: DB security groups (EC2-Classic) are {UNVERIFIED}")


SCHEMAS = (
    Schema(
        DbSubnetGroup,
        fields=(
            Field("subnets", cfn="SubnetIds", tf="subnet_ids", read="heres", section="subnets", what="a subnet",
                  required=True),
            Field("description", cfn="DBSubnetGroupDescription", tf="description", required=True,
                  tf_default="Managed by Terraform"),
            Field("tags", cfn="Tags", tf="tags", read="tags"),
        ),
        cfn=Cfn("AWS::RDS::DBSubnetGroup", ref="{name}", name="DBSubnetGroupName"),
        tf=Tf("aws_db_subnet_group", name="name", attributes={"id": "name", "name": "name", "arn": "arn"},
              ignore=("supported_network_types", "vpc_id")),
    ),
    Schema(
        DbCluster,
        fields=(
            Field("engine", cfn="Engine", tf="engine", required=True),
            _STORAGE_ENCRYPTED,
            _KMS_KEY,
            _IAM_AUTH,
            _DELETION_PROTECTION,
            _MASTER_PASSWORD,
            Field("tags", cfn="Tags", tf="tags", read="tags"),
        ),
        cfn=Cfn(
            "AWS::RDS::DBCluster",
            ref="{name}",
            attributes={
                "DBClusterArn": "{arn}",
                "DBClusterResourceId": None,
                "Endpoint.Address": None,
                "Endpoint.Port": None,
                "ReadEndpoint.Address": None,
                "MasterUserSecret.SecretArn": None,
                "StorageThroughput": None,
            },
            name="DBClusterIdentifier",
            ignore=_CFN_IGNORED,
            finish=_placement,
        ),
        tf=Tf(
            "aws_rds_cluster",
            name="cluster_identifier",
            attributes={"id": "name", "cluster_identifier": "name", "arn": "arn"},
            ignore=_TF_IGNORED,
            finish=_placement,
        ),
    ),
    Schema(
        Database,
        fields=(
            Field("engine", cfn="Engine", tf="engine", required=True),
            Field("instance_class", cfn="DBInstanceClass", tf="instance_class", required=True),
            Field("cluster", cfn="DBClusterIdentifier", read="here", section="db_clusters", what="a DB cluster"),
            Field("publicly_accessible", cfn="PubliclyAccessible", tf="publicly_accessible", read="flag",
                  default=False),
            _STORAGE_ENCRYPTED,
            _KMS_KEY,
            _IAM_AUTH,
            _DELETION_PROTECTION,
            _MASTER_PASSWORD,
            Field("storage_gb", cfn="AllocatedStorage", tf="allocated_storage", read="raw", parse=_storage),
            Field("tags", cfn="Tags", tf="tags", read="tags"),
        ),
        cfn=Cfn(
            "AWS::RDS::DBInstance",
            ref="{name}",
            attributes={
                "DBInstanceArn": "{arn}",
                "DbiResourceId": None,
                "DBSystemId": None,
                "Endpoint.Address": None,
                "Endpoint.Port": None,
                "Endpoint.HostedZoneId": None,
                "MasterUserSecret.SecretArn": None,
                "CertificateDetails.CAIdentifier": None,
                "CertificateDetails.ValidTill": None,
            },
            name="DBInstanceIdentifier",
            ignore=_CFN_IGNORED,
            finish=_placement,
        ),
        tf=Tf(
            "aws_db_instance",
            name="identifier",
            attributes={"id": "name", "identifier": "name", "arn": "arn"},
            quiet={"monitoring_interval": 0, "performance_insights_enabled": False, "multi_az": False},
            ignore=_TF_IGNORED,
            finish=_placement,
        ),
    ),
    Schema(
        Database,
        fields=(
            Field("engine", tf="engine", required=True),
            Field("instance_class", tf="instance_class", required=True),
            Field("cluster", tf="cluster_identifier", read="here", section="db_clusters", what="a DB cluster",
                  required=True),
            Field("publicly_accessible", tf="publicly_accessible", read="flag", default=False),
            Field("tags", tf="tags", read="tags"),
        ),
        tf=Tf(
            "aws_rds_cluster_instance",
            name="identifier",
            attributes={"id": "name", "identifier": "name", "arn": "arn"},
            quiet={"monitoring_interval": 0, "performance_insights_enabled": False},
            ignore=(*_TF_IGNORED, "storage_encrypted", "kms_key_id", "promotion_tier"),
            finish=_placement,
        ),
    ),
)  # fmt: skip


_GROUP_REASON = (
    "engine settings and options (such as rds.force_ssl or an audit plugin) are not analysed; scenarios that depend "
    "on them are unverified"
)

IGNORED = (
    Ignored(_GROUP_REASON, cfn="AWS::RDS::DBParameterGroup", tf="aws_db_parameter_group"),
    Ignored(_GROUP_REASON, cfn="AWS::RDS::DBClusterParameterGroup", tf="aws_rds_cluster_parameter_group"),
    Ignored(_GROUP_REASON, cfn="AWS::RDS::OptionGroup", tf="aws_db_option_group"),
)
