"""CloudTrail records: one documented event record (eventVersion 1.09) built from one API call."""

from __future__ import annotations

import hashlib
import json
import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore

from harness.backends.base import CallEvent, Identity
from harness.evidence.record import redact
from harness.iam.catalogue import Catalogue

EVENT_VERSION = "1.09"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# boto3 client names whose CloudTrail eventSource is not "<name>.amazonaws.com".
_EVENT_SOURCES = {
    "cloudwatch": "monitoring.amazonaws.com",
    "stepfunctions": "states.amazonaws.com",
    "elbv2": "elasticloadbalancing.amazonaws.com",
    "elb": "elasticloadbalancing.amazonaws.com",
    "s3control": "s3.amazonaws.com",
    "logs": "logs.amazonaws.com",
}

# Services whose events are "global service events": recorded in us-east-1 and delivered only to trails that
# include global service events.
GLOBAL_SERVICES = frozenset({"iam", "sts", "cloudfront", "route53", "organizations"})

# Object-level S3 operations: CloudTrail logs them as data events (resource type AWS::S3::Object), never as
# management events.
S3_OBJECT_OPERATIONS = frozenset(
    {
        "AbortMultipartUpload",
        "CompleteMultipartUpload",
        "CopyObject",
        "CreateMultipartUpload",
        "DeleteObject",
        "DeleteObjectTagging",
        "DeleteObjects",
        "GetObject",
        "GetObjectAcl",
        "GetObjectAttributes",
        "GetObjectLegalHold",
        "GetObjectRetention",
        "GetObjectTagging",
        "HeadObject",
        "PutObject",
        "PutObjectAcl",
        "PutObjectLegalHold",
        "PutObjectRetention",
        "PutObjectTagging",
        "RestoreObject",
        "SelectObjectContent",
        "UploadPart",
        "UploadPartCopy",
    }
)
# Bucket-level S3 reads that CloudTrail logs as data events on the bucket's objects.
S3_BUCKET_DATA_OPERATIONS = frozenset({"ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads"})

# CloudWatch Logs ingestion and reads are not recorded as management events.
_UNRECORDED = frozenset({("logs", "PutLogEvents"), ("logs", "GetLogEvents"), ("logs", "FilterLogEvents")})

# KMS cryptographic operations change nothing: CloudTrail marks them readOnly although IAM calls them Write.
_READ_ONLY_OPERATIONS = frozenset(
    {
        ("kms", "Decrypt"),
        ("kms", "Encrypt"),
        ("kms", "GenerateDataKey"),
        ("kms", "GenerateDataKeyWithoutPlaintext"),
        ("kms", "GenerateDataKeyPair"),
        ("kms", "ReEncrypt"),
        ("kms", "Sign"),
        ("kms", "Verify"),
        ("kms", "GenerateMac"),
        ("kms", "VerifyMac"),
        ("sts", "GetCallerIdentity"),
    }
)

_READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "BatchGet", "Search", "Select", "Check", "Scan", "Query")

# Parameters whose values CloudTrail never shows (and this harness never keeps).
_HIDDEN = ("Body", "SecretString", "SecretBinary", "Plaintext", "Password", "PrivateKey")


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What is decided about a call before its record is written: time, region, ids, category."""

    when: datetime
    region: str
    account_id: str
    request_id: str
    event_id: str

    def __post_init__(self) -> None:
        if self.when.tzinfo is None:
            raise ValueError(f"an aware UTC time for eventTime, found naive {self.when!r}; use datetime.now(UTC)")


def event_source(service: str) -> str:
    """CloudTrail's eventSource for a boto3 service name (``s3`` -> ``s3.amazonaws.com``)."""
    return _EVENT_SOURCES.get(service, f"{service}.amazonaws.com")


def is_recorded(service: str, operation: str) -> bool:
    """Tell whether CloudTrail records the call at all."""
    return (service, operation) not in _UNRECORDED


def is_data_event(service: str, operation: str) -> bool:
    """Tell whether CloudTrail records the call as a data event rather than a management event."""
    return service == "s3" and (operation in S3_OBJECT_OPERATIONS or operation in S3_BUCKET_DATA_OPERATIONS)


def is_read_only(service: str, operation: str, catalogue: Catalogue | None = None) -> bool:
    """CloudTrail's ``readOnly``: reads by name (Get, List, Describe, Head...), else the action's access level."""
    if operation.startswith(_READ_PREFIXES) or (service, operation) in _READ_ONLY_OPERATIONS:
        return True
    if catalogue is not None:
        level = catalogue.access_level(f"{service}:{operation}")
        if level is not None:
            return level in ("Read", "List")
    return False


