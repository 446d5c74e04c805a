"""Repository and function policies in enforcement: ECR pushes and pulls, Lambda invocations, decided as AWS does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend, Identity
from harness.enforce import Enforcer, Principals, SessionRequest
from harness.enforce.mapping import MappingEnv, StaticResolver, map_call
from harness.iam import AuthorizationRequest, PolicySet, parse_policy
from harness.iam.evaluator import evaluate
from harness.provider.lifecycle import Provider
from tests.conftest import definition
from tests.enforce.conftest import ACCOUNT

FOREIGN = "444455556666"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": "sha256:" + "a" * 64, "size": 1, "mediaType": "application/vnd.docker.image.v1+json"},
        "layers": [],
    }
)  # fmt: skip

PIPELINES = """
roles:
  build:
    assumed_by: codebuild.amazonaws.com
    policies:
      push:
        Version: "2012-10-17"
        Statement:
          - Sid: Login
            Effect: Allow
            Action: ecr:GetAuthorizationToken
            Resource: "*"
          - Sid: PushOwnImages
            Effect: Allow
            Action: [ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart,
                     ecr:CompleteLayerUpload, ecr:PutImage, ecr:BatchGetImage]
            Resource: "${ecr_repositories.app.arn}"
  other-build:
    assumed_by: codebuild.amazonaws.com
    policies:
      push:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [ecr:PutImage, ecr:InitiateLayerUpload, ecr:BatchGetImage]
            Resource: "${ecr_repositories.other-app.arn}"
  deployer:
    assumed_by: codebuild.amazonaws.com
ecr_repositories:
  app:
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: DeployerPulls
          Effect: Allow
          Principal: {AWS: "${roles.deployer.arn}"}
          Action: [ecr:BatchGetImage, ecr:GetDownloadUrlForLayer]
        - Sid: PartnerPushes
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::444455556666:root"}
          Action: [ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload]
  other-app: {}
