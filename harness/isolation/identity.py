"""The identity side of isolation: non-production roles try to read, copy and decrypt production data with their
own sessions; production data refuses reads that do not come through the production VPC endpoint.

Calls are real (made through the backend and judged by the enforcer against the deployed policies). A call made
"from" a build in a VPC carries what the network decides: when the build's path to S3 goes through gateway
endpoint ``vpce-x`` the request carries ``aws:SourceVpce=vpce-x`` and ``aws:SourceVpc``; a call over the internet
or a NAT gateway carries neither.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from harness.acceptance import Deployment
from harness.enforce.api import CallOutcome, act_as, attempt, enforcer_of, expect_denied
from harness.enforce.mapping import map_call
from harness.errors import BESIDE, CheckFailed, Unverified, absent
from harness.iam.evaluator import Decision
from harness.isolation.environments import EnvironmentScope, non_production, production
from harness.isolation.network import build_source, network_model
from harness.network import ServiceTarget, Verdict, can_reach
from harness.provider.base import error_code
from harness.provider.resources.codebuild_project import BuildProject
from harness.runtime.moto_compat import neutralize_bucket_policy_check

PROBE_KEY = "pipewarden-probe/production-record.json"
COPY_KEY = "pipewarden-probe/copied-from-production.json"
PROBE_BODY = b'{"customer": "production record"}'
NON_PRODUCTION_FIX = (
    "keep non-production roles to their own environment's data, and deny other environments' principals in the "
    "production bucket and key policies (aws:PrincipalTag/environment)"
)
ENDPOINT_FIX = "deny reads that do not come through the production VPC endpoint (aws:SourceVpce) in the bucket policy"


@dataclass(frozen=True, slots=True)
class ProductionData:
    """The production data store of a deployment: its bucket and the key that encrypts it.

    Attributes:
        environment: the production environment's name.
        bucket: the bucket's physical name; bucket_arn: its ARN.
        key_arn: the production key's ARN ('' when production has no key).
        seeded: whether a record could be written for the probes (an emulator may refuse it, see ``seed``).
    """

    environment: str
    bucket: str
    bucket_arn: str
    key_arn: str = ""
    seeded: bool = False


def production_data(deployment: Deployment) -> ProductionData:
    """The production data bucket and key, with a record written to the bucket when the backend allows it.

    Raises:
        Unverified: production has no data bucket (tag it ``environment: prod`` and ``tier: data``).
    """
    definition = deployment.require_definition()
    for scope in production(definition):
        if not scope.data_buckets:
            continue
        state = deployment.provider.state[f"buckets.{scope.data_buckets[0]}"]
        key = deployment.provider.state.get(f"keys.{scope.keys[0]}") if scope.keys else None
        data = ProductionData(scope.name, state.physical_id, state.arn, key.arn if key else "")
        return dataclasses.replace(data, seeded=_seed(deployment, data))
    raise absent(
        f"definition '{definition.name}'",
        "declares no production data bucket",
        f"tag it 'Environment: Production' and 'Tier: Data', {BESIDE}",
    )


def _seed(deployment: Deployment, data: ProductionData) -> bool:
    """Write the probe record as the harness, so a denial is a denial of data that exists.

    moto checks bucket policies on object calls without their conditions, which would refuse the harness too; with
    enforcement on, the enforcer has judged the call as AWS does before it reaches moto, so that check is switched off
    for the deployment's life. A backend that still refuses leaves the bucket empty, which changes nothing for a
    denied call (AWS decides access before it looks for the object).
    """
    neutralize_bucket_policy_check(deployment)
    try:
        deployment.backend.client("s3").put_object(Bucket=data.bucket, Key=PROBE_KEY, Body=PROBE_BODY)
    except Exception as exc:
        if not error_code(exc):
            raise
        deployment.evidence.note(f"the backend refused to store a probe record in {data.bucket}: {exc}")
        return False
    return True


def _target_bucket(deployment: Deployment, scope: EnvironmentScope) -> str:
    names = scope.data_buckets or scope.buckets
    if not names:
        raise absent(
            f"environment '{scope.name}'",
            "has no bucket to copy production data into",
            f"tag one 'Environment: {scope.name}', {BESIDE}",
        )
    return deployment.provider.state[f"buckets.{names[0]}"].physical_id


def _ciphertext(deployment: Deployment, key_arn: str) -> bytes:
    blob = deployment.backend.client("kms").encrypt(KeyId=key_arn, Plaintext=PROBE_BODY)["CiphertextBlob"]
    return bytes(blob)


def non_production_attempts(deployment: Deployment) -> tuple[CallOutcome, ...]:
    """Every non-production role reads the production record, copies it into its own environment's bucket and
    decrypts data with the production key, each with its own session as its service would.

    Raises:
        Unverified: there is no non-production role to try.
    """
    definition = deployment.require_definition()
    data = production_data(deployment)
    ciphertext = _ciphertext(deployment, data.key_arn) if data.key_arn else b""
    outcomes: list[CallOutcome] = []
    for scope in non_production(definition):
        for role in scope.roles:
            identity = act_as(deployment, role)
            actor = f"{scope.name} role '{role}'"
            outcomes.append(
                attempt(
                    deployment,
                    identity,
                    "s3",
                    "GetObject",
                    actor=actor,
                    focus="s3:GetObject",
                    Bucket=data.bucket,
                    Key=PROBE_KEY,
                )
            )
            target = _target_bucket(deployment, scope)
            copied = attempt(
                deployment,
                identity,
                "s3",
                "CopyObject",
                actor=actor,
                focus="s3:GetObject",
                Bucket=target,
                Key=COPY_KEY,
                CopySource={"Bucket": data.bucket, "Key": PROBE_KEY},
            )
            outcomes.append(copied)
            if ciphertext:
                outcomes.append(
                    attempt(
                        deployment,
                        identity,
                        "kms",
                        "Decrypt",
                        actor=actor,
                        focus="kms:Decrypt",
                        CiphertextBlob=ciphertext,
                        KeyId=data.key_arn,
                    )
                )
    if not outcomes:
        raise Unverified(
            f"definition '{definition.name}' has no non-production role; tag the development roles "
            "'environment: dev' to have them tried against production data"
        )
    return tuple(dataclasses.replace(o, fix=NON_PRODUCTION_FIX) for o in outcomes)


def production_reads_from_outside(deployment: Deployment) -> tuple[CallOutcome, ...]:
    """Each production role reads the production record from outside any VPC endpoint (no ``aws:SourceVpce``:
    a laptop, a NAT gateway, another account's network).

    Raises:
        CheckFailed: production has no role.
    """
    definition = deployment.require_definition()
    data = production_data(deployment)
    outcomes = []
    for scope in production(definition):
        for role in scope.roles:
            identity = act_as(deployment, role)
            outcomes.append(
                attempt(
                    deployment,
                    identity,
                    "s3",
                    "GetObject",
                    actor=f"{scope.name} role '{role}' outside the production endpoint",
                    focus="s3:GetObject",
                    Bucket=data.bucket,
                    Key=PROBE_KEY,
                )
            )
    if not outcomes:
        raise absent(
            f"definition '{definition.name}'",
            "declares no production role",
            f"tag the production roles 'Environment: Production', or run a production build with them, {BESIDE}",
        )
    return tuple(dataclasses.replace(o, fix=ENDPOINT_FIX) for o in outcomes)


def expect_all_denied(outcomes: tuple[CallOutcome, ...]) -> tuple[CallOutcome, ...]:
    """Every attempt was denied as AWS denies it.

    Raises:
        CheckFailed: listing every attempt that was not, with the statement that allowed it.
    """
    failures: list[str] = []
    for outcome in outcomes:
        try:
            expect_denied(outcome)
        except CheckFailed as exc:
            failures.append(str(exc))
    if failures:
        raise CheckFailed(
            f"{len(failures)} of {len(outcomes)} attempts on production data were not denied: " + " | ".join(failures),
            failures=failures,
        )
    return outcomes


@dataclass(frozen=True, slots=True)
class EndpointRead:
    """A production build's read of production data through its VPC endpoint, as the policies decide it.

    Attributes:
        build: the build project; endpoint_id and vpc_id: what the network path carries (``aws:SourceVpce``,
            ``aws:SourceVpc``); path: the reachability explanation; decision: the authorization decision.
    """

    build: str
    endpoint_id: str
    vpc_id: str
    path: str
    decision: Decision


def production_reads_through_endpoint(deployment: Deployment) -> tuple[EndpointRead, ...]:
    """Each production build's read of the production record, with the network keys its path to S3 carries.

    The enforcer judges the read with ``aws:SourceVpce`` and ``aws:SourceVpc`` taken from the network model: the
    endpoint the build's route to S3 goes through.

    Raises:
        CheckFailed: a production build has no path to S3 through an endpoint.
        Unverified: the path cannot be decided.
    """
    definition = deployment.require_definition()
    data = production_data(deployment)
    enforcer = enforcer_of(deployment)
    model = network_model(deployment)
    reads: list[EndpointRead] = []
    for scope in production(definition):
        for build in scope.builds:
            project = definition.get("build_projects", build)
            if not isinstance(project, BuildProject):
                continue
            source = build_source(deployment, build, scope.name)
            role_arn = deployment.provider.state[f"roles.{project.service_role}"].arn
            target = ServiceTarget(
                "s3", action="s3:GetObject", resource=f"{data.bucket_arn}/{PROBE_KEY}", principal=role_arn
            )
            path = can_reach(model, source, target, "tcp", 443)
            if path.verdict is Verdict.UNVERIFIED:
                raise Unverified(path.explanation)
            if path.verdict is not Verdict.REACHABLE or not path.endpoint_ids:
                raise CheckFailed(
                    f"{source.name}: expected its path to the production data to go through a VPC endpoint, found "
                    f"{path.explanation}; add a gateway endpoint for S3 to its route tables"
                )
            identity = act_as(deployment, project.service_role)
            params = {"Bucket": data.bucket, "Key": PROBE_KEY}
            mapped = map_call("s3", "GetObject", params, enforcer.env)
            network_keys = {"aws:SourceVpce": path.endpoint_ids[0], "aws:SourceVpc": source.vpc_id}
            access = mapped.accesses[0]
            access = dataclasses.replace(access, context={**access.context, **network_keys})
            decision = enforcer.decide(identity, access, mapped)
            reads.append(EndpointRead(build, path.endpoint_ids[0], source.vpc_id, path.explanation, decision))
            deployment.evidence.current().data.setdefault("endpoint_reads", []).append(
                {"build": build, "network_keys": network_keys, "decision": decision.to_dict()}
            )
    if not reads:
        raise absent(
            f"definition '{definition.name}'",
            "declares no production build",
            f"tag the production build project 'Environment: Production', {BESIDE}",
        )
    return tuple(reads)


def expect_endpoint_reads_allowed(reads: tuple[EndpointRead, ...]) -> tuple[EndpointRead, ...]:
    """Each production build may read its data through its endpoint (the data is not simply locked away).

    Raises:
        CheckFailed: naming the build, the endpoint and the statement or layer that refused.
    """
    refused = [r for r in reads if not r.decision.allowed]
    if refused:
        listed = "; ".join(
            f"build '{r.build}' through {r.endpoint_id}: {r.decision.decision.value} ({r.decision.reason})"
            for r in refused
        )
        raise CheckFailed(
            f"expected production builds to read production data through their endpoint, found refusals: {listed}; "
            "allow the endpoint in the bucket policy (aws:SourceVpce) and the data in the build role's policy"
        )
    return reads