def format_time(when: datetime) -> str:
    """``2026-11-26T16:00:00Z``: CloudTrail's eventTime format (UTC, seconds)."""
    return when.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """The inverse of :func:`format_time`."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def user_agent(identity: Identity) -> str:
    """The userAgent a call carries: the identity's own, the invoking service's, or the SDK's."""
    given = identity.attribute("user_agent")
    if given:
        return given
    if identity.kind == "AWSService":
        return invoked_by(identity)
    return (
        f"Boto3/{boto3.__version__} md/Botocore#{botocore.__version__} ua/2.0 "
        f"os/{platform.system().lower()} lang/python#{platform.python_version()}"
    )


def invoked_by(identity: Identity) -> str:
    """The service principal that made the call on the identity's behalf, or ''."""
    given = identity.attribute("invoked_by")
    if given:
        return given
    return identity.arn if identity.kind == "AWSService" else ""


def _role_of_session(arn: str) -> tuple[str, str, str]:
    # arn:aws:sts::ACCT:assumed-role/ROLE/SESSION -> (arn:aws:iam::ACCT:role/ROLE, ROLE, ACCT)
    match = re.fullmatch(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
    if not match:
        return "", "", ""
    partition, account, role = match.groups()
    return f"arn:{partition}:iam::{account}:role/{role}", role, account


def user_identity(identity: Identity) -> dict[str, Any]:
    """CloudTrail's userIdentity element for the caller.

    Root, IAMUser, AssumedRole (with sessionContext: sessionIssuer, webIdFederationData and attributes),
    AWSService and WebIdentityUser (the holder of an OIDC token calling AssumeRoleWithWebIdentity) are built as
    the CloudTrail userIdentity reference documents them.
    """
    account = identity.account_id or _account_of(identity.arn)
    access_key = identity.credentials.access_key_id
    if identity.kind == "AWSService":
        return {"type": "AWSService", "invokedBy": invoked_by(identity)}
    if identity.kind == "WebIdentityUser":
        return {
            "type": "WebIdentityUser",
            "principalId": identity.principal_id,
            "userName": identity.attribute("user_name"),
            "identityProvider": identity.arn,
        }
    out: dict[str, Any] = {"type": identity.kind}
    if identity.kind == "Root":
        out.update({"principalId": identity.principal_id or account, "arn": identity.arn, "accountId": account})
    elif identity.kind == "AssumedRole":
        issuer_arn, role_name, _ = _role_of_session(identity.arn)
        issuer_arn = identity.attribute("session_issuer_arn") or identity.attribute("session_issuer", issuer_arn)
        principal_id = identity.principal_id or f"AROA{_digits(identity.arn)}:{identity.arn.rsplit('/', 1)[-1]}"
        out.update({"principalId": principal_id, "arn": identity.arn, "accountId": account})
        out["accessKeyId"] = access_key
        out["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": identity.attribute("session_issuer_id", principal_id.split(":", 1)[0]),
                "arn": issuer_arn,
                "accountId": identity.attribute("session_issuer_account", account),
                "userName": identity.attribute("session_issuer_name", role_name or issuer_arn.rsplit("/", 1)[-1]),
            },
            "webIdFederationData": (
                {"federatedProvider": identity.attribute("federated_provider"), "attributes": {}}
                if identity.attribute("federated_provider")
                else {}
            ),
            "attributes": {
                "creationDate": identity.attribute("creation_date", ""),
                "mfaAuthenticated": identity.attribute("mfa_authenticated", "false"),
            },
        }
        source_identity = identity.attribute("source_identity")
        if source_identity:
            out["sessionContext"]["sourceIdentity"] = source_identity
        by = invoked_by(identity)
        if by:
            out["invokedBy"] = by
        return out
    else:
        out.update(
            {
                "principalId": identity.principal_id or f"AIDA{_digits(identity.arn)}",
                "arn": identity.arn,
                "accountId": account,
            }
        )
        if identity.kind == "IAMUser":
            out["userName"] = identity.arn.rsplit("/", 1)[-1]
    if access_key:
        out["accessKeyId"] = access_key
    return out


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _digits(text: str) -> str:
    # A stable, made-up unique id suffix for principals the identity did not give one for.
    return hashlib.sha256(text.encode()).hexdigest()[:17].upper()


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:] if key else key