"""


def _act(principals: Principals, provider: Provider, role: str, service: str = "codebuild.amazonaws.com") -> Identity:
    arn = provider.state[f"roles.{role}"].arn
    return principals.assume_role(principals.service(service), SessionRequest(arn, "session-1"))


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


@pytest.fixture
def deployed(provider: Provider, enforcer: Enforcer) -> Provider:
    provider.apply(definition(PIPELINES))
    return provider


def test_the_build_role_pushes_to_its_own_repository(
    backend: Backend, deployed: Provider, principals: Principals
) -> None:
    build = _act(principals, deployed, "build")
    ecr = backend.client("ecr", build)
    repository = f"{deployed.prefix}app"
    ecr.get_authorization_token()
    ecr.initiate_layer_upload(repositoryName=repository)
    pushed = ecr.put_image(repositoryName=repository, imageManifest=MANIFEST, imageTag="v1")
    assert pushed["image"]["imageId"]["imageTag"] == "v1"


def test_another_pipelines_build_role_cannot_push_or_pull(
    backend: Backend, deployed: Provider, principals: Principals, enforcer: Enforcer
) -> None:
    other = _act(principals, deployed, "other-build")
    ecr = backend.client("ecr", other)
    repository = f"{deployed.prefix}app"
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=repository, imageManifest=MANIFEST, imageTag="evil")
    assert _code(caught.value) == "AccessDeniedException"
    arn = f"arn:aws:ecr:{backend.region}:{ACCOUNT}:repository/{repository}"
    assert f"ecr:PutImage on resource: {arn}" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "v1"}])
    # Its own repository is fine.
    ecr.initiate_layer_upload(repositoryName=f"{deployed.prefix}other-app")
    assert enforcer.decisions[-1].allowed


def test_the_repository_policy_alone_lets_a_role_of_the_account_pull(
    backend: Backend, deployed: Provider, principals: Principals, enforcer: Enforcer
) -> None:
    # The deployer role has no identity policy at all: within one account, a resource-based policy naming the
    # role is enough.
    deployer = _act(principals, deployed, "deployer")
    backend.client("ecr").put_image(repositoryName=f"{deployed.prefix}app", imageManifest=MANIFEST, imageTag="v1")
    found = backend.client("ecr", deployer).batch_get_image(
        repositoryName=f"{deployed.prefix}app", imageIds=[{"imageTag": "v1"}]
    )
    assert found["images"]
    decision = enforcer.decisions[-1]
    assert decision.allowed
    assert [m.statement for m in decision.accesses[0].decision.matched] == ["DeployerPulls"]
    assert any("repository policy" in s.describe() for s in decision.explanations.values())
    with pytest.raises(ClientError) as caught:
        backend.client("ecr", deployer).put_image(
            repositoryName=f"{deployed.prefix}app", imageManifest=MANIFEST, imageTag="v2"
        )
    assert _code(caught.value) == "AccessDeniedException"


def _foreign_push(enforcer: Enforcer, repository_arn: str, identity_policy: dict[str, Any] | None) -> str:
    resource_policy = enforcer.reader.resource_policy(repository_arn)
    assert resource_policy is not None
    identity = (parse_policy(identity_policy, "partner"),) if identity_policy else ()
    request = AuthorizationRequest.create(
        f"arn:aws:sts::{FOREIGN}:assumed-role/partner-ci/session", "ecr:PutImage", repository_arn
    )
    return str(
        evaluate(request, PolicySet.compile(identity_policies=identity, resource_policy=resource_policy)).decision
    )


def test_a_repository_policy_granting_another_account_push_is_decided_as_aws_does(
    backend: Backend, deployed: Provider, enforcer: Enforcer
) -> None:
    repository_arn = deployed.state["ecr_repositories.app"].arn
    partner_may_push = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ecr:PutImage", "Resource": repository_arn}],
    }
    # Across accounts both sides must allow: the repository policy trusts the account, and the account's own
    # identity policy must grant its role the push.
    assert _foreign_push(enforcer, repository_arn, partner_may_push) == "Allowed"
    assert _foreign_push(enforcer, repository_arn, None) == "ImplicitDeny"
    other_arn = deployed.state["ecr_repositories.other-app"].arn
    assert enforcer.reader.resource_policy(other_arn) is None


def test_ecr_calls_are_mapped_to_the_repository_of_the_registry_they_name() -> None:
    env = MappingEnv(ACCOUNT, "eu-west-1", StaticResolver(ACCOUNT, "eu-west-1"))
    push = map_call("ecr", "PutImage", {"repositoryName": "app", "imageManifest": "{}"}, env)
    assert [(a.action, a.resource) for a in push.accesses] == [
        ("ecr:PutImage", f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/app")
    ]
    foreign = map_call("ecr", "BatchGetImage", {"registryId": FOREIGN, "repositoryName": "base", "imageIds": []}, env)
    assert foreign.accesses[0].resource == f"arn:aws:ecr:eu-west-1:{FOREIGN}:repository/base"
    token = map_call("ecr", "GetAuthorizationToken", {}, env)
    assert [(a.action, a.resource) for a in token.accesses] == [("ecr:GetAuthorizationToken", "*")]
    created = map_call("ecr", "CreateRepository", {"repositoryName": "x", "tags": [{"Key": "a", "Value": "b"}]}, env)
    assert [a.action for a in created.accesses] == ["ecr:CreateRepository", "ecr:TagResource"]
    listing = map_call("ecr", "DescribeRepositories", {}, env)
    assert listing.accesses[0].resource == f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/*"


def test_a_repository_policy_change_is_seen_by_the_next_call(
    backend: Backend, deployed: Provider, principals: Principals
) -> None:
    other = _act(principals, deployed, "other-build")
    repository = f"{deployed.prefix}app"
    with pytest.raises(ClientError):
        backend.client("ecr", other).initiate_layer_upload(repositoryName=repository)
    opened = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": deployed.state["roles.other-build"].arn}, "Action": "ecr:*"}
        ],
    }
    backend.client("ecr").set_repository_policy(repositoryName=repository, policyText=json.dumps(opened))
    backend.client("ecr", other).initiate_layer_upload(repositoryName=repository)


def test_a_denied_ecr_call_raises_ecrs_own_error(backend: Backend, enforcer: Enforcer, principals: Principals) -> None:
    iam = backend.client("iam")
    arn = iam.create_role(RoleName="nobody", AssumeRolePolicyDocument=json.dumps(_TRUST))["Role"]["Arn"]
    nobody = principals.assume_role(principals.service("codebuild.amazonaws.com"), SessionRequest(arn, "probe-1"))
    with pytest.raises(ClientError) as caught:
        backend.client("ecr", nobody).describe_repositories()
    assert _code(caught.value) == "AccessDeniedException"
    assert caught.value.response["Error"]["Message"].endswith(
        "because no identity-based policy allows the ecr:DescribeRepositories action"
    )


# -- Lambda --------------------------------------------------------------------------------------------------

FUNCTIONS = """
roles:
  runner:
    assumed_by: lambda.amazonaws.com
  pipeline:
    assumed_by: codepipeline.amazonaws.com
    policies:
      invoke:
        Version: "2012-10-17"
        Statement:
          - Sid: InvokeMerge
            Effect: Allow
            Action: lambda:InvokeFunction
            Resource: "${functions.merge.arn}"
  stranger:
    assumed_by: codebuild.amazonaws.com
  auditor:
    assumed_by: codebuild.amazonaws.com
functions:
  merge:
    role: runner
    runtime: python3.12
    handler: index.handler
    permissions:
      - sid: AuditorMayRead
        principal: "${roles.auditor.arn}"
        action: lambda:GetFunction
      - sid: PartnerInvokes
        principal: "444455556666"
