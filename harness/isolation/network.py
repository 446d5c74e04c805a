"""The network side of isolation: sources and data tiers from a deployment, and the questions the scenarios ask.

Every answer comes from the reachability analysis over the network read back from the backend; a path found is
reported hop by hop, with the rule that opened it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.acceptance import Deployment, expect_drift
from harness.errors import BESIDE, CheckFailed, Unverified, absent
from harness.isolation.environments import EnvironmentScope, non_production, production
from harness.network import (
    CidrPeer,
    Component,
    Destination,
    InternetTarget,
    NetworkModel,
    Reachability,
    SecurityGroupRule,
    SecurityGroupTarget,
    ServiceTarget,
    Source,
    SubnetTarget,
    Verdict,
    can_reach,
    expect_all_blocked,
    reachable_protocols,
    read_network,
)
from harness.provider.base import error_code


@dataclass(frozen=True, slots=True)
class Survey:
    """The answers to one isolation question, kept together for the checks and the evidence."""

    question: str
    answers: tuple[Reachability, ...]
    names: tuple[tuple[str, str], ...] = ()  # EC2 id -> the definition's address, for messages

    def paths(self) -> tuple[Reachability, ...]:
        """The answers that found a path."""
        return tuple(a for a in self.answers if a.verdict is Verdict.REACHABLE)


@dataclass(frozen=True, slots=True)
class EgressSurvey:
    """Where production builds get to: AWS services through endpoints, and the internet."""

    services: tuple[Reachability, ...]
    internet: tuple[Reachability, ...]
    names: tuple[tuple[str, str], ...] = ()  # EC2 id -> the definition's address, for messages


@dataclass(frozen=True, slots=True)
class OpenedRule:
    """An ingress rule added to a data-tier group outside the definition."""

    group_id: str
    cidr: str
    port: int


def _state_id(deployment: Deployment, address: str) -> str:
    state = deployment.provider.state.get(address)
    if state is None:
        raise CheckFailed(f"{address}: expected it to be deployed, found it missing; deploy the pipeline first")
    return state.physical_id


_EC2_ID = re.compile(r"\b(?:vpc|subnet|sg|rtb|igw|nat|pcx|vpce|acl)-[0-9a-f]+\b")


def names_of(deployment: Deployment) -> tuple[tuple[str, str], ...]:
    """The EC2 ids of the deployment with the addresses that declare them (``sg-0ab...`` -> ``security_groups.db``)."""
    return tuple(
        (state.physical_id, address)
        for address, state in deployment.provider.state.items()
        if _EC2_ID.fullmatch(state.physical_id)
    )


def named(text: str, names: tuple[tuple[str, str], ...]) -> str:
    """``text`` with each EC2 id of the deployment followed by its address: ``sg-0ab (security_groups.db)``."""
    lookup = dict(names)
    return _EC2_ID.sub(lambda m: f"{m.group(0)} ({lookup[m.group(0)]})" if m.group(0) in lookup else m.group(0), text)


_NETWORK_SECTIONS = ("vpcs", "subnets", "security_groups")


def network_model(deployment: Deployment) -> NetworkModel:
    """The network of the definition's VPCs, read back from the backend.

    Raises:
        Unverified: part of the network stands in for resources the definition only names (an existing VPC, a
            subnet or group given by id): their routes, ACLs, rules and other members are unknown.
    """
    definition = deployment.require_definition()
    stand_ins = [
        u for u in definition.unknowns if u.aspect == "resource" and u.address.split(".", 1)[0] in _NETWORK_SECTIONS
    ]
    if stand_ins:
        raise Unverified(
            "the network holds resources the definition only names, whose routes, ACLs, rules and other members are "
            f"unknown: {'; '.join(f'{u.address} ({u.reason})' for u in stand_ins)}; give the template or plan that "
            "declares them too, or declare the network here"
        )
    vpc_ids = [_state_id(deployment, f"vpcs.{r.name}") for r in definition.resources if r.SECTION == "vpcs"]
    model = read_network(deployment.backend.client("ec2"), vpc_ids=vpc_ids, region=deployment.backend.region)
    deployment.evidence.current().data.setdefault("network_gaps", list(model.gaps))
    return model


def build_source(deployment: Deployment, project: str, environment: str) -> Source:
    """The network placement of a deployed build project, as CodeBuild holds it.

    Raises:
        Unverified: the project runs outside any VPC (in AWS's own network, which cannot be analysed).
    """
    name = _state_id(deployment, f"build_projects.{project}")
    found = deployment.backend.client("codebuild").batch_get_projects(names=[name]).get("projects", [])
    config = (found[0].get("vpcConfig") or {}) if found else {}
    label = f"{environment} build '{project}'"
    if not config.get("vpcId"):
        raise Unverified(
            f"{label} runs outside any VPC, in AWS's network, which the analysis cannot follow; "
            "place it in a VPC (build_projects.{project}.vpc) to have its reachability decided"
        )
    return Source.from_vpc_config(label, config)


def data_tier(deployment: Deployment, model: NetworkModel, scope: EnvironmentScope) -> list[Destination]:
    """The data tier of an environment as destinations: each data security group placed in the data subnets of
    its VPC, and each data subnet that no data group covers."""
    subnet_ids = {n: _state_id(deployment, f"subnets.{n}") for n in scope.data_subnets}
    targets: list[Destination] = []
    covered: set[str] = set()
    for group in scope.data_groups:
        group_id = _state_id(deployment, f"security_groups.{group}")
        model_group = model.security_group.get(group_id)
        vpc_id = model_group.vpc_id if model_group else ""
        placed = tuple(sid for sid in subnet_ids.values() if sid in model.subnet and model.subnet[sid].vpc_id == vpc_id)
        covered.update(placed)
        targets.append(SecurityGroupTarget(group_id, placed))
    targets.extend(SubnetTarget(sid) for sid in subnet_ids.values() if sid not in covered)
    return targets


def _production_tier(deployment: Deployment, model: NetworkModel) -> list[Destination]:
    definition = deployment.require_definition()
    targets = [t for scope in production(definition) for t in data_tier(deployment, model, scope)]
    if not targets:
        unplaced = [a for scope in production(definition) for a in scope.unplaced]
        if unplaced:
            raise Unverified(_unplaced_reason(unplaced[0]))
        raise absent(
            f"definition '{definition.name}'",
            "declares no production data tier",
            "declare the production database (an RDS instance or cluster), or tag its security group and subnet "
            f"'Tier: Data', {BESIDE}",
        )
    return targets


def _unplaced_reason(address: str) -> str:
    return (
        f"{address} is in no subnet group of the definition (AWS places it in the default VPC), so paths to it "
        "cannot be analysed; place it in a DB subnet group of the definition's subnets"
    )


def _unplaced(sources: Iterable[Source], deployment: Deployment) -> tuple[Reachability, ...]:
    """An undecided answer from each source to each production database placed in no subnet group."""
    definition = deployment.require_definition()
    return tuple(
        Reachability(
            Verdict.UNVERIFIED,
            source.name,
            address,
            "-1",
            None,
            reason=_unplaced_reason(address),
            explanation=f"{source.name} -> {address}: undecided, {_unplaced_reason(address)}",
        )
        for scope in production(definition)
        for address in scope.unplaced
        for source in sources
    )


def _every_protocol(
    model: NetworkModel, sources: Iterable[Source], targets: Sequence[Destination]
) -> tuple[Reachability, ...]:
    return tuple(
        sample
        for source in sources
        for target in targets
        for answer in reachable_protocols(model, source, target)
        for sample in answer.samples
    )


def survey_data_tier_from_non_production(deployment: Deployment) -> Survey:
    """Every non-production build against the production data tier, on every protocol and port.

    Raises:
        Unverified: no non-production build runs in a VPC, so there is nothing to decide.
    """
    definition = deployment.require_definition()
    model = network_model(deployment)
    targets = _production_tier(deployment, model)
    sources = [build_source(deployment, b, s.name) for s in non_production(definition) for b in s.builds]
    if not sources:
        raise Unverified(
            f"definition '{definition.name}' has no non-production build; tag a build project "
            "'environment: dev' (or place it in a VPC tagged so) to have its isolation checked"
        )
    return Survey(
        "non-production builds -> production data tier",
        _every_protocol(model, sources, targets) + _unplaced(sources, deployment),
        names_of(deployment),
    )


def _ingress_rules(paths: Iterable[Reachability]) -> str:
    """The security-group ingress rules the paths came in by (``sg-1: ingress tcp 5432 from 0.0.0.0/0``)."""
    found: dict[str, None] = {}
    for path in paths:
        for hop in path.hops:
            if hop.kind is Component.SECURITY_GROUP and hop.direction == "ingress":
                for rule in hop.rules:
                    found[f"{hop.component_id}: {rule}"] = None
    return ", ".join(found)


def expect_no_path(survey: Survey) -> Survey:
    """Every answer of the survey is BLOCKED.

    Raises:
        CheckFailed: naming each path found, hop by hop.
        Unverified: no path, but some answers are undecided.
    """
    try:
        expect_all_blocked(survey.answers)
    except CheckFailed as exc:
        opened_by = _ingress_rules(survey.paths())
        why = f"; let in by {opened_by}" if opened_by else ""
        raise CheckFailed(named(f"{survey.question}: {exc}{why}", survey.names), **exc.fields) from None
    return survey


def survey_production_egress(deployment: Deployment) -> EgressSurvey:
    """Where each production build gets to: each AWS service its VPC has an endpoint for (the data bucket for S3,
    as the build role), and the internet on every protocol and port.

    Raises:
        CheckFailed: a production build's VPC has no endpoint at all.
        Unverified: production has no build.
    """
    definition = deployment.require_definition()
    model = network_model(deployment)
    services: list[Reachability] = []
    sources: list[Source] = []
    for scope in production(definition):
        for build in scope.builds:
            source = build_source(deployment, build, scope.name)
            sources.append(source)
            endpoints = [e.service_name for e in model.gateway_endpoints if e.vpc_id == source.vpc_id] + [
                e.service_name for e in model.interface_endpoints if e.vpc_id == source.vpc_id
            ]
            if not endpoints:
                raise CheckFailed(
                    f"{source.name}: expected VPC endpoints for the AWS services it uses, found none in "
                    f"{source.vpc_id}; add a gateway endpoint for S3 (and interface endpoints for other services)"
                )
            for service_name in sorted(set(endpoints)):
                service = service_name.rsplit(".", 1)[-1]
                services.append(_can_reach_service(deployment, model, source, scope, build, service))
    if not sources:
        raise absent(
            f"definition '{definition.name}'",
            "declares no production build",
            f"tag the production build project 'Environment: Production', {BESIDE}",
        )
    internet = _every_protocol(model, sources, [InternetTarget()])
    return EgressSurvey(tuple(services), internet, names_of(deployment))


def _can_reach_service(
    deployment: Deployment, model: NetworkModel, source: Source, scope: EnvironmentScope, build: str, service: str
) -> Reachability:
    target = ServiceTarget(service)
    if service == "s3" and scope.data_buckets:
        bucket = _state_id(deployment, f"buckets.{scope.data_buckets[0]}")
        role = deployment.require_definition().get("build_projects", build)
        role_arn = ""
        if role is not None:
            role_state = deployment.provider.state.get(f"roles.{getattr(role, 'service_role', '')}")
            role_arn = role_state.arn if role_state else ""
        target = ServiceTarget(
            "s3", action="s3:GetObject", resource=f"arn:aws:s3:::{bucket}/*", principal=role_arn or None
        )
    return can_reach(model, source, target, "tcp", 443)


def expect_endpoints_only(survey: EgressSurvey) -> EgressSurvey:
    """Each production build reaches its AWS services through a VPC endpoint, and nothing on the internet.

    Raises:
        CheckFailed: a service reached another way or not at all, or a path to the internet (named hop by hop).
    """
    problems: list[str] = []
    for answer in survey.services:
        if answer.verdict is Verdict.UNVERIFIED:
            raise Unverified(answer.explanation)
        if answer.verdict is not Verdict.REACHABLE:
            problems.append(f"expected a path through its endpoint, found none: {answer.explanation}")
        elif not answer.endpoint_ids:
            problems.append(f"expected the path to go through a VPC endpoint, found another: {answer.explanation}")
    paths = [a for a in survey.internet if a.verdict is Verdict.REACHABLE]
    if paths:
        # One answer per range of ports that every rule treats alike: name them all, explain the first.
        where = ", ".join(dict.fromkeys(f"{a.protocol}" + (f" {a.port}" if a.port is not None else "") for a in paths))
        problems.append(
            f"expected no path to the internet, found {len(paths)} (on {where}); first: {paths[0].explanation}"
        )
    if problems:
        raise CheckFailed(named("production builds: " + " | ".join(problems), survey.names), paths=paths)
    expect_all_blocked(survey.internet)
    return survey


def _probes(deployment: Deployment, model: NetworkModel, targets: Sequence[Destination]) -> list[Source]:
    """One stand-in workload per subnet of the data tier's VPCs (outside the data tier), in the VPC's default
    security group: anything else running in the production network."""
    data_subnets = {s for t in targets for s in getattr(t, "subnet_ids", ())} | {
        t.subnet_id for t in targets if isinstance(t, SubnetTarget)
    }
    vpcs = {model.subnet[s].vpc_id for s in data_subnets if s in model.subnet}
    probes: list[Source] = []
    for subnet in model.subnets:
        if subnet.vpc_id not in vpcs or subnet.id in data_subnets:
            continue
        default = next((g.id for g in model.security_groups if g.vpc_id == subnet.vpc_id and g.name == "default"), None)
        if default is None:
            continue
        probes.append(Source(f"a workload in subnet {subnet.id}", subnet.vpc_id, (subnet.id,), (default,)))
    return probes


def survey_data_tier_exposure(deployment: Deployment) -> Survey:
    """Any other workload of the production network (a stand-in in each of its subnets, in the VPC's default
    security group) against the production data tier, on every protocol and port."""
    model = network_model(deployment)
    targets = _production_tier(deployment, model)
    probes = _probes(deployment, model, targets)
    if not probes:
        raise Unverified("the production data tier's VPC has no other subnet to place a workload in")
    return Survey(
        "other workloads of the production network -> production data tier",
        _every_protocol(model, probes, targets) + _unplaced(probes, deployment),
        names_of(deployment),
    )


def open_data_tier(deployment: Deployment, cidr: str = "0.0.0.0/0", port: int = 5432) -> tuple[OpenedRule, ...]:
    """Add an ingress rule for ``cidr`` on ``port`` to every production data-tier group, directly in the backend
    (a change made outside the definition, as a person in the console would)."""
    definition = deployment.require_definition()
    ec2 = deployment.backend.client("ec2")
    opened: list[OpenedRule] = []
    for scope in production(definition):
        for group in scope.data_groups:
            group_id = _state_id(deployment, f"security_groups.{group}")
            permission = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}
            try:
                ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
            except Exception as exc:
                if error_code(exc) != "InvalidPermission.Duplicate":  # already open: the definition did it
                    raise
            opened.append(OpenedRule(group_id, cidr, port))
            deployment.evidence.note(f"opened security group {group_id} to {cidr} on tcp {port} outside the definition")
    if not opened:
        raise absent(
            f"definition '{definition.name}'",
            "declares no production data-tier security group",
            f"tag it 'Tier: Data', {BESIDE}",
        )
    return tuple(opened)


def _opened_by(answer: Reachability, rule: OpenedRule) -> bool:
    for hop in answer.hops:
        if hop.kind is not Component.SECURITY_GROUP or hop.component_id != rule.group_id:
            continue
        for r in hop.rules:
            if isinstance(r, SecurityGroupRule) and isinstance(r.peer, CidrPeer) and str(r.peer.cidr) == rule.cidr:
                return True
    return False


def expect_reported_path(survey: Survey, opened: Sequence[OpenedRule]) -> Reachability:
    """The survey finds a path that goes through the opened rule.

    Returns:
        The first such path.

    Raises:
        CheckFailed: no path uses the rule (the analysis missed the opening).
    """
    for answer in survey.paths():
        if any(_opened_by(answer, rule) for rule in opened):
            return answer
    rules = ", ".join(f"{r.group_id} {r.cidr} tcp {r.port}" for r in opened)
    first = survey.answers[0].explanation if survey.answers else "no answer"
    raise CheckFailed(
        named(
            f"{survey.question}: expected a path through the opened rule ({rules}), found none; {first}", survey.names
        )
    )


def expect_data_tier_drift(deployment: Deployment) -> None:
    """The next plan shows the production data-tier groups' ingress rules changed outside the definition.

    Raises:
        CheckFailed: the plan does not report it (naming what it shows instead).
    """
    definition = deployment.require_definition()
    for scope in production(definition):
        for group in scope.data_groups:
            expect_drift(f"security_groups.{group}", "ingress")(deployment)
