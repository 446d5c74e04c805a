"""The corpus runner's logic, without the corpus: parsing expectation files, reading reports, comparing outcomes,
selecting the corpus tests only with --corpus, and the committed expectation files themselves."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from tests.corpus.expectations import (
    CaseExpectation,
    ExpectationError,
    Outcome,
    Run,
    case_folders,
    compare,
    feature_scenarios,
    load_expectation,
    load_for_corpus,
    normalise,
    parse_expectation,
    read_outcomes,
)

ROOT = Path(__file__).resolve().parents[2]
FILE = Path("tests/corpus/cloudformation-sample.yaml")

SAMPLE = dedent(
    """\
    case: cloudformation/sample
    check: [pre-reqs.yaml, pipeline.yaml]
    parameters: params-pipeline.json
    exit: 1
    summary: >-
      A sample pipeline whose pipeline role may start any build.
    scenarios:
      The build role cannot create IAM users:
        expect: PASS
        why: the build role's only policy allows s3 and logs actions
      The pipeline role can start its own build but not another pipeline's:
        expect: FAIL
        reason: [codebuild:StartBuild]
        why: the pipeline policy allows codebuild:StartBuild on "*"
      Only release managers can approve a release:
        expect: UNVERIFIED
        reason: [release manager]
        why: the template declares no people
      The build role cannot pass roles other than its own:
        expect: FAIL
        reason: [iam:PassRole]
        today: PASS
        gap: pipewarden does not yet read the policy the companion stack attaches
        why: the build policy allows iam:PassRole on "*"
      A definition that refers to a role it does not declare is refused with the fix:
        expect: ABSENT
        why: it tests pipewarden's own refusal of a broken bundled definition
    """
)

TITLES = {
    "users": "The build role cannot create IAM users",
    "start": "The pipeline role can start its own build but not another pipeline's",
    "release": "Only release managers can approve a release",
    "pass": "The build role cannot pass roles other than its own",
    "broken": "A definition that refers to a role it does not declare is refused with the fix",
}


def sample() -> CaseExpectation:
    return parse_expectation(SAMPLE, FILE)


def outcome(key: str, status: str, message: str = "") -> tuple[str, Outcome]:
    return normalise(TITLES[key]), Outcome(TITLES[key], status, message)


def as_expected(**changes: Outcome | None) -> dict[str, Outcome]:
    """The outcomes that match SAMPLE, with some replaced (an Outcome) or left out (None)."""
    found = dict(
        [
            outcome("users", "PASS"),
            outcome(
                "start", "FAIL", "pipeline role expected AccessDeniedException on codebuild:StartBuild, got success"
            ),
            outcome("release", "UNVERIFIED", "UNVERIFIED: the definition declares no release-manager role"),
            outcome("pass", "PASS"),
        ]
    )
    for key, replacement in changes.items():
        if replacement is None:
            found.pop(normalise(TITLES[key]), None)
        else:
            found[normalise(TITLES[key])] = replacement
    return found


# -- parsing ---------------------------------------------------------------------------------------------------
def test_a_file_parses_into_its_case_files_and_verdicts() -> None:
    parsed = sample()
    assert parsed.case == "cloudformation/sample"
    assert parsed.check == ("pre-reqs.yaml", "pipeline.yaml")
    assert parsed.parameters == "params-pipeline.json"
    assert parsed.exit == 1
    assert parsed.summary == "A sample pipeline whose pipeline role may start any build."
    assert list(parsed.scenarios) == list(TITLES.values())
    start = parsed.scenarios[TITLES["start"]]
    assert (start.expect, start.reason, start.today) == ("FAIL", ("codebuild:StartBuild",), None)
    passing = parsed.scenarios[TITLES["pass"]]
    assert (passing.expect, passing.today) == ("FAIL", "PASS")
    assert passing.gap is not None and passing.gap.startswith("pipewarden does not yet")
    assert parsed.scenarios[TITLES["broken"]].expect == "ABSENT"


def test_titles_match_junit_names_and_progress_lines() -> None:
    assert normalise("The pipeline role can start its own build but not another pipeline's") == normalise(
        "test_the_pipeline_role_can_start_its_own_build_but_not_another_pipelines"
    )
    assert normalise("A non-production role cannot read, copy or decrypt production data") == normalise(
        "a nonproduction role cannot read copy or decrypt production data"
    )
    assert normalise("The build role cannot create IAM users") != normalise("The build role cannot create IAM groups")


def _replace(old: str, new: str) -> str:
    assert old in SAMPLE
    return SAMPLE.replace(old, new, 1)


MALFORMED = {
    "missing summary": (
        _replace("summary: >-\n  A sample pipeline whose pipeline role may start any build.\n", ""),
        "key 'summary'",
        "add 'summary:'",
    ),
    "unknown status": (
        _replace("expect: PASS", "expect: PASSED"),
        "key 'scenarios.The build role cannot create IAM users.expect'",
        "found 'PASSED'",
    ),
    "unknown key": (
        _replace("    why: the template declares no people", "    why: the template declares no people\n    note: x"),
        "key 'scenarios.Only release managers can approve a release.note'",
        "remove or rename the key",
    ),
    "reason on a pass": (
        _replace(
            "    expect: PASS\n    why: the build",
            "    expect: PASS\n    reason: [iam]\n    why: the build",
        ),
        "key 'scenarios.The build role cannot create IAM users.reason'",
        "expect PASS",
    ),
    "today without gap": (
        _replace("    gap: pipewarden does not yet read the policy the companion stack attaches\n", ""),
        "key 'scenarios.The build role cannot pass roles other than its own.gap'",
        "'today' and 'gap' together",
    ),
    "today equal to expect without reason words": (
        _replace("today: PASS", "today: FAIL").replace("    reason: [iam:PassRole]\n", ""),
        "key 'scenarios.The build role cannot pass roles other than its own.today'",
        "remove 'today' and 'gap'",
    ),
    "reason not a list": (
        _replace("reason: [iam:PassRole]", "reason: iam:PassRole"),
        "key 'scenarios.The build role cannot pass roles other than its own.reason'",
        "a list of words",
    ),
    "exit 2": (_replace("exit: 1", "exit: 2"), "key 'exit'", "expected 0 or 1"),
    "case of another file": (
        _replace("case: cloudformation/sample", "case: cloudformation/other"),
        "key 'case'",
        "rename the file to cloudformation-other.yaml",
    ),
    "scenario twice": (
        SAMPLE + "  The build role cannot create IAM users:\n    expect: FAIL\n    why: x\n",
        "key '(document)'",
        "found the key 'The build role cannot create IAM users' twice",
    ),
    "same title but punctuation": (
        SAMPLE + "  The build role cannot create IAM users!:\n    expect: PASS\n    why: x\n",
        "key 'scenarios.The build role cannot create IAM users!'",
        "matches 'The build role cannot create IAM users'",
    ),
    "empty check": (_replace("check: [pre-reqs.yaml, pipeline.yaml]", "check: []"), "key 'check'", "non-empty list"),
    "not a mapping": ("- case\n", "key '(document)'", "expected a mapping"),
}


@pytest.mark.parametrize("text, key, detail", MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_file_is_refused_naming_the_file_and_the_key(text: str, key: str, detail: str) -> None:
    with pytest.raises(ExpectationError) as refused:
        parse_expectation(text, FILE)
    message = str(refused.value)
    assert message.startswith(f"{FILE}: {key}: expected "), message
    assert detail in message


# -- the corpus layout -------------------------------------------------------------------------------------------
def corpus_with_sample(tmp_path: Path, files: tuple[str, ...]) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    (corpus / "cloudformation" / "sample").mkdir(parents=True)
    (corpus / "terraform" / "plan-a").mkdir(parents=True)
    (corpus / "README.md").write_text("not a case", encoding="utf-8")
    for name in files:
        (corpus / "cloudformation" / "sample" / name).write_text("{}", encoding="utf-8")
    path = tmp_path / "cloudformation-sample.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    return corpus, path


def test_case_folders_are_listed_by_format(tmp_path: Path) -> None:
    corpus, _ = corpus_with_sample(tmp_path, ())
    assert case_folders(corpus) == ["cloudformation/sample", "terraform/plan-a"]


def test_an_expectation_for_the_corpus_has_its_folder_and_files(tmp_path: Path) -> None:
    corpus, path = corpus_with_sample(tmp_path, ("pre-reqs.yaml", "pipeline.yaml", "params-pipeline.json"))
    assert load_for_corpus(path, corpus).case == "cloudformation/sample"


@pytest.mark.parametrize(
    "present, key, name",
    [
        (("pipeline.yaml", "params-pipeline.json"), "check", "pre-reqs.yaml"),
        (("pre-reqs.yaml", "pipeline.yaml"), "parameters", "params-pipeline.json"),
    ],
)
def test_a_file_the_case_folder_lacks_is_named(tmp_path: Path, present: tuple[str, ...], key: str, name: str) -> None:
    corpus, path = corpus_with_sample(tmp_path, present)
    with pytest.raises(ExpectationError, match=f"key '{key}': expected a file in .*found '{name}'"):
        load_for_corpus(path, corpus)


def test_an_expectation_naming_no_case_folder_is_refused(tmp_path: Path) -> None:
    corpus, path = corpus_with_sample(tmp_path, ())
    (corpus / "cloudformation" / "sample").rename(corpus / "cloudformation" / "renamed")
    with pytest.raises(ExpectationError, match="key 'case': expected a case folder of the corpus"):
        load_for_corpus(path, corpus)


# -- reading the reports ---------------------------------------------------------------------------------------
JUNIT = """\
<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
<testcase classname="test_pipewarden_suite" name="test_the_build_role_cannot_create_iam_users" time="1"/>
<testcase classname="test_pipewarden_suite" name="test_the_build_role_cannot_pass_roles_other_than_its_own" time="1">
<failure message="harness.errors.CheckFailed: pipeline 'p': build role expected AccessDeniedException on iam:PassRole,
 got an allowed call">traceback</failure></testcase>