"""


@pytest.fixture
def functions(provider: Provider, enforcer: Enforcer) -> Provider:
    provider.apply(definition(FUNCTIONS))
    return provider


def test_a_pipeline_role_allowed_to_invoke_its_function_may_and_a_stranger_may_not(
    functions: Provider, principals: Principals, enforcer: Enforcer
) -> None:
    name = f"{functions.prefix}merge"
    pipeline = _act(principals, functions, "pipeline", "codepipeline.amazonaws.com")
    stranger = _act(principals, functions, "stranger")
    assert enforcer.authorize_call(pipeline, "lambda", "Invoke", {"FunctionName": name}).allowed
    denied = enforcer.authorize_call(stranger, "lambda", "Invoke", {"FunctionName": name})
    assert denied.error is not None and denied.error.code == "AccessDeniedException"
    assert f"lambda:InvokeFunction on resource: {functions.state['functions.merge'].arn}" in denied.error.message


def test_the_function_policy_is_the_resource_based_policy_of_calls_on_the_function(
    backend: Backend, functions: Provider, principals: Principals, enforcer: Enforcer
) -> None:
    auditor = _act(principals, functions, "auditor")
    name = f"{functions.prefix}merge"
    config = backend.client("lambda", auditor).get_function(FunctionName=name)["Configuration"]
    assert config["FunctionName"] == name
    decision = enforcer.decisions[-1]
    assert [m.statement for m in decision.accesses[0].decision.matched] == ["AuditorMayRead"]
    assert any("function policy" in s.describe() for s in decision.explanations.values())
    with pytest.raises(ClientError) as caught:
        backend.client("lambda", auditor).delete_function(FunctionName=name)
    assert _code(caught.value) == "AccessDeniedException"


def test_a_function_policy_granting_another_account_is_decided_across_accounts(
    functions: Provider, enforcer: Enforcer
) -> None:
    arn = functions.state["functions.merge"].arn
    policy = enforcer.reader.resource_policy(arn)
    assert policy is not None
    partner = f"arn:aws:sts::{FOREIGN}:assumed-role/partner/session"
    allow = parse_policy(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]}, "p"
    )
    invoke = AuthorizationRequest.create(partner, "lambda:InvokeFunction", arn)
    assert evaluate(invoke, PolicySet.compile(identity_policies=(allow,), resource_policy=policy)).allowed
    assert not evaluate(invoke, PolicySet.compile(resource_policy=policy)).allowed
    update = AuthorizationRequest.create(partner, "lambda:UpdateFunctionCode", arn)
    assert not evaluate(update, PolicySet.compile(identity_policies=(allow,), resource_policy=policy)).allowed


HERE = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function"


@pytest.mark.parametrize(
    ("params", "resource"),
    [
        ({"FunctionName": "merge"}, f"{HERE}:merge"),
        ({"FunctionName": "merge", "Qualifier": "prod"}, f"{HERE}:merge:prod"),
        ({"FunctionName": "merge:prod"}, f"{HERE}:merge:prod"),
        ({"FunctionName": f"{FOREIGN}:function:merge"}, f"arn:aws:lambda:eu-west-1:{FOREIGN}:function:merge"),
        (
            {"FunctionName": f"arn:aws:lambda:us-west-2:{FOREIGN}:function:merge:live"},
            f"arn:aws:lambda:us-west-2:{FOREIGN}:function:merge:live",
        ),
    ],
    ids=["name", "qualifier", "name-and-alias", "partial-arn", "arn"],
)
def test_invocations_are_mapped_to_the_function_they_name(params: dict[str, Any], resource: str) -> None:
    env = MappingEnv(ACCOUNT, "eu-west-1", StaticResolver(ACCOUNT, "eu-west-1"))
    (access,) = map_call("lambda", "Invoke", params, env).accesses
    assert (access.action, access.resource) == ("lambda:InvokeFunction", resource)


def test_creating_a_function_passes_its_role_to_lambda() -> None:
    env = MappingEnv(ACCOUNT, "eu-west-1", StaticResolver(ACCOUNT, "eu-west-1"))
    role = f"arn:aws:iam::{ACCOUNT}:role/runner"
    mapped = map_call(
        "lambda",
        "CreateFunction",
        {"FunctionName": "f", "Role": role, "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}},
        env,
    )
    create, pass_role = mapped.accesses
    assert (create.action, create.context) == (
        "lambda:CreateFunction",
        {"lambda:SubnetIds": ["subnet-1"], "lambda:SecurityGroupIds": ["sg-1"]},
    )
    assert (pass_role.action, pass_role.resource, dict(pass_role.context)) == (
        "iam:PassRole",
        role,
        {"iam:PassedToService": "lambda.amazonaws.com"},
    )
