"""Plain secrets in a Lambda function's environment are found like a build's, read back from the backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.acceptance import Deployment
from harness.errors import CheckFailed
from harness.runtime import scenarios as rt
from harness.runtime.secrets import FUNCTION
from tests.runtime.conftest import project_definition

Deploy = Callable[[str], Deployment]

FUNCTIONS = {
    "roles": {"runner": {"assumed_by": ["lambda.amazonaws.com"]}},
    "functions": {
        "analysis": {
            "role": "runner",
            "runtime": "nodejs20.x",
            "handler": "index.handler",
            "environment": {"access_key": "AKIAIOSFODNN7EXAMPLE", "STAGE": "prod"},
        },
        "merge": {
            "role": "runner",
            "runtime": "python3.12",
            "handler": "index.handler",
            "environment": {"TOKEN_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:token"},
        },
    },
}


def test_a_key_in_a_functions_environment_is_flagged_with_the_function(deploy: Deploy) -> None:
    spec = {"version": 0.2, "phases": {"build": {"commands": ["true"]}}}
    pw = deploy(project_definition(spec, **FUNCTIONS))
    findings = rt.plaintext_secrets(pw)
    assert [(f.holder, f.project, f.variable) for f in findings] == [(FUNCTION, "analysis", "access_key")]
    with pytest.raises(CheckFailed) as caught:
        rt.expect_no_plaintext_secrets(findings)
    assert str(caught.value).startswith(
        "Lambda function 'analysis': environment variable access_key is plain text but its value looks like an AWS "
        "access key id"
    )
    assert "have the function read it at run time" in str(caught.value)


def test_the_environment_is_read_back_from_the_backend(deploy: Deploy) -> None:
    spec = {"version": 0.2, "phases": {"build": {"commands": ["true"]}}}
    pw = deploy(project_definition(spec, **{**FUNCTIONS, "functions": {"merge": FUNCTIONS["functions"]["merge"]}}))
    assert rt.plaintext_secrets(pw) == []
    name = pw.provider.ctx.physical_name(pw.require_definition().get("functions", "merge"))  # type: ignore[arg-type]
    pw.backend.client("lambda").update_function_configuration(
        FunctionName=name, Environment={"Variables": {"DB_PASSWORD": "hunter2-literal"}}
    )
    assert [f.variable for f in rt.plaintext_secrets(pw)] == ["DB_PASSWORD"]
