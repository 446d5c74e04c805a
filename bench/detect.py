"""Throughput of the CloudWatch Logs filter-pattern engine over CloudTrail-like and access-log-like events."""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence

from harness.detect.patterns import LogMessage, compile_pattern

EVENT_NAMES = [
    "GetObject", "PutObject", "ListBuckets", "DescribeInstances", "AssumeRole", "GetCallerIdentity",
    "Decrypt", "GenerateDataKey", "ListUsers", "GetRole", "PutRolePolicy", "CreateAccessKey",
    "ConsoleLogin", "StartBuild", "PutPipelineDefinition", "DescribeLogGroups",
]  # fmt: skip
SOURCES = ["s3", "ec2", "sts", "kms", "iam", "codebuild", "codepipeline", "logs", "signin"]
ERROR_CODES = ["AccessDenied", "Client.UnauthorizedOperation", "ThrottlingException", "NoSuchKey"]
PATHS = ["/index.html", "/api/v1/items", "/login", "/static/app.js", "/admin", "/health"]


def cloudtrail_messages(count: int, seed: int = 7) -> list[str]:
    """Deterministic CloudTrail records, one JSON object per message, about 1 kB each; ~5% carry an error."""
    rng = random.Random(seed)
    messages = []
    for index in range(count):
        source = rng.choice(SOURCES)
        record: dict[str, object] = {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": rng.choice(["AssumedRole", "IAMUser", "AWSService"]),
                "principalId": f"AROA{rng.getrandbits(48):012X}:build-{index % 97}",
                "arn": f"arn:aws:sts::123456789012:assumed-role/pipeline-build/build-{index % 97}",
                "accountId": "123456789012",
                "sessionContext": {
                    "sessionIssuer": {"type": "Role", "userName": "pipeline-build"},
                    "attributes": {"creationDate": "2026-11-26T15:00:00Z", "mfaAuthenticated": "false"},
                },
            },
            "eventTime": f"2026-11-26T15:{index // 60 % 60:02d}:{index % 60:02d}Z",
            "eventSource": f"{source}.amazonaws.com",
            "eventName": rng.choice(EVENT_NAMES),
            "awsRegion": "us-east-1",
            "sourceIPAddress": f"198.51.100.{rng.randrange(256)}",
            "userAgent": "aws-sdk-python/1.34.0 Python/3.11 Linux botocore/1.34.0",
            "requestParameters": {"bucketName": f"artifacts-{index % 13}", "key": f"builds/{index}/out.zip"},
            "responseElements": None,
            "requestID": f"{rng.getrandbits(64):016x}",
            "eventID": f"{rng.getrandbits(128):032x}",
            "readOnly": rng.random() < 0.7,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": "123456789012",
        }
        if rng.random() < 0.05:
            record["errorCode"] = rng.choice(ERROR_CODES)
            record["errorMessage"] = "User is not authorized to perform this operation"
        messages.append(json.dumps(record))
    return messages


def access_log_messages(count: int, seed: int = 11) -> list[str]:
    """Deterministic Apache common-log lines with quoted requests and bracketed timestamps."""
    rng = random.Random(seed)
    return [
        f"10.0.{rng.randrange(256)}.{rng.randrange(256)} - user{index % 50} "
        f"[26/Nov/2026:15:{index // 60 % 60:02d}:{index % 60:02d} +0000] "
        f'"{rng.choice(["GET", "POST"])} {rng.choice(PATHS)} HTTP/1.1" '
        f"{rng.choice([200, 200, 200, 301, 404, 403, 500])} {rng.randrange(50, 5000)}"
        for index in range(count)
    ]


def rate(run: Callable[[], int], events: int, repeats: int) -> tuple[float, int]:
    best = float("inf")
    matched = 0
    for _ in range(repeats):
        started = time.perf_counter()
        matched = run()
        best = min(best, time.perf_counter() - started)
    return events / best, matched


def single(pattern_text: str, messages: Sequence[str]) -> Callable[[], int]:
    matches = compile_pattern(pattern_text).matches
    return lambda: sum(1 for message in messages if matches(message))


def shared(pattern_texts: Sequence[str], messages: Sequence[str]) -> Callable[[], int]:
    patterns = [compile_pattern(text).matches for text in pattern_texts]

    def run() -> int:
        hits = 0
        for message in messages:
            parsed = LogMessage(message)
            for matches in patterns:
                hits += matches(parsed)
        return hits

    return run


CIS_UNAUTHORIZED = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
CIS_SET = [
    CIS_UNAUTHORIZED,
    '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    "{ ($.eventName = PutRolePolicy) || ($.eventName = AttachRolePolicy) || ($.eventName = CreatePolicyVersion) }",
    "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = StopLogging) }",
]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="messages per data set")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; the best is reported")
    args = parser.parse_args(argv)
    trail = cloudtrail_messages(args.events)
    access = access_log_messages(args.events)
    single_cases = [
        ("term", '"AccessDenied"', trail),
        ("terms ?", "?AccessDenied ?UnauthorizedOperation", trail),
        ("json CIS unauthorized", CIS_UNAUTHORIZED, trail),
        ("json eventName", '{ $.eventName = "PutRolePolicy" }', trail),
        ("json every event parsed", '{ $.eventVersion = "1.08" }', trail),
        ("json numeric", "{ $.userIdentity.accountId > 0 }", trail),
        ("space-delimited", "[ip, user, username, timestamp, request, status_code = 4*, bytes > 1000]", access),
        ("space-delimited ellipsis", "[..., status_code = 5*, bytes]", access),
        ("regex", r"%HTTP/1\.1\x22 5[0-9]{2}%", access),
    ]
    cases = [(name, text, single(text, data), len(data)) for name, text, data in single_cases]
    cases.insert(6, ("json 5 CIS filters, one parse", "(5 patterns)", shared(CIS_SET, trail), len(trail)))
    print(f"{'case':34} {'events/s':>12} {'matched':>9}  pattern")
    for name, text, run, events in cases:
        per_second, matched = rate(run, events, args.repeats)
        print(f"{name:34} {per_second:12,.0f} {matched:9,d}  {text}")


if __name__ == "__main__":
    main()
