"""The AWS endpoint builds call: identifies the caller by access key, authorizes, records, forwards.

A build's SDK is pointed at ``AWS_ENDPOINT_URL=http://127.0.0.1:<port>``; inside the build's network namespace
a relay accepts on that port and forwards each connection to this gateway's Unix socket (a Unix socket is a
file, so it is reachable from another network namespace while no IP route is). The gateway:

0. serves each build its role session's credentials at ``CREDENTIALS_PATH``, the way CodeBuild's container
   credentials endpoint does (the SDK finds it through ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and presents the
   build's ``AWS_CONTAINER_AUTHORIZATION_TOKEN``), so no key is in the build's environment;
1. finds the caller from the access key in the SigV4 ``Authorization`` header (an unknown key is refused with
   AWS's invalid-token error);
2. turns the wire request back into (service, operation, parameters) with the service's botocore model: JSON
   (``X-Amz-Target``), query (``Action=``) and REST-XML (S3) protocols;
3. asks the injected authorizer, if any; a denial is answered in the protocol's error shape and recorded;
4. otherwise re-issues the call through the backend's own boto3 client for that identity, so enforcement
   hooks and recorders (evidence, CloudTrail) see it like any harness call, and returns the backend's raw
   HTTP answer to the build.

Request signatures are not verified: the gateway trusts the access key it is given. Builds only learn their own
role's keys, so this lets a build act as no one else than a leaked key would.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import socketserver
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.sax.saxutils import escape

import botocore
import botocore.exceptions
import botocore.session

from harness.backends.base import Backend, CallEvent, Identity
from harness.backends.safety import scrubbed_aws_environment

# SigV4 signing names that differ from the SDK's service names.
SIGNING_TO_SERVICE = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "states": "stepfunctions",
    "execute-api": "apigateway",
}
SUPPORTED = ("json", "query", "rest-xml")
CREDENTIALS_PATH = "/pipewarden/credentials"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


@dataclass(frozen=True, slots=True)
class Denial:
    """An authorizer's refusal: AWS's error code and message (``AccessDenied``, ``User: ... is not authorized``)."""

    code: str
    message: str
    status: int = 403


class Authorizer(Protocol):
    """Decides one call before it is forwarded; returns a Denial to refuse it, None to let it through."""

    def __call__(self, identity: Identity, service: str, operation: str, params: dict[str, Any]) -> Denial | None: ...


@dataclass(frozen=True, slots=True)
class WireRequest:
    """One HTTP request as the build sent it."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""

    def header(self, name: str) -> str:
        """A header by case-insensitive name ('' when absent)."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), "")


@dataclass(frozen=True, slots=True)
class WireResponse:
    """The HTTP answer to a build."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class ParsedCall:
    """A wire request turned back into an SDK call."""

    service: str
    protocol: str
    operation: str
    params: dict[str, Any]


class UnsupportedRequest(Exception):
    """A request the gateway cannot turn into a call (protocol or operation it does not parse)."""


@dataclass(slots=True)
class GatewayStats:
    """Counts for tests and evidence."""

    forwarded: int = 0
    denied: int = 0
    unknown_callers: int = 0
    calls: list[tuple[str, str, str, str]] = field(default_factory=list)  # (principal, service, operation, outcome)


