"""The pytest plugin, run in a separate pytest: fixtures, UNVERIFIED outcomes, tags as markers, options."""

from __future__ import annotations

import pytest

FEATURE = """\
Feature: Inline scenarios against the plugin's fixtures

  @lifecycle @nist-800-53:CM-2
  Scenario: The reference pipeline deploys and re-plans empty
    When the pipeline under test is deployed
    Then a second plan shows no changes

  @detection @soc2:CC7.2
  Scenario: A claim the backend cannot verify
    When the pipeline under test is deployed
    Then the key policy is enforced
"""

STEPS = """\
from pytest_bdd import scenarios, then, when

from harness.acceptance import Deployment
from harness.errors import Unverified
from harness.model.definition import Definition

scenarios("inline.feature")


@when("the pipeline under test is deployed")
def deploy(pw: Deployment, pw_definition: Definition) -> None:
    pw.definition = pw_definition
    pw.apply()


@then("a second plan shows no changes")
def second_plan(pw: Deployment) -> None:
    assert pw.plan().empty
    assert pw.backend.name == "moto"
    assert len(pw.provider.leftovers()) == len(pw.definition.resources)  # type: ignore[union-attr]


@then("the key policy is enforced")
def key_policy() -> None:
    raise Unverified("moto does not evaluate KMS key policies")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".feature", inline=FEATURE)
    pytester.makepyfile(test_inline=STEPS)
    return pytester


OUTCOME_LOGGER = """
import pytest

REPORTS = []


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report):
    if report.when == "call":
        REPORTS.append((report.nodeid.split("::")[-1], report.outcome, str(report.longrepr)))


def pytest_sessionfinish(session):
    with open("outcomes.txt", "w") as out:
        for name, outcome, longrepr in REPORTS:
            out.write(f"{name}|{outcome}|{longrepr}\\n")
"""


def test_scenarios_use_the_fixtures_and_unverified_is_a_skip_with_its_own_status(project: pytest.Pytester) -> None:
    project.makeconftest(OUTCOME_LOGGER)

    # A separate process: the scenarios open their own moto backend and egress guard, as a user's run would.
    result = project.runpytest_subprocess("-v", "-rA")

    outcomes = result.parseoutcomes()
    assert outcomes == {"passed": 1, "unverified": 1}
    result.stdout.fnmatch_lines(
        [
            "*test_inline.py::test_the_reference_pipeline_deploys_and_replans_empty PASSED*",
            "*test_inline.py::test_a_claim_the_backend_cannot_verify UNVERIFIED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*= unverified =*",
            "test_inline.py::test_a_claim_the_backend_cannot_verify: "
            "UNVERIFIED: moto does not evaluate KMS key policies",
            "*= 1 passed, 1 unverified in *",
        ]
    )
    assert result.ret == pytest.ExitCode.OK
    # ...and underneath, the report is a skip carrying the reason, never a pass.
    lines = sorted((project.path / "outcomes.txt").read_text().splitlines())
    assert lines[0].startswith("test_a_claim_the_backend_cannot_verify|skipped|(")
    assert lines[0].endswith(", 'UNVERIFIED: moto does not evaluate KMS key policies')")
    assert lines[1] == "test_the_reference_pipeline_deploys_and_replans_empty|passed|None"


def test_gherkin_tags_become_markers_selectable_with_m(project: pytest.Pytester) -> None:
    # Selection happens at collection, so collecting is enough, and it can run in this process.
    def selected(expression: str) -> list[str]:
        result = project.runpytest(
            "-m", expression, "--collect-only", "-q", "-W", "error::pytest.PytestUnknownMarkWarning"
        )
        return [line.split("::")[-1] for line in result.outlines if line.startswith("test_inline.py::")]

    assert selected("lifecycle and nist-800-53:CM-2") == ["test_the_reference_pipeline_deploys_and_replans_empty"]
    assert selected("soc2:CC7.2") == ["test_a_claim_the_backend_cannot_verify"]
    assert selected("not lifecycle and not detection") == []


def test_the_unverified_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")

    result.stdout.fnmatch_lines(["@pytest.mark.unverified: the harness could not verify the claim"])


def test_an_unknown_backend_is_rejected(project: pytest.Pytester) -> None:
    result = project.runpytest("--pw-backend", "gcp")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*argument --pw-backend: invalid choice: 'gcp' (choose from *moto*, *moto-server*, *localstack*, *aws*)*"]
    )


def test_the_aws_backend_stays_closed_without_the_gate(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPEWARDEN_ACC", raising=False)

    result = project.runpytest("--pw-backend", "aws", "-m", "lifecycle")

    # The backend fixture is requested while the scenario runs, so the refusal fails the scenario.
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*SafetyError: aws backend: expected PIPEWARDEN_ACC=1 to run against real AWS*"])


def test_a_fixture_that_cannot_be_verified_makes_the_test_unverified(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        from harness.errors import Unverified


        @pytest.fixture
        def trail_digest():
            raise Unverified("digest files are not produced by this backend")


        def test_digests_validate(trail_digest):
            assert False, "never reached"
        """
    )

    result = pytester.runpytest("-v")

    result.assert_outcomes()  # neither passed, failed nor skipped...
    assert result.parseoutcomes()["unverified"] == 1  # ...but unverified
    result.stdout.fnmatch_lines(
        [
            "*test_digests_validate UNVERIFIED*",
            "*= unverified =*",
            "*::test_digests_validate: UNVERIFIED: digest files are not produced by this backend",
        ]
    )


