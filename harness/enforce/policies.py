"""The policies as deployed: read back from the backend with the harness's admin identity, cached until a write."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import boto3
import botocore.config
import botocore.session

from harness.backends.base import Backend
from harness.backends.safety import scrubbed_aws_environment
from harness.enforce.mapping import StaticResolver
from harness.iam import Policy, parse_policy
from harness.iam.principals import Principal
from harness.iam.s3_acl import OBJECT_ACL_ACTIONS, Unresolved, acl_statements
from harness.provider.base import error_code, tags_dict
from harness.provider.resources.lambda_function import function_policy_document
from harness.provider.resources.s3_bucket import read_grants, read_ownership


@dataclass(frozen=True, slots=True)
class PolicySource:
    """Where one evaluated policy lives, so an explanation can point at it.

    Attributes:
        kind: ``inline``, ``managed``, ``boundary``, ``session``, ``trust`` or ``resource``.
        owner_arn: the role, user, bucket, key, topic, queue, secret, repository or function the policy belongs
            to.
        name: the inline policy name, the managed policy ARN, or the resource policy's kind.
    """

    kind: str
    owner_arn: str
    name: str

    def describe(self) -> str:
        """``inline policy 'build' of arn:...`` for messages."""
        label = {"inline": "inline policy", "managed": "managed policy", "boundary": "permissions boundary"}.get(
            self.kind, f"{self.kind} policy"
        )
        return f"{label} '{self.name}' of {self.owner_arn}"


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    """What bears on a principal's own side: identity policies, boundary, tags and ids."""

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    unique_id: str = ""
    arn: str = ""


@dataclass(frozen=True, slots=True)
class BucketAccess:
    """What decides whether a bucket's ACLs count: object ownership, IgnorePublicAcls, and the bucket ACL's grants.

    Attributes:
        acls_enabled: False under BucketOwnerEnforced, where S3 disables every ACL of the bucket and its objects.
        ignore_public: Block Public Access's IgnorePublicAcls (on the bucket).
        grants: the bucket ACL as ``(grantee, permission)`` pairs.
    """

    acls_enabled: bool
    ignore_public: bool
    grants: tuple[tuple[str, str], ...] = ()


_MISSING = object()


def _document(raw: Any) -> Any:
    """Policy documents come back as dicts (boto3 decodes IAM's URL-encoded JSON) or as JSON text."""
    if isinstance(raw, str):
        text = raw
        if text.startswith("%7B") or text.startswith("%7b"):
            text = unquote(text)
        return json.loads(text)
    return raw


