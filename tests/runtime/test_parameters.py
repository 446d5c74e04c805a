"""Plain SSM parameters in builds: a PARAMETER_STORE variable reads a String parameter's value (masked in the log,
as CodeBuild masks every Parameter Store value); such a variable is configuration, not a secret, unless the String
parameter holds what looks like one; a SecureString is never taken for a value in clear."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.acceptance import Deployment
from harness.errors import CheckFailed, Unverified
from harness.runtime import scenarios as rt
from harness.runtime.build import start_build
from harness.runtime.secrets import plain_parameter
from tests.runtime.conftest import BUILD_ROLE_POLICY, project_definition

Deploy = Callable[[str], Deployment]

READ_PARAMETERS = {
    "Version": "2012-10-17",
    "Statement": [*BUILD_ROLE_POLICY["Statement"], {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}],
}
PARAMETERS = {"image-tag": {"value": "1.4.2"}, "hosts": {"value": "a.example,b.example", "type": "StringList"}}
SECRETS = {"db-password": {"value": "hunter2-password", "store": "parameter-store"}}


def stored(name: str, section: str = "parameters") -> dict[str, str]:
    return {"name": name.upper().replace("-", "_"), "value": f"${{{section}.{name}.name}}", "type": "PARAMETER_STORE"}


def deployed(deploy: Deploy, variables: list[dict[str, str]], **extra: Any) -> Deployment:
    spec = {"version": 0.2, "phases": {"build": {"commands": ['echo "tag=$IMAGE_TAG hosts=$HOSTS"']}}}
    return deploy(
        project_definition(
            spec,
            variables=variables,
            parameters=extra.pop("parameters", PARAMETERS),
            secrets=extra.pop("secrets", SECRETS),
            role_policy=READ_PARAMETERS,
        )
    )


def test_a_parameter_store_variable_reads_a_plain_parameter(deploy: Deploy) -> None:
    pw = deployed(deploy, [stored("image-tag"), stored("hosts")])
    build = start_build(pw, "app")
    assert build.status == "SUCCEEDED", build.failure()
    assert "tag=*** hosts=***" in build.lines
    assert plain_parameter(pw, f"{pw.prefix}image-tag") == "1.4.2"
    assert plain_parameter(pw, f"{pw.prefix}db-password") is None  # a SecureString is a secret
    assert plain_parameter(pw, f"{pw.prefix}nothing") is None


def test_a_plain_parameter_is_not_a_secret_to_mask_but_a_secure_string_is(deploy: Deploy) -> None:
    pw = deployed(deploy, [stored("image-tag"), stored("db-password", "secrets")])
    assert rt.secret_variables(pw) == {"DB_PASSWORD": ""}
    only_configuration = deployed(deploy, [stored("image-tag")])
    with pytest.raises(Unverified) as caught:
        rt.run_build_printing_secrets(only_configuration)
    assert caught.value.reason == (
        "build project 'app': receives no secret (no SECRETS_MANAGER or PARAMETER_STORE variable), so the claim "
        "cannot be tried; a build that needs credentials gets them through Secrets Manager or Parameter Store, and "
        "this claim then checks they are masked"
    )


def test_a_string_parameter_holding_a_secret_is_a_secret_in_clear(deploy: Deploy) -> None:
    parameters = {**PARAMETERS, "token": {"value": "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2}}
    pw = deployed(
        deploy, [stored("image-tag"), stored("token"), stored("db-password", "secrets")], parameters=parameters
    )
    findings = rt.plaintext_secrets(pw)
    assert [(f.variable, f.parameter) for f in findings] == [("TOKEN", f"{pw.prefix}token")]
    with pytest.raises(CheckFailed) as caught:
        rt.expect_no_plaintext_secrets(findings)
    assert str(caught.value) == (
        f"build project 'app': variable TOKEN reads the parameter {pw.prefix}token, stored unencrypted as a String, "
        "but its value looks like a GitHub token; store the value as an SSM SecureString or in Secrets Manager"
    )


def test_configuration_in_plain_parameters_and_secrets_in_secure_strings_raise_nothing(deploy: Deploy) -> None:
    pw = deployed(deploy, [stored("image-tag"), stored("hosts"), stored("db-password", "secrets")])
    assert rt.plaintext_secrets(pw) == []
