"""A pipeline that does not deploy: the run's error, reported once with its cause, not a failure of every claim."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# IAM refuses the inline policy ("Effect: Maybe"), so the pipeline never deploys.
UNDEPLOYABLE = """\
pipewarden: 1
name: undeployable
resources:
  log_groups:
    g: {}
  roles:
    build:
      assumed_by: codebuild.amazonaws.com
      policies:
        bad:
          Version: "2012-10-17"
          Statement:
            - {Effect: Maybe, Action: "s3:GetObject", Resource: "*"}
"""


def test_a_deploy_failure_is_the_runs_error_and_leaves_the_other_claims_untried(tmp_path: Path) -> None:
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(UNDEPLOYABLE, encoding="utf-8")
    argv = [sys.executable, "-m", "harness.cli", "check", str(pipeline), "-m", "lifecycle or audit-trail"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    out = done.stdout
    rows = [line.split(None, 1) for line in out.split("\n\nresult", 1)[1].splitlines() if line[:1].isupper()]
    statuses = {name.strip(): status for status, name in rows if status in ("PASS", "FAIL", "UNVERIFIED")}

    assert done.returncode == 1, out + done.stderr
    # The claim that the pipeline deploys is refuted; every other claim was not tried.
    assert statuses.pop("the pipeline deploys exactly as declared") == "FAIL"
    assert len(statuses) == 8 and set(statuses.values()) == {"UNVERIFIED"}
    assert out.count("not tried: the pipeline did not deploy (the run's error, reported once)") == 8
    error = (
        "error: the pipeline did not deploy, so 8 scenario(s) could not be tried: IAM role 'roles.build': create "
        "failed: An error occurred (MalformedPolicyDocument) when calling the PutRolePolicy operation"
    )
    assert out.count(error) == 1
    # The cause appears with the refuted claim and once as the run's error, never with the untried claims.
    assert out.count("MalformedPolicyDocument") == 2