def test_evidence_is_written_per_scenario_with_one_record_per_gherkin_step(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--pw-evidence", "evidence")
    assert result.ret == 0, result.stdout.str()
    folder = project.path / "evidence"
    files = sorted(p.name for p in folder.iterdir())
    assert files == [
        "test_a_claim_the_backend_cannot_verify.json",
        "test_the_reference_pipeline_deploys_and_replans_empty.json",
    ]
    import json

    passed = json.loads((folder / files[1]).read_text())
    assert passed["outcome"] == "passed"
    assert "lifecycle" in passed["tags"] and "nist-800-53:CM-2" in passed["tags"]
    names = [s["name"] for s in passed["steps"]]
    assert names == [
        "When the pipeline under test is deployed",
        "Then a second plan shows no changes",
        "destroy",
    ]
    deploy = passed["steps"][0]
    assert any(c["call"] == "iam:CreateRole" and c["outcome"] == "ok" for c in deploy["calls"])
    unverified = json.loads((folder / files[0]).read_text())
    assert unverified["outcome"] == "unverified"
    then = unverified["steps"][1]
    assert then["outcome"] == "unverified"
    assert then["notes"] == ["UNVERIFIED: moto does not evaluate KMS key policies"]


PARAMETRIZED_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: {Type: String, AllowedValues: [dev, prod]}
  Retention: {Type: Number}
  Unused: {Type: String, Default: x}
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Description: where the builds write
    Properties:
      RetentionInDays: !Ref Retention
      Tags: [{Key: stage, Value: !Ref Stage}]
"""

DEFINITION_TEST = """\
def test_the_definition(pw_definition):
    (group,) = pw_definition.resources
    assert (group.retention_days, group.tags["stage"]) == (14, "dev")
    linted = [note.split(" line ")[0] for note in pw_definition.notes if note.startswith("cfn-lint ")]
    assert linted == ["cfn-lint W2001", "cfn-lint I3011", "cfn-lint I3011"], pw_definition.notes
"""


@pytest.fixture
def parametrized(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", template=PARAMETRIZED_TEMPLATE)
    pytester.makefile(
        ".json",
        params='[{"ParameterKey": "Stage", "ParameterValue": "dev"},\n'
        ' {"ParameterKey": "Retention", "ParameterValue": 7}]',
    )
    pytester.makepyfile(test_definition=DEFINITION_TEST)
    return pytester


def test_parameters_and_lint_ignores_reach_the_definition(parametrized: pytest.Pytester) -> None:
    result = parametrized.runpytest(
        "--pw-definition",
        "template.yaml",
        "--pw-parameters",
        "params.json",
        "--pw-param",
        "Retention=14",
        "--pw-lint-ignore",
        "E3001",
    )

    # --pw-param replaced the file's 7; the E3001 finding was left out, the others kept.
    result.assert_outcomes(passed=1)


def test_a_missing_parameter_names_the_plugin_options_without_a_traceback(parametrized: pytest.Pytester) -> None:
    result = parametrized.runpytest("--pw-definition", "template.yaml", "--pw-param", "Retention=14")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*template.yaml:3 (Parameters.Stage): expected a value for the parameter, found no Default and no "
            "override; give a Default or pass --pw-param Stage=VALUE or a --pw-parameters file"
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output and "During handling" not in output and "load_any(" not in output


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--pw-param", "Stage"],
            "ERROR: --pw-param 'Stage': expected NAME=VALUE (e.g. --pw-param Stage=prod), found no '='; write the "
            "parameter as NAME=VALUE",
        ),
        (
            ["--pw-lint-ignore", "all"],
            "ERROR: --pw-lint-ignore 'all': expected a cfn-lint rule id or a prefix of one (E3001, W, E30, I), "
            "found 'all'; name the rule as cfn-lint prints it",
        ),
    ],
)
def test_a_misspelt_parameter_option_is_a_usage_error(
    parametrized: pytest.Pytester, option: list[str], message: str
) -> None:
    result = parametrized.runpytest("--pw-definition", "template.yaml", *option)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