<testcase classname="test_pipewarden_suite" name="test_only_release_managers_can_approve_a_release" time="1">
<skipped type="pytest.skip" message="UNVERIFIED: no release manager is declared">skip</skipped></testcase>
<testcase classname="test_pipewarden_suite" name="test_a_rejected_release_is_not_deployed" time="1">
<skipped type="pytest.skip" message="not run on this backend">skip</skipped></testcase>
<testcase classname="test_pipewarden_suite" name="test_the_pipeline_deploys_exactly_as_declared" time="1">
<error message="failed on setup with &quot;KeyError: 'x'&quot;">trace</error></testcase>
</testsuite></testsuites>
"""


def test_statuses_and_messages_are_read_from_junit_and_titles_from_cucumber(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT, encoding="utf-8")
    (tmp_path / "cucumber.json").write_text(
        '[{"elements": [{"name": "The build role cannot pass roles other than its own"}]}]', encoding="utf-8"
    )
    found = read_outcomes(tmp_path)
    by_status = {o.title: (o.status, o.message) for o in found.values()}
    assert by_status["the build role cannot create iam users"] == ("PASS", "")
    status, message = by_status["The build role cannot pass roles other than its own"]
    assert status == "FAIL"
    assert message.startswith("pipeline 'p': build role expected AccessDeniedException on iam:PassRole")
    assert by_status["only release managers can approve a release"] == (
        "UNVERIFIED",
        "UNVERIFIED: no release manager is declared",
    )
    assert by_status["a rejected release is not deployed"] == ("SKIP", "not run on this backend")
    assert by_status["the pipeline deploys exactly as declared"][0] == "ERROR"
    assert normalise("Only release managers can approve a release") in found


def test_a_folder_without_reports_has_no_outcomes(tmp_path: Path) -> None:
    assert read_outcomes(tmp_path) == {}


# -- comparing -------------------------------------------------------------------------------------------------
def test_outcomes_as_expected_pass_and_count_the_known_gap() -> None:
    comparison = compare(sample(), Run(1, as_expected()))
    assert comparison.ok, comparison.table()
    assert comparison.known_gaps == (TITLES["pass"],)
    assert comparison.summary_line() == "cloudformation-sample: pass, 1 known gap"


def test_a_status_mismatch_is_reported_with_the_message() -> None:
    found = outcome("users", "FAIL", "build role expected AccessDenied on iam:CreateUser, got success")[1]
    comparison = compare(sample(), Run(1, as_expected(users=found)))
    assert [(m.scenario, m.expected, m.got) for m in comparison.mismatches] == [(TITLES["users"], "PASS", "FAIL")]
    assert "iam:CreateUser, got success" in comparison.mismatches[0].message


def test_reason_words_must_be_in_the_message() -> None:
    vague = outcome("start", "FAIL", "pipeline role expected AccessDeniedException, got success")[1]
    comparison = compare(sample(), Run(1, as_expected(start=vague)))
    (mismatch,) = comparison.mismatches
    assert (mismatch.scenario, mismatch.expected, mismatch.got) == (
        TITLES["start"],
        "FAIL naming codebuild:StartBuild",
        "FAIL",
    )


def test_reason_words_ignore_case_and_hyphens() -> None:
    # "release manager" is found in "release-manager", as in the scenario role's name.
    comparison = compare(sample(), Run(1, as_expected()))
    assert not [m for m in comparison.mismatches if m.scenario == TITLES["release"]]


def test_a_closed_gap_fails_and_says_to_remove_today() -> None:
    closed = outcome("pass", "FAIL", "build role expected AccessDeniedException on iam:PassRole, got success")[1]
    comparison = compare(sample(), Run(1, as_expected(**{"pass": closed})))
    (mismatch,) = comparison.mismatches
    assert mismatch.message == (
        "gap closed: remove 'today' from cloudformation-sample.yaml The build role cannot pass roles other than its own"
    )
    assert comparison.known_gaps == ()


def test_a_gap_in_the_reason_only_holds_until_the_message_names_it() -> None:
    text = SAMPLE.replace("today: PASS", "today: FAIL")
    expectation = parse_expectation(text, Path("cloudformation-sample.yaml"))
    vague = outcome("pass", "FAIL", "IAM role 'roles.x': create failed: MalformedPolicyDocument")[1]
    comparison = compare(expectation, Run(1, as_expected(**{"pass": vague})))
    assert (comparison.mismatches, comparison.known_gaps) == ((), (TITLES["pass"],))
    named = outcome("pass", "FAIL", "build role expected AccessDeniedException on iam:PassRole, got success")[1]
    (mismatch,) = compare(expectation, Run(1, as_expected(**{"pass": named}))).mismatches
    assert mismatch.message.startswith("gap closed: remove 'today'")


def test_a_gap_whose_status_changed_otherwise_is_a_mismatch() -> None:
    other = outcome("pass", "UNVERIFIED", "UNVERIFIED: no role")[1]
    (mismatch,) = compare(sample(), Run(1, as_expected(**{"pass": other}))).mismatches
    assert (mismatch.expected, mismatch.got) == ("FAIL (today PASS)", "UNVERIFIED")


def test_an_absent_scenario_that_ran_is_a_mismatch() -> None:
    ran = outcome("broken", "PASS")[1]
    (mismatch,) = compare(sample(), Run(1, as_expected(broken=ran))).mismatches
    assert (mismatch.scenario, mismatch.expected, mismatch.got) == (TITLES["broken"], "ABSENT", "PASS")
    assert "must not run on a user's definition" in mismatch.message


def test_a_listed_scenario_that_was_not_reported_is_a_mismatch() -> None:
    (mismatch,) = compare(sample(), Run(1, as_expected(users=None))).mismatches
    assert (mismatch.expected, mismatch.got, mismatch.message) == (
        "PASS",
        "ABSENT",
        "pipewarden did not report this scenario",
    )


def test_a_scenario_the_file_does_not_list_is_a_mismatch() -> None:
    found = as_expected()
    found[normalise("A brand new claim")] = Outcome("A brand new claim", "PASS")
    (mismatch,) = compare(sample(), Run(1, found)).mismatches
    assert (mismatch.scenario, mismatch.expected, mismatch.got) == ("A brand new claim", "(not listed)", "PASS")
    assert mismatch.message == "the suite grew: add it to cloudformation-sample.yaml"


def test_a_case_that_did_not_load_is_one_failure_with_the_error() -> None:
    run = Run(2, {}, "", "pipewarden: error: code-pipeline.yaml: parameter 'S3Bucket' has no value\n")
    comparison = compare(sample(), run)
    (mismatch,) = comparison.mismatches
    assert (mismatch.expected, mismatch.got) == ("exit 1", "exit 2")
    assert mismatch.message == (
        "the case did not load: pipewarden: error: code-pipeline.yaml: parameter 'S3Bucket' has no value"
    )
    assert comparison.summary_line().startswith("cloudformation-sample: FAIL, the case did not load")


def test_a_run_that_timed_out_is_a_failure() -> None:
    (mismatch,) = compare(sample(), Run(None, {}, "", "did not finish within 15 minutes")).mismatches
    assert (mismatch.got, mismatch.message) == ("timeout", "did not finish within 15 minutes")


def test_every_mismatch_of_a_case_is_in_one_table() -> None:
    changed = as_expected(
        users=outcome("users", "FAIL", "iam:CreateUser allowed")[1],
        release=outcome("release", "PASS")[1],
        broken=outcome("broken", "PASS")[1],
    )
    comparison = compare(sample(), Run(0, changed))
    assert [m.scenario for m in comparison.mismatches] == [
        "(exit code)",
        TITLES["users"],
        TITLES["release"],
        TITLES["broken"],
    ]
    table = comparison.table().splitlines()
    assert [cell.strip() for cell in table[0].split(" | ")] == ["scenario", "expected", "got", "message"]
    assert len(table) == 2 + 4
    assert table[3].startswith(TITLES["users"]) and table[3].endswith("iam:CreateUser allowed")
    assert comparison.summary_line() == "cloudformation-sample: FAIL (4 mismatches), 1 known gap"


# -- selection -------------------------------------------------------------------------------------------------
def test_corpus_tests_run_only_with_the_corpus_option(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers =\n    corpus: a corpus case\n    slow: slow\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.corpus
        def test_a_case():
            pass

        @pytest.mark.slow
        def test_a_unit():
            pass
        """
    )
    plain = pytester.runpytest("-p", "tests.corpus.plugin")
    plain.assert_outcomes(passed=1, deselected=1)
    chosen = pytester.runpytest("-p", "tests.corpus.plugin", "--corpus")
    chosen.assert_outcomes(passed=2)
    # -m keeps working as usual, and a corpus test stays out without --corpus whatever -m says.
    pytester.runpytest("-p", "tests.corpus.plugin", "-m", "slow").assert_outcomes(passed=1, deselected=1)
    pytester.runpytest("-p", "tests.corpus.plugin", "-m", "corpus").assert_outcomes(deselected=2)