def _clean(value: Any) -> Any:
    """CloudTrail's JSON of parameters: lowerCamelCase member names, no streams, no bytes, no secrets."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _HIDDEN or hasattr(item, "read"):
                continue
            out[_camel(str(key))] = _clean(item)
        return out
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return None
    if isinstance(value, datetime):
        return format_time(value)
    return value


def request_parameters(service: str, operation: str, params: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The call's requestParameters, secrets redacted, with S3's own naming (bucketName, key, Host)."""
    safe = redact(dict(params))
    if service == "s3":
        out = _clean({k: v for k, v in safe.items() if k not in ("Bucket", "Key")})
        if "Bucket" in safe:
            out["bucketName"] = safe["Bucket"]
            out["Host"] = f"{safe['Bucket']}.s3.{region}.amazonaws.com"
        if "Key" in safe:
            out["key"] = safe["Key"]
        return dict(out)
    return dict(_clean(safe))


_RESPONSE_LIMIT = 4096


def response_elements(response: Mapping[str, Any] | None, read_only: bool) -> dict[str, Any] | None:
    """responseElements: null for reads and failures (as CloudTrail writes them), the write's result otherwise.

    Large results are cut to ``{"omitted": true}`` as CloudTrail does for oversized fields.
    """
    if read_only or response is None:
        return None
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    cleaned = _clean(body)
    if not cleaned:
        return None
    if len(json.dumps(cleaned, default=str)) > _RESPONSE_LIMIT:
        return {"omitted": True}
    return dict(json.loads(json.dumps(cleaned, default=str)))


def s3_resources(params: Mapping[str, Any], account_id: str, partition: str = "aws") -> list[dict[str, Any]]:
    """The ``resources`` element of an S3 data event: the object (when there is one) and its bucket."""
    bucket = params.get("Bucket")
    if not bucket:
        return []
    out: list[dict[str, Any]] = []
    if params.get("Key"):
        out.append({"type": "AWS::S3::Object", "ARN": f"arn:{partition}:s3:::{bucket}/{params['Key']}"})
    out.append({"accountId": account_id, "type": "AWS::S3::Bucket", "ARN": f"arn:{partition}:s3:::{bucket}"})
    return out


def build_record(event: CallEvent, facts: CallFacts, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The CloudTrail record of one call, allowed or denied.

    Args:
        event: the call as the backend's clients saw it.
        facts: time, region, account and ids chosen by the recorder.
        catalogue: used to decide readOnly for operations whose name does not tell.

    Returns:
        A JSON-ready dict with the documented fields of an ``AwsApiCall`` record.
    """
    read_only = is_read_only(event.service, event.operation, catalogue)
    data = is_data_event(event.service, event.operation)
    region = "us-east-1" if event.service in GLOBAL_SERVICES else facts.region
    identity = user_identity(event.identity)
    attributes = identity.get("sessionContext", {}).get("attributes")
    if attributes is not None and not attributes.get("creationDate"):
        # A session whose creation the harness did not see: it cannot be younger than this call.
        attributes["creationDate"] = format_time(facts.when)
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": format_time(facts.when),
        "eventSource": event_source(event.service),
        "eventName": event.operation,
        "awsRegion": region,
        "sourceIPAddress": invoked_by(event.identity) or event.identity.source_ip,
        "userAgent": user_agent(event.identity),
    }
    if event.error_code:
        record["errorCode"] = event.error_code
        record["errorMessage"] = event.error_message
    record["requestParameters"] = request_parameters(event.service, event.operation, event.params, region) or None
    record["responseElements"] = None if event.error_code else response_elements(event.response, read_only)
    record["requestID"] = facts.request_id
    record["eventID"] = facts.event_id
    record["readOnly"] = read_only
    if data:
        record["resources"] = s3_resources(event.params, facts.account_id)
    record["eventType"] = "AwsApiCall"
    record["managementEvent"] = not data
    record["recipientAccountId"] = facts.account_id
    record["eventCategory"] = "Data" if data else "Management"
    record["tlsDetails"] = {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": _host(event.service, region, event.params),
    }
    return record


def _host(service: str, region: str, params: Mapping[str, Any]) -> str:
    if service == "s3" and params.get("Bucket"):
        return f"{params['Bucket']}.s3.{region}.amazonaws.com"
    if service in GLOBAL_SERVICES and service != "sts":
        return f"{service}.amazonaws.com"
    return f"{event_source(service).split('.', 1)[0]}.{region}.amazonaws.com"
