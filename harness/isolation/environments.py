"""Which environment each resource of a definition belongs to, and what makes up each environment.

A resource belongs to the environment its environment tag names (``environment``, ``Environment`` or ``env``; a VPC
may say it with its ``environment`` field); ``prod``, ``production``, ``prd`` and ``live``, in any case, are
production. What is placed in a VPC (subnets, security groups, endpoints, builds) belongs to the VPC's environment
unless it says otherwise, and a role belongs to the environment of the builds that run with it. An RDS database
belongs to its cluster's environment, else to that of its subnet group's VPC.

The data tier of an environment is what carries the tag ``tier: data`` (``Tier: Data`` too; buckets, security groups
and subnets),
and every RDS instance and cluster, which are data tier by nature: their security groups and their subnet groups'
subnets join the environment's data groups and data subnets.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import BESIDE, absent
from harness.model.base import Resource
from harness.model.definition import Definition, environment_of, is_production_name, tag_value
from harness.provider.resources.codebuild_project import BuildProject, VpcPlacement
from harness.provider.resources.ec2_security_group import SecurityGroup
from harness.provider.resources.ec2_subnet import Subnet
from harness.provider.resources.ec2_vpc import Vpc
from harness.provider.resources.iam_role import Role
from harness.provider.resources.kms_key import KmsKey
from harness.provider.resources.rds import Database, DbCluster, DbSubnetGroup
from harness.provider.resources.s3_bucket import Bucket

TIER_TAG = "tier"
DATA_TIER = "data"


@dataclass(frozen=True, slots=True)
class EnvironmentScope:
    """The resources of one environment, by logical name.

    Attributes:
        name: the environment (``prod``).
        production: whether it holds production data.
        vpcs, builds, roles, buckets, keys: what belongs to it.
        databases, db_clusters: its RDS instances (cluster members included) and clusters.
        data_buckets, data_groups, data_subnets: its data tier (with the databases' groups and subnets).
        unplaced: addresses of its databases and clusters placed in no subnet group of the definition (in AWS's
            default VPC, which the analysis does not cover).
    """

    name: str
    production: bool
    vpcs: tuple[str, ...] = ()
    builds: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    db_clusters: tuple[str, ...] = ()
    data_buckets: tuple[str, ...] = ()
    data_groups: tuple[str, ...] = ()
    data_subnets: tuple[str, ...] = ()
    unplaced: tuple[str, ...] = ()


def _tier(resource: Resource) -> str:
    """The tier a resource's ``tier`` tag names (``Tier: Data`` too), in lower case."""
    return tag_value(getattr(resource, "tags", None), TIER_TAG).lower()


def _canonical(definition: Definition, name: str) -> str:
    """An environment name as the definition declares it (``Prod`` is the declared ``prod``), else in lower case, so
    ``Environment: Production`` and ``env: production`` name one environment."""
    return next((e for e in definition.environments if e.lower() == name.lower()), name.lower())


def resource_environments(definition: Definition) -> dict[str, str]:
    """The environment of every resource that has one, by address (``subnets.prod-data`` -> ``prod``)."""
    out: dict[str, str] = {}
    vpc_env = {r.name: _canonical(definition, environment_of(r)) for r in definition.of_type(Vpc)}
    for resource in definition.resources:
        env = _canonical(definition, environment_of(resource))
        if not env:
            vpc = getattr(resource, "vpc", None)
            if isinstance(vpc, VpcPlacement):
                vpc = vpc.vpc
            if isinstance(vpc, str):
                env = vpc_env.get(vpc) or ""
        if env:
            out[str(resource.address)] = env
    # A subnet group is where its subnets are; a cluster is in its subnet group's environment, and a database in its
    # cluster's, else in its subnet group's.
    for group in definition.of_type(DbSubnetGroup):
        assert isinstance(group, DbSubnetGroup)
        found = {out[f"subnets.{s}"] for s in group.subnets if f"subnets.{s}" in out}
        if str(group.address) not in out and len(found) == 1:
            out[str(group.address)] = found.pop()
    for cls in (DbCluster, Database):
        for db in definition.of_type(cls):
            address = str(db.address)
            cluster = getattr(db, "cluster", None)
            inherited = out.get(f"db_clusters.{cluster}") if cluster else None
            placed = out.get(f"db_subnet_groups.{getattr(db, 'subnet_group', None)}")
            if address not in out and (inherited or placed):
                out[address] = str(inherited or placed)
    # A role without an environment of its own takes the one of the builds that run with it.
    for project in definition.of_type(BuildProject):
        assert isinstance(project, BuildProject)
        build_env = out.get(str(project.address), "")
        role = f"roles.{project.service_role}"
        if build_env and role not in out and definition.get("roles", project.service_role) is not None:
            out[role] = build_env
    return out


def scopes(definition: Definition) -> dict[str, EnvironmentScope]:
    """Every environment of the definition (declared or named by a tag) with its resources."""
    envs = resource_environments(definition)
    names = list(definition.environments) + sorted(set(envs.values()) - set(definition.environments))
    out: dict[str, EnvironmentScope] = {}
    for name in names:
        declared = definition.environments.get(name)
        production = bool(declared.production) if declared is not None else is_production_name(name)

        def members(cls: type[Resource], data: bool = False, env: str = name) -> tuple[str, ...]:
            return tuple(
                r.name
                for r in definition.of_type(cls)
                if envs.get(str(r.address)) == env and (not data or _tier(r) == DATA_TIER)
            )

        databases = [
            r for cls in (Database, DbCluster) for r in definition.of_type(cls) if envs.get(str(r.address)) == name
        ]
        groups, subnets, unplaced = _database_tier(definition, databases)
        out[name] = EnvironmentScope(
            name=name,
            production=production,
            vpcs=members(Vpc),
            builds=members(BuildProject),
            roles=members(Role),
            buckets=members(Bucket),
            keys=members(KmsKey),
            databases=members(Database),
            db_clusters=members(DbCluster),
            data_buckets=members(Bucket, data=True),
            data_groups=_merged(members(SecurityGroup, data=True), groups),
            data_subnets=_merged(members(Subnet, data=True), subnets),
            unplaced=unplaced,
        )
    return out


def _database_tier(
    definition: Definition, databases: list[Resource]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The security groups and subnets the databases are placed with, and the databases placed nowhere.

    A cluster's members are placed by the cluster (its groups and subnet group).
    """
    groups: list[str] = []
    subnets: list[str] = []
    unplaced: list[str] = []
    for db in databases:
        placed_by = db
        cluster = getattr(db, "cluster", None)
        if cluster:
            found = definition.get("db_clusters", cluster)
            placed_by = found if found is not None else db
        groups.extend(getattr(placed_by, "security_groups", ()))
        subnet_group = definition.get("db_subnet_groups", getattr(placed_by, "subnet_group", None) or "")
        if isinstance(subnet_group, DbSubnetGroup):
            subnets.extend(subnet_group.subnets)
        else:
            unplaced.append(str(placed_by.address))
    return tuple(dict.fromkeys(groups)), tuple(dict.fromkeys(subnets)), tuple(dict.fromkeys(unplaced))


def _merged(first: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *more)))


def production(definition: Definition) -> tuple[EnvironmentScope, ...]:
    """The production environments.

    Raises:
        Unverified: the definition has none (nothing to isolate: the claim has no subject), naming how to declare
            one.
    """
    found = tuple(s for s in scopes(definition).values() if s.production)
    if not found:
        raise absent(
            f"definition '{definition.name}'",
            "declares no production environment",
            "tag the production resources 'Environment: Production' (or 'env: prod'), or declare an environment "
            f"with 'production: true' under 'environments', {BESIDE}",
        )
    return found


def non_production(definition: Definition) -> tuple[EnvironmentScope, ...]:
    """Every environment that is not production (may be empty)."""
    return tuple(s for s in scopes(definition).values() if not s.production)