# -- the committed expectation files ------------------------------------------------------------------------------
EXPECTATION_FILES = sorted((ROOT / "tests" / "corpus").glob("*.yaml"))


def test_the_packaged_suite_is_read_from_the_feature_files() -> None:
    titles = feature_scenarios(ROOT / "features")
    assert "The build role cannot create IAM users" in titles
    assert len(titles) == len(set(titles)) >= 40


@pytest.mark.parametrize("path", EXPECTATION_FILES, ids=lambda p: p.stem)
def test_each_expectation_file_lists_exactly_the_packaged_scenarios(path: Path) -> None:
    expectation = load_expectation(path)
    listed = set(expectation.scenarios)
    packaged = set(feature_scenarios(ROOT / "features"))
    assert not packaged - listed, f"{path.name}: add {sorted(packaged - listed)}"
    assert not listed - packaged, f"{path.name}: no such scenario {sorted(listed - packaged)}"


def test_a_pipeline_type_left_out_as_not_modelled_is_a_mismatch() -> None:
    stdout = (
        "note: Resources.Fn (AWS::Lambda::Function): resource type not modelled; scenarios depending on it are "
        "unverified\n"
        "note: aws_eks_cluster.c (aws_eks_cluster): resource type not modelled; scenarios depending on it are "
        "unverified\n"
        "note: aws_iam_user.u (aws_iam_user): resource type not modelled; scenarios depending on it are unverified\n"
    )
    comparison = compare(sample(), Run(1, as_expected(), stdout=stdout))
    assert [(m.scenario, m.got, m.message.split(":")[0]) for m in comparison.mismatches] == [
        ("(notes)", "not modelled", "Resources.Fn (AWS"),
        ("(notes)", "not modelled", "aws_iam_user.u (aws_iam_user)"),
    ]