class PolicyReader:
    """Reads what is deployed with the admin client; caches every answer until :meth:`invalidate`.

    The enforcer invalidates on every call that may change policies, tags or resources (any call that is not a
    read), so a change made through the harness is seen by the next call.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.sources: dict[str, PolicySource] = {}
        self._cache: dict[tuple[str, str], Any] = {}
        self._static = StaticResolver(backend.account_id, backend.region)
        self._clients: dict[str, Any] = {}
        self._session: Any = None
        self._unresolved: dict[str, tuple[Unresolved, ...]] = {}

    def _client(self, service: str) -> Any:
        """An admin client of its own, outside the backend's hooks and observers.

        Reading policies back is the harness's business, not a call by anyone in the scenario: it must not be
        enforced, recorded as evidence or turned into CloudTrail events.
        """
        client = self._clients.get(service)
        if client is None:
            admin = self.backend.admin.credentials
            with scrubbed_aws_environment():
                # The backend's boto3 session has the service models loaded already; a client from it costs
                # milliseconds where a fresh session costs a few hundred. (Backend has no public factory for
                # an uninstrumented client.)
                session = getattr(self.backend, "_session", None)
                if session is None:
                    if self._session is None:
                        self._session = boto3.session.Session(botocore_session=botocore.session.Session())
                    session = self._session
                client = session.client(
                    service,
                    region_name=self.backend.region,
                    endpoint_url=self.backend.endpoint_url(service),
                    aws_access_key_id=admin.access_key_id,
                    aws_secret_access_key=admin.secret_access_key,
                    aws_session_token=admin.session_token,
                    config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
                )
            self._clients[service] = client
        return client

    # -- cache ---------------------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget everything read so far."""
        self._cache.clear()
        self._unresolved.clear()

    def forget_resource(self, arn: str) -> None:
        """Forget what was read about one resource (an object whose ACL a write may have changed)."""
        for key in (arn, f"{arn}#object-acl"):
            self._cache.pop(("resource", key), None)
            self._unresolved.pop(key, None)

    def _cached(self, kind: str, key: str, load: Any) -> Any:
        found = self._cache.get((kind, key), _MISSING)
        if found is _MISSING:
            found = load()
            self._cache[(kind, key)] = found
        return found

    def _named(self, document: Any, source: PolicySource) -> Policy:
        name = f"{source.owner_arn}#{source.kind}:{source.name}"
        self.sources[name] = source
        return parse_policy(_document(document), name)

    def source_of(self, policy_name: str) -> PolicySource | None:
        """The source of a policy named in a decision's matched statements."""
        return self.sources.get(policy_name)

    # -- principals ----------------------------------------------------------------------------------------
    def role(self, role_name: str) -> PrincipalPolicies | None:
        """A role's policies, boundary, tags and RoleId; None when the role does not exist."""
        return self._cached("role", role_name, lambda: self._load_role(role_name))  # type: ignore[no-any-return]

    def _load_role(self, name: str) -> PrincipalPolicies | None:
        iam = self._client("iam")
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        arn = role["Arn"]
        policies = [
            self._named(
                iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"], PolicySource("inline", arn, p)
            )
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
        ]
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            policies.append(self._managed(attached["PolicyArn"], arn, "managed"))
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = self._managed(boundary_arn, arn, "boundary") if boundary_arn else None
        tags = tags_dict(role.get("Tags") or iam.list_role_tags(RoleName=name).get("Tags", []))
        return PrincipalPolicies(tuple(policies), boundary, tags, role["RoleId"], arn)

    def user(self, user_name: str) -> PrincipalPolicies | None:
        """A user's policies (its own and its groups'), boundary, tags and UserId; None when absent."""
        return self._cached("user", user_name, lambda: self._load_user(user_name))  # type: ignore[no-any-return]

    def _load_user(self, name: str) -> PrincipalPolicies | None:
        iam = self._client("iam")
        try:
            user = iam.get_user(UserName=name)["User"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        arn = user["Arn"]
        policies = [
            self._named(
                iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"], PolicySource("inline", arn, p)
            )
            for p in iam.list_user_policies(UserName=name)["PolicyNames"]
        ]
        for attached in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
            policies.append(self._managed(attached["PolicyArn"], arn, "managed"))
        for group in iam.list_groups_for_user(UserName=name)["Groups"]:
            group_name, group_arn = group["GroupName"], group["Arn"]
            for p in iam.list_group_policies(GroupName=group_name)["PolicyNames"]:
                doc = iam.get_group_policy(GroupName=group_name, PolicyName=p)["PolicyDocument"]
                policies.append(self._named(doc, PolicySource("inline", group_arn, p)))
            for attached in iam.list_attached_group_policies(GroupName=group_name)["AttachedPolicies"]:
                policies.append(self._managed(attached["PolicyArn"], group_arn, "managed"))
        boundary_arn = (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = self._managed(boundary_arn, arn, "boundary") if boundary_arn else None
        tags = tags_dict(iam.list_user_tags(UserName=name).get("Tags", []))
        return PrincipalPolicies(tuple(policies), boundary, tags, user["UserId"], arn)

    def _managed(self, policy_arn: str, owner_arn: str, kind: str) -> Policy:
        iam = self._client("iam")
        version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
        doc = iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"]["Document"]
        return self._named(doc, PolicySource(kind, owner_arn, policy_arn))

    def trust_policy(self, role_name: str) -> Policy | None:
        """A role's trust policy, as deployed; None when the role does not exist."""

        def load() -> Policy | None:
            iam = self._client("iam")
            try:
                role = iam.get_role(RoleName=role_name)["Role"]
            except Exception as exc:
                if error_code(exc) == "NoSuchEntity":
                    return None
                raise
            return self._named(role["AssumeRolePolicyDocument"], PolicySource("trust", role["Arn"], "trust policy"))

        return self._cached("trust", role_name, load)  # type: ignore[no-any-return]

    def oidc_provider(self, issuer: str) -> tuple[str, tuple[str, ...]] | None:
        """The account's OIDC provider for an issuer (URL without ``https://``): its ARN and client ids."""

        def load() -> tuple[str, tuple[str, ...]] | None:
            arn = f"arn:{self._static.partition}:iam::{self.backend.account_id}:oidc-provider/{issuer}"
            try:
                found = self._client("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
            except Exception as exc:
                if error_code(exc) == "NoSuchEntity":
                    return None
                raise
            return arn, tuple(str(c) for c in found.get("ClientIDList", []))

        return self._cached("oidc", issuer, load)  # type: ignore[no-any-return]

    # -- resources -----------------------------------------------------------------------------------------
    def resource_policy(self, arn: str, *, object_acl: bool = False) -> Policy | None:
        """The resource-based policy that governs ``arn`` (bucket, key, topic, queue, secret, repository,
        function), if any.

        For S3 it holds the bucket ACL's grants too, and with ``object_acl`` the object's own ACL (which governs
        reading the object and its ACL).
        """
        key = f"{arn}#object-acl" if object_acl else arn
        return self._cached(  # type: ignore[no-any-return]
            "resource", key, lambda: self._load_resource_policy(arn, object_acl)
        )

    def _load_resource_policy(self, arn: str, object_acl: bool = False) -> Policy | None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or arn.endswith("*"):
            return None
        service, resource = parts[2], parts[5]
        try:
            if service == "s3" and resource:
                bucket, _, key = resource.partition("/")
                return self._bucket_policy(arn, bucket, key if key and object_acl else None, parts[1])
            if service == "kms" and resource.startswith("key/"):
                text = self._client("kms").get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
                return self._named(text, PolicySource("resource", arn, "key policy"))
            if service == "sns":
                attributes = self._client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
                text = attributes.get("Policy")
                return self._named(text, PolicySource("resource", arn, "topic policy")) if text else None
            if service == "sqs":
                sqs = self._client("sqs")
                url = sqs.get_queue_url(QueueName=resource, QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
                text = (
                    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
                    .get("Attributes", {})
                    .get("Policy")
                )
                return self._named(text, PolicySource("resource", arn, "queue policy")) if text else None
            if service == "secretsmanager":
                text = self._client("secretsmanager").get_resource_policy(SecretId=arn).get("ResourcePolicy")
                return self._named(text, PolicySource("resource", arn, "secret policy")) if text else None
            if service == "lambda" and resource.startswith("function:"):
                _kind, name, *qualifier = resource.split(":")
                kwargs = {"FunctionName": name, **({"Qualifier": qualifier[0]} if qualifier else {})}
                document = function_policy_document(self._client("lambda").get_policy(**kwargs)["Policy"], parts[1])
                return self._named(document, PolicySource("resource", arn, "function policy"))
            if service == "ecr" and resource.startswith("repository/"):
                answer = self._client("ecr").get_repository_policy(
                    registryId=parts[4], repositoryName=resource.removeprefix("repository/")
                )
                return self._named(answer["policyText"], PolicySource("resource", arn, "repository policy"))
        except Exception as exc:
            # A resource that does not exist (or has no policy) has no resource-based policy; the service
            # answers the call with its own not-found error once authorization passes.
            if error_code(exc):
                return None
            raise
        return None

    def _bucket_policy(self, arn: str, bucket: str, key: str | None, partition: str) -> Policy | None:
        """The bucket policy with the bucket's (and for an object, the object's) ACL grants as statements beside it.

        S3 weighs both on the owner's side of a request (see :mod:`harness.iam.s3_acl`); grants to canonical user
        ids are kept aside, for :meth:`unresolved_grants`.
        """
        owner = f"arn:{partition}:s3:::{bucket}"
        try:
            document: Any = _document(self._client("s3").get_bucket_policy(Bucket=bucket)["Policy"])
        except Exception as exc:
            if error_code(exc) != "NoSuchBucketPolicy":
                raise
            document = None
        access = self.bucket_access(bucket)
        statements: list[dict[str, Any]] = []
        unresolved: list[Unresolved] = []
        if access is not None and access.acls_enabled:
            statements, unresolved = acl_statements(
                bucket, access.grants, ignore_public=access.ignore_public, partition=partition
            )
            grants = self._object_grants(bucket, key) if key is not None else ()
            if grants is None:
                # The object's ACL could not be read back: what it would grant is not known.
                unresolved.append(Unresolved("", "READ", tuple(sorted(OBJECT_ACL_ACTIONS))))
            elif key is not None:
                found, left = acl_statements(
                    bucket, grants, key=key, ignore_public=access.ignore_public, partition=partition
                )
                statements.extend(found)
                unresolved.extend(left)
        self._unresolved[f"{arn}#object-acl" if key is not None else arn] = tuple(unresolved)
        if not statements:
            return self._named(document, PolicySource("resource", owner, "bucket policy")) if document else None
        own = document.get("Statement", []) if isinstance(document, Mapping) else []
        combined = {
            "Version": "2012-10-17",
            "Statement": [*(own if isinstance(own, list) else [own]), *statements],
        }
        name = "bucket policy and ACL" if document else "bucket ACL"
        return self._named(combined, PolicySource("resource", owner, name))

    def bucket_access(self, bucket: str) -> BucketAccess | None:
        """The bucket's object ownership, IgnorePublicAcls and ACL as the backend holds them; None when it is gone.

        A bucket without ownership controls keeps ACLs on, as S3 does for a bucket whose controls were removed.
        """

        def load() -> BucketAccess | None:
            s3 = self._client("s3")
            try:
                ownership = read_ownership(s3, bucket)
                if ownership == "BucketOwnerEnforced":
                    return BucketAccess(acls_enabled=False, ignore_public=False)
                try:
                    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
                except Exception as exc:
                    if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
                        raise
                    block = {}
                grants = tuple((g.grantee, g.permission) for g in read_grants(s3.get_bucket_acl(Bucket=bucket)))
            except Exception as exc:
                if error_code(exc) in ("NoSuchBucket", "404"):
                    return None
                raise
            return BucketAccess(True, bool(block.get("IgnorePublicAcls")), grants)

        return self._cached("bucket-access", bucket, load)  # type: ignore[no-any-return]

    def _object_grants(self, bucket: str, key: str) -> tuple[tuple[str, str], ...] | None:
        """The object's ACL grants; () when there is no such object, None when reading its ACL is refused."""
        try:
            acl = self._client("s3").get_object_acl(Bucket=bucket, Key=key)
        except Exception as exc:
            code = error_code(exc)
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                return ()
            if code in ("AccessDenied", "403"):
                return None
            raise
        return tuple((g.grantee, g.permission) for g in read_grants(acl))

    def unresolved_grants(self, arn: str, *, object_acl: bool = False) -> tuple[Unresolved, ...]:
        """ACL grants bearing on ``arn`` that cannot be decided here: to canonical user ids, whose accounts cannot
        be told, or (grantee '') an object ACL that could not be read back."""
        return self._unresolved.get(f"{arn}#object-acl" if object_acl else arn, ())

    def foreign(self, principal: Principal) -> PrincipalPolicies:
        """The identity side of a principal of another account, which no deployment here shows.

        That account's own policies decide what its principals may attempt; the harness takes them as allowing
        everything, so what another account can do to this one is decided by this account's resource policies
        and ACLs alone (the worst case for this account).
        """
        account = principal.account or ""

        def load() -> PrincipalPolicies:
            document = {
                "Version": "2012-10-17",
                "Statement": [{"Sid": "OutsideThisDeployment", "Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
            name = f"identity policies of account {account}, outside this deployment: taken as allowing"
            source = PolicySource("identity", f"arn:aws:iam::{account}:root", name)
            return PrincipalPolicies((self._named(document, source),))

        found: PrincipalPolicies = self._cached("foreign", account, load)
        return PrincipalPolicies(found.identity, arn=principal.principal_arn)

    def resource_tags(self, arn: str) -> Mapping[str, str]:
        """Tags of the resource, for ``aws:ResourceTag/*``; read where it is cheap (IAM roles and users)."""

        def load() -> Mapping[str, str]:
            parts = arn.split(":", 5)
            if len(parts) != 6 or parts[2] != "iam" or arn.endswith("*"):
                return {}
            kind, _, rest = parts[5].partition("/")
            name = rest.rsplit("/", 1)[-1]
            found = self.role(name) if kind == "role" else self.user(name) if kind == "user" else None
            return dict(found.tags) if found else {}

        return self._cached("tags", arn, load)  # type: ignore[no-any-return]

    # -- the mapping's resolver ----------------------------------------------------------------------------
    def kms_key_arn(self, key_id: str) -> str:
        """The key ARN for a key id, key ARN, alias or alias ARN (the alias's target, as AWS authorizes)."""

        def load() -> str:
            try:
                return str(self._client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])
            except Exception as exc:
                if error_code(exc):
                    return self._static.kms_key_arn(key_id)
                raise

        return self._cached("kms", key_id, load)  # type: ignore[no-any-return]

    def kms_key_of_ciphertext(self, blob: bytes) -> str:
        """The key a ciphertext was made with (AWS reads it from the blob; the admin asks the backend)."""
        try:
            key = self._client("kms").decrypt(CiphertextBlob=blob)["KeyId"]
        except Exception as exc:
            if error_code(exc):
                return self._static.kms_key_of_ciphertext(blob)
            raise
        return self.kms_key_arn(str(key))

    def secret_arn(self, secret_id: str) -> str:
        """The full ARN of a secret (with AWS's random suffix) given by name or ARN."""

        def load() -> str:
            try:
                return str(self._client("secretsmanager").describe_secret(SecretId=secret_id)["ARN"])
            except Exception as exc:
                if error_code(exc):
                    return self._static.secret_arn(secret_id)
                raise

        return self._cached("secret", secret_id, load)  # type: ignore[no-any-return]

    def role_arn(self, name: str) -> str:
        """The ARN of a role by name, with its path when the role exists."""
        if name.startswith("arn:"):
            return name
        found = self.role(name)
        return found.arn if found else self._static.role_arn(name)


__all__ = ["BucketAccess", "PolicyReader", "PolicySource", "PrincipalPolicies"]
