"""Secrets in builds: fetched as the build role, usable by commands, masked in the logs; plaintext ones flagged."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.inputs.cloudformation import parse_template_text
from harness.provider.resources.secrets import Secret
from harness.runtime import set_build_clock
from harness.runtime.build import start_build
from harness.runtime.logs import Masker, read_log_messages
from harness.runtime.secrets import plaintext_secret
from tests.runtime.conftest import BUILD_ROLE_POLICY, FAST_CLOCK, project_definition

Deploy = Callable[[str], Deployment]

SECRETS = {
    "deploy-token": {"value": '{"token": "s3cr3t-deploy-token", "user": "bot"}'},
    "db-password": {"value": "hunter2-password", "store": "parameter-store"},
}
READ_SECRETS = {
    "Version": "2012-10-17",
    "Statement": [
        *BUILD_ROLE_POLICY["Statement"],
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameter"], "Resource": "*"},
    ],
}


def test_buildspec_secrets_reach_the_commands_and_are_masked_in_the_logs(deploy: Deploy) -> None:
    spec = {
        "version": 0.2,
        "env": {
            "secrets-manager": {"TOKEN": "${secrets.deploy-token.name}:token"},
            "parameter-store": {"DB_PASSWORD": "${secrets.db-password.name}"},
        },
        "phases": {
            "build": {
                "commands": [
                    'echo "token is $TOKEN and password is $DB_PASSWORD"',
                    'test "$TOKEN" = s3cr3t-deploy-token && echo token-matches',
                ]
            }
        },
    }
    pw = deploy(project_definition(spec, secrets=SECRETS, role_policy=READ_SECRETS))
    build = start_build(pw, "app")
    assert build.status == "SUCCEEDED", build.failure()
    messages = read_log_messages(pw, build.log_group, build.log_stream)
    assert "token is *** and password is ***" in messages
    assert "token-matches" in messages
    assert not any("s3cr3t-deploy-token" in m or "hunter2-password" in m for m in messages)


def test_project_variables_of_secret_types_are_fetched_and_masked(deploy: Deploy) -> None:
    variables = [
        {"name": "TOKEN", "value": "${secrets.deploy-token.name}:user", "type": "SECRETS_MANAGER"},
        {"name": "PASSWORD", "value": "${secrets.db-password.name}", "type": "PARAMETER_STORE"},
    ]
    spec = {"version": 0.2, "phases": {"build": {"commands": ["echo $TOKEN/$PASSWORD"]}}}
    pw = deploy(project_definition(spec, variables=variables, secrets=SECRETS, role_policy=READ_SECRETS))
    build = start_build(pw, "app")
    assert build.status == "SUCCEEDED", build.failure()
    assert "***/***" in build.lines
    recorded = {v["name"]: v for v in build.to_dict()["environment"]["environmentVariables"]}
    assert recorded["PASSWORD"]["type"] == "PARAMETER_STORE"
    assert "hunter2" not in str(recorded)


def test_a_missing_secret_fails_the_build_in_download_source(deploy: Deploy) -> None:
    spec = {
        "version": 0.2,
        "env": {"secrets-manager": {"TOKEN": "no-such-secret"}},
        "phases": {"build": {"commands": ["echo never"]}},
    }
    pw = deploy(project_definition(spec, role_policy=READ_SECRETS))
    build = start_build(pw, "app")
    assert build.status == "FAILED"
    assert build.phase("DOWNLOAD_SOURCE").status == "FAILED"  # type: ignore[union-attr]
    assert build.phase("BUILD") is None
    assert build.failure().startswith("DOWNLOAD_SOURCE FAILED (Secrets Manager Error: ResourceNotFoundException")


def test_a_missing_parameter_says_so(deploy: Deploy) -> None:
    spec = {"version": 0.2, "env": {"parameter-store": {"P": "/nope"}}, "phases": {"build": {"commands": ["true"]}}}
    pw = deploy(project_definition(spec, role_policy=READ_SECRETS))
    build = start_build(pw, "app")
    assert build.failure() == "DOWNLOAD_SOURCE FAILED (Decrypted Variables Error: parameter does not exist: /nope)"


def test_a_role_that_may_not_read_the_secret_fails_the_build(deploy: Deploy) -> None:
    spec = {
        "version": 0.2,
        "env": {"secrets-manager": {"TOKEN": "${secrets.deploy-token.name}"}},
        "phases": {"build": {"commands": ["echo never"]}},
    }
    pw = deploy(project_definition(spec, secrets=SECRETS))
    if getattr(pw, "enforcer", None) is None:
        pytest.skip("IAM enforcement is not part of this checkout")
    with pw.observed():
        build = start_build(pw, "app")
    assert build.status == "FAILED"
    assert "Secrets Manager Error: AccessDenied" in build.failure()


def test_masking_replaces_longer_secrets_first() -> None:
    mask = Masker(["abc", "abcdef", ""])
    assert mask("x abcdef y abc") == "x *** y ***"
    assert Masker()("nothing to hide") == "nothing to hide"


@pytest.mark.parametrize(
    ("name", "value", "flagged"),
    [
        ("DEPLOY_TOKEN", "ghp_plaintextsecretvalue0123456789", "GitHub token"),
        ("ANYTHING", "AKIAABCDEFGHIJKLMNOP", "AWS access key id"),
        ("NOTIFY", "xoxb-1234567890-abcdefghij", "Slack token"),
        ("CERT", "-----BEGIN RSA PRIVATE KEY-----\nabc", "private key"),
        ("DB_PASSWORD", "hunter2", "name says"),
        ("API_KEY", "k-123-secret", "name says"),
        ("DB_PASSWORD", "/prod/db/password", None),
        ("STAGE", "dev", None),
        ("KEY_COUNT", "3", None),
    ],
)
def test_plaintext_secret_heuristics(name: str, value: str, flagged: str | None) -> None:
    finding = plaintext_secret("app", name, value)
    if flagged is None:
        assert finding is None
    else:
        assert finding is not None and flagged in finding.reason
        assert "store the value in Secrets Manager" in str(finding)


def test_a_secret_needs_a_value() -> None:
    with pytest.raises(ValueError, match="a value for the secret"):
        Secret(name="empty")


UNDECLARED_SECRETS = """
Resources:
  BuildRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: build
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: [logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents], Resource: "*"}
              - {Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: "*"}
  App:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !GetAtt BuildRole.Arn
      Artifacts: {Type: NO_ARTIFACTS}
      Environment:
        Type: LINUX_CONTAINER
        ComputeType: BUILD_GENERAL1_SMALL
        Image: aws/codebuild/standard:7.0
        EnvironmentVariables:
          - {Name: DEPLOY_USER, Type: SECRETS_MANAGER, Value: "ci/deploy:user"}
      Source:
        Type: NO_SOURCE
        BuildSpec: !Sub |
          version: 0.2
          env:
            secrets-manager:
              TOKEN: arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ci/github:token
          phases:
            build:
              commands:
                - echo "token $TOKEN user $DEPLOY_USER"
"""


def test_a_secret_the_template_does_not_declare_is_stood_in_for_so_the_build_can_fetch_it(backend: Backend) -> None:
    definition = parse_template_text(UNDECLARED_SECRETS, "pipeline.yaml", lint_template=False)
    values = {r.name: json.loads(r.value) for r in definition.of_type(Secret) if isinstance(r, Secret)}
    # One stand-in per secret, holding the JSON keys the build asks for.
    assert values == {
        "ci-deploy": {"user": "pipewarden-stand-in-user"},
        "github": {"token": "pipewarden-stand-in-token"},
    }
    assert {u.address for u in definition.unknowns} == {"secrets.ci-deploy", "secrets.github"}
    pw = Deployment(backend)
    pw.definition = definition
    try:
        pw.apply(check_idempotent=False)
        set_build_clock(pw, FAST_CLOCK)
        build = start_build(pw, "app")
    finally:
        pw.teardown()
    assert build.status == "SUCCEEDED", build.failure()
    assert "token *** user ***" in build.lines
    assert not any("pipewarden-stand-in" in line for line in build.lines)
