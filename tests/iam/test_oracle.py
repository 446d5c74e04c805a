"""Differential test: the engine against @cloud-copilot/iam-simulate on 10,000 seeded requests.

Runs only with PIPEWARDEN_ORACLE=1 (and node + npm on PATH). The oracle is installed with npm into a
temporary folder for the session and only ever called from here; it is never vendored or committed.
Disagreements are allowed only in the categories of tests/iam/oracle/KNOWN_DIFFERENCES.md, where the AWS
documentation shows the oracle's answer is not AWS's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.iam.catalogue import default_rcp_services
from harness.iam.command import build
from harness.iam.evaluator import Decision, evaluate

from .oracle.cases import generate

pytestmark = pytest.mark.oracle

ORACLE_PACKAGE = "@cloud-copilot/iam-simulate"
ORACLE_VERSION = os.environ.get("PIPEWARDEN_ORACLE_VERSION", "0.1.173")
CASES = int(os.environ.get("PIPEWARDEN_ORACLE_CASES", "10000"))
DRIVER = Path(__file__).parent / "oracle" / "driver.mjs"


_CA_VARIABLES = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT")
_SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")


def _npm_environment() -> dict[str, str]:
    """The environment for npm: the machine's CA bundle trusted too, so a registry behind a TLS proxy answers."""
    env = dict(os.environ)
    if not env.get("NODE_EXTRA_CA_CERTS"):
        named = [env[v] for v in _CA_VARIABLES if env.get(v)]
        bundle = next((b for b in (*named, *_SYSTEM_BUNDLES) if Path(b).is_file()), None)
        if bundle is not None:
            env["NODE_EXTRA_CA_CERTS"] = bundle
    return env