class Gateway:
    """The per-deployment AWS endpoint for builds.

    Args:
        backend: where allowed calls go (through its boto3 clients).
        authorizer: decides calls before they are forwarded; None leaves the decision to the backend's own hooks
            (the enforcement engine installs one on every client).
        socket_dir: where the Unix socket is created (a new temporary directory when None).
    """

    def __init__(self, backend: Backend, authorizer: Authorizer | None = None, socket_dir: Path | None = None) -> None:
        self.backend = backend
        self.authorizer = authorizer
        self._tmp = None if socket_dir else tempfile.TemporaryDirectory(prefix="pw-gateway-")
        directory = socket_dir or Path(self._tmp.name if self._tmp else ".")
        self.socket_path = directory / "aws.sock"
        self._identities: dict[str, Identity] = {}
        self._tokens: dict[str, Identity] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._instrumented: set[int] = set()
        self.stats = GatewayStats()
        self._models: dict[str, Any] = {}
        self._botocore: botocore.session.Session | None = None
        self._server: socketserver.UnixStreamServer | None = None
        self._thread: threading.Thread | None = None

    # -- callers -------------------------------------------------------------------------------------------
    def register(self, identity: Identity) -> str:
        """Accept calls signed with ``identity``'s access key, and serve its credentials to whoever presents the
        returned token at ``CREDENTIALS_PATH`` (the container credentials provider's protocol).

        Returns:
            The token a build passes as ``AWS_CONTAINER_AUTHORIZATION_TOKEN``.
        """
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._identities[identity.credentials.access_key_id] = identity
            self._tokens[token] = identity
        return token

    def unregister(self, identity: Identity) -> None:
        """Stop accepting ``identity``'s access key and credential tokens (its build has ended)."""
        with self._lock:
            self._identities.pop(identity.credentials.access_key_id, None)
            for token in [t for t, i in self._tokens.items() if i == identity]:
                del self._tokens[token]

    def credentials(self, request: WireRequest) -> WireResponse:
        """The container credentials endpoint: the session of the build whose token is presented.

        The SDKs read ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (a loopback URL is allowed) and send
        ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as the Authorization header, as CodeBuild's credential endpoint expects.
        """
        with self._lock:
            identity = self._tokens.get(request.header("Authorization"))
        if identity is None:
            body = json.dumps({"code": "AccessDenied", "message": "unknown credentials token"}).encode()
            return WireResponse(403, {"Content-Type": "application/json"}, body)
        creds = identity.credentials
        expiration = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        doc = {
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "Token": creds.session_token or "",
            "Expiration": expiration,
            "RoleArn": identity.attribute("session_issuer_arn") or identity.attribute("session_issuer"),
        }
        return WireResponse(200, {"Content-Type": "application/json"}, json.dumps(doc).encode())

    # -- serving -------------------------------------------------------------------------------------------
    def start(self) -> Path:
        """Listen on the Unix socket (idempotent); return its path."""
        if self._server is not None:
            return self.socket_path
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                try:
                    body = _read_body(self)
                    request = WireRequest(self.command, self.path, dict(self.headers.items()), body)
                    try:
                        response = gateway.handle(request)
                    except Exception as exc:  # a harness bug must reach the build as AWS's 500, not a hang
                        response = error_response("json", "InternalFailure", f"pipewarden gateway: {exc}", 500)
                    self.send_response(response.status)
                    for key, value in response.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the build ended (or timed out) mid-call

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

            def address_string(self) -> str:
                return "build"

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.socket_path.unlink(missing_ok=True)
        self._server = Server(str(self.socket_path), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="pw-gateway", daemon=True)
        self._thread.start()
        return self.socket_path

    def close(self) -> None:
        """Stop listening and remove the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.socket_path.unlink(missing_ok=True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- one request ---------------------------------------------------------------------------------------
    def handle(self, request: WireRequest) -> WireResponse:
        """Answer one request: identify, parse, authorize, forward (usable without sockets, for tests)."""
        if request.method == "GET" and urlsplit(request.path).path == CREDENTIALS_PATH:
            return self.credentials(request)
        access_key, signing_name = _credential_scope(request)
        service = SIGNING_TO_SERVICE.get(signing_name, signing_name)
        with self._lock:
            identity = self._identities.get(access_key)
        protocol = self._protocol(service)
        if identity is None:
            self.stats.unknown_callers += 1
            code = {"query": "InvalidClientTokenId", "rest-xml": "InvalidAccessKeyId"}.get(
                protocol, "UnrecognizedClientException"
            )
            return error_response(protocol, code, "The security token included in the request is invalid.", 403)
        try:
            call = self.parse(request, service)
        except UnsupportedRequest as exc:
            return error_response(protocol, "NotImplemented", f"pipewarden gateway: {exc}", 501)
        if self.authorizer is not None:
            denial = self.authorizer(identity, call.service, call.operation, call.params)
            if denial is not None:
                self.stats.denied += 1
                self.stats.calls.append((identity.arn, call.service, call.operation, denial.code))
                self._record_denial(identity, call, denial)
                return error_response(call.protocol, denial.code, denial.message, denial.status)
        return self._forward(identity, call)

    def _model(self, service: str) -> Any:
        # Models from a session of our own: a client's model is rewritten in place as it is used (S3's request
        # URIs lose their {Bucket} label once endpoint rules place the bucket in the host).
        with self._lock:
            if service not in self._models:
                if self._botocore is None:
                    with scrubbed_aws_environment():
                        self._botocore = botocore.session.Session()
                self._models[service] = self._botocore.get_service_model(service)
            return self._models[service]

    def _protocol(self, service: str) -> str:
        try:
            return str(self._model(service).protocol)
        except botocore.exceptions.UnknownServiceError:
            return "json"

    def parse(self, request: WireRequest, service: str) -> ParsedCall:
        """Turn a wire request into (service, operation, params) with the service's model.

        Raises:
            UnsupportedRequest: for protocols or requests the gateway does not parse.
        """
        try:
            model = self._model(service)
        except botocore.exceptions.UnknownServiceError:
            raise UnsupportedRequest(f"unknown service {service!r}") from None
        protocol = model.protocol
        if protocol not in SUPPORTED:
            raise UnsupportedRequest(f"the {protocol} protocol of {service} is not supported")
        if protocol == "json":
            target = request.header("X-Amz-Target")
            operation = target.rpartition(".")[2]
            op_model = _operation(model, operation)
            doc = json.loads(request.body or b"{}")
            return ParsedCall(service, protocol, operation, _from_json(op_model.input_shape, doc) or {})
        if protocol == "query":
            fields = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
            fields.update(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
            operation = fields.get("Action", "")
            op_model = _operation(model, operation)
            return ParsedCall(service, protocol, operation, _from_query(op_model.input_shape, fields, "") or {})
        return _parse_rest_xml(model, service, request)

    def _record_denial(self, identity: Identity, call: ParsedCall, denial: Denial) -> None:
        # A call refused here never reaches a client, so the recorders are told directly, like a client would.
        event = CallEvent(identity, call.service, call.operation, call.params, None, denial.code, denial.message)
        for observer in list(getattr(self.backend, "_observers", [])):
            observer.after_call(event)

    def _forward(self, identity: Identity, call: ParsedCall) -> WireResponse:
        client = self.backend.client(call.service, identity)
        if id(client) not in self._instrumented:
            self._instrumented.add(id(client))
            client.meta.events.register("after-call", self._capture)
        self._local.http = None
        method = getattr(client, botocore.xform_name(call.operation))
        try:
            method(**call.params)
            outcome = "ok"
        except botocore.exceptions.ClientError as exc:
            outcome = str(exc.response.get("Error", {}).get("Code", "error"))
        except botocore.exceptions.ParamValidationError as exc:
            self.stats.calls.append((identity.arn, call.service, call.operation, "ValidationException"))
            return error_response(call.protocol, "ValidationException", str(exc), 400)
        http = self._local.http
        self.stats.forwarded += 1
        self.stats.calls.append((identity.arn, call.service, call.operation, outcome))
        if http is None:
            return error_response(call.protocol, "InternalFailure", "no response from the backend", 500)
        content = self._local.body
        headers = {k: v for k, v in dict(http.headers).items() if k.lower() not in HOP_BY_HOP}
        status = int(http.status_code)
        if status < 400 and self._local.hook_made and self._local.parsed is not None:
            # A hook (enforcement) answered the call itself, with parsed data and no wire body; serialize it.
            op_model = client.meta.service_model.operation_model(call.operation)
            return serialize_output(call.protocol, op_model, self._local.parsed)
        if status >= 400 and not content:
            # An answer made by a hook (enforcement) may carry no body; give the SDK the protocol's error shape.
            error = (self._local.parsed or {}).get("Error", {})
            return error_response(call.protocol, error.get("Code", "AccessDenied"), error.get("Message", ""), status)
        return WireResponse(status, headers, content)

    def _capture(self, http_response: Any = None, parsed: Any = None, model: Any = None, **_: Any) -> None:
        self._local.http = http_response
        self._local.parsed = parsed if isinstance(parsed, dict) else None
        self._local.body = b""
        self._local.hook_made = False
        if http_response is None:
            return
        # An answer a before-call hook made (enforcement) has no raw body at all, only parsed data.
        self._local.hook_made = getattr(http_response, "raw", None) is None and not getattr(
            http_response, "_content", None
        )
        # A streaming body (S3 GetObject) has been handed to the parsed response; read it from there.
        payload = model.output_shape.serialization.get("payload") if model is not None and model.output_shape else None
        stream = parsed.get(payload) if payload and isinstance(parsed, dict) else None
        if stream is not None and hasattr(stream, "read"):
            self._local.body = stream.read()
        elif getattr(http_response, "raw", None) is not None or getattr(http_response, "_content", None):
            self._local.body = http_response.content or b""


# -- wire helpers --------------------------------------------------------------------------------------------
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/aws4_request")


def _credential_scope(request: WireRequest) -> tuple[str, str]:
    found = _CREDENTIAL.search(request.header("Authorization"))
    if found is None:
        query = dict(parse_qsl(urlsplit(request.path).query))
        found = _CREDENTIAL.search("Credential=" + query.get("X-Amz-Credential", ""))
    if found is None:
        return "", ""
    return found.group(1), found.group(2)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        body = b"".join(chunks)
    else:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    if "aws-chunked" in handler.headers.get("Content-Encoding", ""):
        body = _decode_aws_chunked(body)
    return body


def _decode_aws_chunked(body: bytes) -> bytes:
    # aws-chunked: "<hex size>[;chunk-signature=...]\r\n<data>\r\n" ... "0\r\n" then trailers (checksums).
    out, pos = [], 0
    while pos < len(body):
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end].split(b";")[0], 16)
        if size == 0:
            break
        out.append(body[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2
    return b"".join(out)


def error_response(protocol: str, code: str, message: str, status: int = 403) -> WireResponse:
    """AWS's error answer in a protocol's shape."""
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return WireResponse(
            400 if status == 403 and code != "AccessDeniedException" else status,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code},
            body,
        )
    if protocol == "query":
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>pipewarden</RequestId></ErrorResponse>"
        )
        return WireResponse(status, {"Content-Type": "text/xml"}, xml.encode())
    xml = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    )
    return WireResponse(status, {"Content-Type": "application/xml"}, xml.encode())


def serialize_output(protocol: str, op_model: Any, parsed: Mapping[str, Any]) -> WireResponse:
    """A parsed response back on the wire (JSON and query protocols), for answers no server produced."""
    data = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    if protocol == "json":
        return WireResponse(
            200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(_to_json(data), default=str).encode()
        )
    if protocol == "query":
        name = op_model.name
        inner = _to_xml(op_model.output_shape, data) if op_model.output_shape is not None else ""
        xml = (
            f"<{name}Response><{name}Result>{inner}</{name}Result>"
            f"<ResponseMetadata><RequestId>pipewarden</RequestId></ResponseMetadata></{name}Response>"
        )
        return WireResponse(200, {"Content-Type": "text/xml"}, xml.encode())
    return error_response(protocol, "InternalFailure", f"cannot serialize a {protocol} answer", 500)


def _to_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return value


def _to_xml(shape: Any, value: Any) -> str:
    if shape.type_name == "structure":
        parts = []
        for name, member in shape.members.items():
            if name in value:
                wire = member.serialization.get("name", name)
                parts.append(f"<{wire}>{_to_xml(member, value[name])}</{wire}>")
        return "".join(parts)
    if shape.type_name == "list":
        return "".join(f"<member>{_to_xml(shape.member, v)}</member>" for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return escape(str(value))


def _operation(model: Any, name: str) -> Any:
    try:
        return model.operation_model(name)
    except botocore.exceptions.OperationNotFoundError:
        raise UnsupportedRequest(f"unknown operation {name!r} of {model.service_name}") from None


def _scalar(shape: Any, text: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("float", "double"):
        return float(text)
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "blob":
        return base64.b64decode(text)
    if kind == "timestamp":
        return _timestamp(text)
    return text


def _timestamp(value: Any) -> dt.datetime:
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _from_json(shape: Any, value: Any) -> Any:
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            if wire in value:
                out[name] = _from_json(member, value[wire])
        return out
    if kind == "list":
        return [_from_json(shape.member, v) for v in value]
    if kind == "map":
        return {k: _from_json(shape.value, v) for k, v in value.items()}
    if kind == "blob":
        return base64.b64decode(value)
    if kind == "timestamp":
        return _timestamp(value)
    return value


def _from_query(shape: Any, fields: dict[str, str], prefix: str) -> Any:
    if shape is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            key = f"{prefix}.{wire}" if prefix else wire
            value = _from_query(member, fields, key)
            if value is not None:
                out[name] = value
        return out if out or not prefix else None
    if kind == "list":
        member_name = shape.member.serialization.get("name", "member")
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.{member_name}"
        items = []
        index = 1
        while any(k == f"{base}.{index}" or k.startswith(f"{base}.{index}.") for k in fields):
            items.append(_from_query(shape.member, fields, f"{base}.{index}"))
            index += 1
        if not items and fields.get(prefix) == "":
            return []
        return items or None
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        out_map = {}
        index = 1
        while f"{base}.{index}.{key_name}" in fields:
            out_map[fields[f"{base}.{index}.{key_name}"]] = _from_query(
                shape.value, fields, f"{base}.{index}.{value_name}"
            )
            index += 1
        return out_map or None
    return _scalar(shape, fields[prefix]) if prefix in fields else None


def _route(template: str) -> tuple[re.Pattern[str], dict[str, str]]:
    path, _, query = template.partition("?")
    pattern = ""
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{"):
            label = piece[1:-1]
            greedy = label.endswith("+")
            pattern += f"(?P<{label.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
        else:
            pattern += re.escape(piece)
    literals = dict(parse_qsl(query, keep_blank_values=True))
    return re.compile(pattern + "/?$"), literals


def _parse_rest_xml(model: Any, service: str, request: WireRequest) -> ParsedCall:
    split = urlsplit(request.path)
    path = split.path
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    best: tuple[int, Any, re.Match[str]] | None = None
    for name in model.operation_names:
        op = model.operation_model(name)
        if op.http.get("method") != request.method:
            continue
        regex, literals = _route(op.http.get("requestUri", "/"))
        found = regex.match(path)
        if found is None or any(k not in query or (v and query[k] != v) for k, v in literals.items()):
            continue
        # Operations sharing a route (PutObject and CopyObject, GetObject and a part download) differ by the
        # headers and query parameters they require: one missing rules the operation out, each present counts.
        required = _required_wire_members(op)
        if any(not _present(request, query, location, wire) for location, wire in required):
            continue
        score = len(literals) * 10 + len(found.groupdict()) + len(required) * 5
        if best is None or score > best[0]:
            best = (score, op, found)
    if best is None:
        raise UnsupportedRequest(f"no {service} operation for {request.method} {path}")
    _, op, found = best
    shape = op.input_shape
    params: dict[str, Any] = {}
    labels = {k: unquote(v) for k, v in found.groupdict().items()}
    if shape is not None:
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri" and wire in labels:
                params[name] = labels[wire]
            elif location == "querystring" and wire in query:
                params[name] = _scalar(member, query[wire])
            elif location == "header" and request.header(wire):
                value = request.header(wire)
                params[name] = (
                    _timestamp_http(value) if member.type_name == "timestamp" else _scalar_header(member, value)
                )
            elif location == "headers":
                prefix = wire.lower()
                found_headers = {
                    k[len(prefix) :]: v for k, v in request.headers.items() if k.lower().startswith(prefix)
                }
                if found_headers:
                    params[name] = found_headers
        payload = shape.serialization.get("payload")
        if payload and request.body:
            member = shape.members[payload]
            if member.type_name in ("blob", "string"):
                params[payload] = request.body
            else:
                params[payload] = _from_xml(member, ET.fromstring(request.body))
    return ParsedCall(service, "rest-xml", op.name, params)


def _required_wire_members(op: Any) -> list[tuple[str, str]]:
    shape = op.input_shape
    if shape is None:
        return []
    out = []
    for name in shape.required_members:
        member = shape.members[name]
        location = member.serialization.get("location")
        if location in ("header", "querystring"):
            out.append((location, member.serialization.get("name", name)))
    return out


def _present(request: WireRequest, query: dict[str, str], location: str, wire: str) -> bool:
    return bool(request.header(wire)) if location == "header" else wire in query


def _scalar_header(shape: Any, value: str) -> Any:
    if shape.type_name == "blob":
        return base64.b64decode(value)
    return _scalar(shape, value)


def _timestamp_http(value: str) -> dt.datetime:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return _timestamp(value)


def _strip(tag: str) -> str:
    return tag.rpartition("}")[2]


def _from_xml(shape: Any, node: ET.Element) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        children = list(node)
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            matching = [c for c in children if _strip(c.tag) == wire]
            if not matching:
                continue
            if member.type_name == "list" and member.serialization.get("flattened"):
                out[name] = [_from_xml(member.member, c) for c in matching]
            else:
                out[name] = _from_xml(member, matching[0])
        return out
    if kind == "list":
        return [_from_xml(shape.member, c) for c in node]
    return _scalar(shape, node.text or "")