@pytest.fixture(scope="session")
def oracle_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the oracle into a temporary folder (once per session)."""
    if os.environ.get("PIPEWARDEN_ORACLE") != "1":
        pytest.skip("differential oracle tests run only with PIPEWARDEN_ORACLE=1 (they install an npm package)")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("differential oracle tests need node and npm on PATH")
    home = tmp_path_factory.mktemp("iam-oracle")
    done = subprocess.run(
        [
            "npm",
            "install",
            "--no-save",
            "--no-package-lock",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(home),
            f"{ORACLE_PACKAGE}@{ORACLE_VERSION}",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=_npm_environment(),
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"npm install {ORACLE_PACKAGE}@{ORACLE_VERSION} failed: {done.stderr[-2000:]}")
    return home


def run_oracle(home: Path, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    payload = "\n".join(json.dumps(r) for r in requests) + "\n"
    done = subprocess.run(
        ["node", str(DRIVER)],
        input=payload,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ORACLE_HOME": str(home)},
        timeout=1800,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


# --- known differences (see oracle/KNOWN_DIFFERENCES.md) ------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^},]+)")


def _documents(case: dict[str, Any]) -> list[dict[str, Any]]:
    docs = list(case["identity_policies"])
    docs += [case[k] for k in ("resource_policy", "permissions_boundary", "session_policy") if case[k]]
    for levels in (case["scps"] or [], case["rcps"] or []):
        for level in levels:
            docs += level
    return docs


def _statement(doc: dict[str, Any], label: str | int) -> dict[str, Any]:
    for index, statement in enumerate(doc["Statement"]):
        if statement.get("Sid") == label or (statement.get("Sid") is None and index == label):
            return statement
    raise AssertionError(f"statement {label!r} not found")


def not_principal_account_check(case: dict[str, Any], mine: Decision, oracle: str) -> bool:
    """KD1: a Deny with NotPrincipal that lists the account but not every identity of the caller."""
    return (
        mine.decision.value == "ExplicitDeny"
        and oracle != "ExplicitDeny"
        and all(
            m.layer == "resource" and "NotPrincipal" in _statement(case["resource_policy"], m.statement)
            for m in mine.matched
        )
    )


def session_grant_beyond_session_policy(case: dict[str, Any], mine: Decision, oracle: str) -> bool:
    """KD2: a resource policy naming the role session is not limited by the session policy."""
    return (
        mine.decision.value == "Allowed"
        and oracle == "ImplicitDeny"
        and case["session_policy"] is not None
        and mine.evaluated.get("session") != "Allow"
        and mine.layers == ("resource",)
    )


def unresolved_variable_in_not_resource(case: dict[str, Any], mine: Decision, oracle: str) -> bool:
    """KD3: a NotResource holding a policy variable the request cannot resolve (the oracle substitutes a
    wildcard and judges by overlap; AWS treats the statement as invalid)."""
    context = mine.request.context
    for doc in _documents(case):
        for statement in doc["Statement"]:
            entries = statement.get("NotResource")
            if not entries:
                continue
            for entry in [entries] if isinstance(entries, str) else entries:
                if any(not isinstance(context.get(v.strip().lower()), str) for v in _VARIABLE.findall(entry)):
                    return True
    return False


def rcp_on_unsupported_service(case: dict[str, Any], mine: Decision, oracle: str) -> bool:
    """KD4: RCPs govern only the services AWS Organizations lists; the oracle applies them to every service."""
    service = case["action"].split(":", 1)[0].lower()
    return case["rcps"] is not None and oracle == "ExplicitDeny" and service not in default_rcp_services()


def root_user_full_access(case: dict[str, Any], mine: Decision, oracle: str) -> bool:
    """KD5: the account root user has full access in its own account unless something explicitly denies
    (so its own side of a cross-account request allows too, and a grant to its account names it)."""
    return (
        case["principal"].endswith(":root")
        and mine.decision.value == "Allowed"
        and oracle == "ImplicitDeny"
        and not case["identity_policies"]
    )


def organization_policy_exemptions(case: dict[str, Any], mine: Decision, oracle: str) -> bool:
    """KD6: SCPs do not affect service-linked roles or AWS service principals; RCPs do not restrict
    service-linked roles."""
    exempt = "/AWSServiceRoleFor" in case["principal"] or case["principal"].endswith(".amazonaws.com")
    if not exempt or (case["scps"] is None and case["rcps"] is None):
        return False
    again, policies, _ = build(
        dict(case, scps=None, rcps=None if "/AWSServiceRoleFor" in case["principal"] else case["rcps"])
    )
    return evaluate(again, policies).decision == mine.decision


KNOWN: dict[str, Callable[[dict[str, Any], Decision, str], bool]] = {
    "KD5 root user has full access in its account": root_user_full_access,
    "KD6 SCP/RCP exemptions for service-linked roles and service principals": organization_policy_exemptions,
    "KD1 NotPrincipal checks account, role and session": not_principal_account_check,
    "KD2 session-ARN grant not limited by session policy": session_grant_beyond_session_policy,
    "KD3 unresolvable variable in NotResource": unresolved_variable_in_not_resource,
    "KD4 RCP on a service RCPs do not cover": rcp_on_unsupported_service,
}


def test_engine_agrees_with_the_oracle(oracle_home: Path) -> None:
    cases = generate(CASES)
    decisions: list[Decision] = []
    sent: list[dict[str, Any]] = []
    for case in cases:
        request, policies, _ = build(case)
        decisions.append(evaluate(request, policies))
        # Give the oracle exactly the context the engine used (including derived principal keys).
        sent.append(dict(case, context=request.to_dict()["context"]))
    answers = run_oracle(oracle_home, sent)
    assert len(answers) == len(cases)

    errors = [(i, a["error"]) for i, a in enumerate(answers) if "error" in a]
    assert not errors, f"the oracle rejected {len(errors)} generated cases, first: {errors[:3]}"

    explained: Counter[str] = Counter()
    unexplained: list[str] = []
    for case, mine, answer in zip(cases, decisions, answers, strict=True):
        if answer["decision"] == mine.decision.value:
            continue
        reason = next((name for name, test in KNOWN.items() if test(case, mine, answer["decision"])), None)
        if reason:
            explained[reason] += 1
        else:
            unexplained.append(json.dumps({"case": case, "engine": mine.to_dict(), "oracle": answer})[:4000])
    print(f"\noracle: {len(cases)} cases, {sum(explained.values())} documented differences {dict(explained)}")
    assert not unexplained, f"{len(unexplained)} unexplained disagreements; first:\n" + "\n".join(unexplained[:3])
