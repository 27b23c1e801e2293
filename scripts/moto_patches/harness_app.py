"""The harness's layer in front of moto's WSGI app: request counters (what
forge asked, what was refused, what was throttled), AWS's API rate limits as
token buckets, and the sweep that lets time-scaled phases end.

    GET  /forge-harness/counters        -> JSON (below)
    POST /forge-harness/counters/reset  -> zeroes them
    POST /forge-harness/maintenance     -> runs every maintenance window
                                           now: {"applied": N} objects whose
                                           pending modifications were
                                           applied (deferred.py)
    GET  /forge-harness/durations       -> {"scale": S, "durations":
                                           durations.DURATIONS}
    POST /forge-harness/rate-limits     <- {"ec2": [["Create*", "per-action",
                                           BURST, RATE], ...], ...}: these
                                           services' rows replace
                                           durations.RATE_LIMITS's, with
                                           fresh buckets, and turn rate
                                           limits on (a throttling storm
                                           at tighter limits than AWS's);
                                           answers the limits now in force

The counters: `requests` and `throttled` map "service:Action" to a count;
`errors` maps an error code to {"service:Action": count}; `refused` lists
the calls answered with a code of REFUSAL_CODES (AWS refusing a call
because something it needs is still in a transitional state or in use):
[{"call": "rds:CreateDBInstance", "code": "InvalidDBClusterStateFault"}].

Rate limits (on with `--rate-limits on`, or with a time scale): each
request of a service in durations.RATE_LIMITS takes a token from its
action's bucket; an empty bucket answers the protocol's real throttling
error: EC2 `RequestLimitExceeded` (HTTP 503), query protocols (ELBv2, RDS,
ElastiCache) `Throttling` (HTTP 400), JSON protocols (ECS)
`ThrottlingException` (HTTP 400). Requests of other services are counted
but never throttled.
"""

import fnmatch
import io
import json
import re
import threading
import time
import uuid
from urllib.parse import parse_qs

from .durations import DURATIONS, RATE_LIMITS

REFUSAL_CODES = frozenset(
    {
        "CacheSubnetGroupInUse",
        "DependencyViolation",
        "IncorrectState",
        "InvalidCacheClusterState",
        "InvalidDBClusterStateFault",
        "InvalidDBInstanceState",
        "InvalidDBSubnetGroupStateFault",
        "InvalidGlobalClusterStateFault",
        "InvalidIPAddress.InUse",
        "InvalidReplicationGroupState",
        "ResourceInUse",
        "ResourceInUseException",
    }
)

# The wire protocol of each rate-limited service (how it says "throttled").
_PROTOCOL = {"ec2": "ec2", "ecs": "json"}
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/")
_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_JSON_TYPE = re.compile(rb'"__type"\s*:\s*"([^"]+)"')


class Bucket:
    """A token bucket: `burst` tokens, refilled at `rate` per second."""

    def __init__(self, burst, rate):
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class HarnessApp:
    """Wraps moto's WSGI `app`; `sweep` (or None) runs before each request;
    `scale` is the time scale, reported with the durations."""

    def __init__(self, app, rate_limits=False, sweep=None, scale=0.0):
        self.app = app
        self.scale = scale
        self.rate_limits = rate_limits
        self.sweep = sweep
        self.lock = threading.Lock()
        self.buckets = {}
        self.limits = dict(RATE_LIMITS)
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = {}
            self.throttled = {}
            self.errors = {}
            self.refused = []

    def snapshot(self):
        with self.lock:
            return {
                "requests": dict(self.requests),
                "throttled": dict(self.throttled),
                "errors": {code: dict(calls) for code, calls in self.errors.items()},
                "refused": list(self.refused),
                "rate_limits": self.rate_limits,
            }

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/forge-harness/"):
            return self.harness(environ, start_response, path)
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        if self.sweep is not None:
            self.sweep()
        service, region = _scope(environ)
        action = _action(environ)
        call = f"{service}:{action}"
        with self.lock:
            self.requests[call] = self.requests.get(call, 0) + 1
            throttled = self.rate_limits and not self._take(service, region, action)
            if throttled:
                self.throttled[call] = self.throttled.get(call, 0) + 1
        if throttled:
            return _throttle(service, start_response)
        answer = {}

        def capture(status, headers, exc_info=None):
            answer["status"] = int(status.split()[0])
            answer["headers"] = headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        if answer.get("status", 200) < 400:
            return body
        chunks = list(body)
        if hasattr(body, "close"):
            body.close()
        code = _error_code(b"".join(chunks), answer.get("headers", []))
        if code:
            with self.lock:
                calls = self.errors.setdefault(code, {})
                calls[call] = calls.get(call, 0) + 1
                if code in REFUSAL_CODES and len(self.refused) < 500:
                    self.refused.append({"call": call, "code": code})
        return chunks

    def _take(self, service, region, action):
        for pattern, scope, burst, rate in self.limits.get(service, ()):
            if fnmatch.fnmatchcase(action, pattern):
                key = (service, region, action if scope == "per-action" else scope)
                if key not in self.buckets:
                    self.buckets[key] = Bucket(burst, rate)
                return self.buckets[key].take()
        return True

    def harness(self, environ, start_response, path):
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/forge-harness/counters" and method == "GET":
            body = json.dumps(self.snapshot(), indent=1, sort_keys=True).encode()
        elif path == "/forge-harness/durations" and method == "GET":
            body = json.dumps({"scale": self.scale, "durations": DURATIONS}).encode()
        elif path == "/forge-harness/counters/reset" and method == "POST":
            self.reset()
            body = b"{}"
        elif path == "/forge-harness/rate-limits" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            rows = json.loads(environ["wsgi.input"].read(size) or b"{}")
            with self.lock:
                for service, limits in rows.items():
                    self.limits[service] = [tuple(row) for row in limits]
                    for key in [k for k in self.buckets if k[0] == service]:
                        del self.buckets[key]
                self.rate_limits = True
                body = json.dumps(self.limits).encode()
        elif path == "/forge-harness/maintenance" and method == "POST":
            from .deferred import run_maintenance_window

            body = json.dumps({"applied": run_maintenance_window()}).encode()
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"unknown harness endpoint\n"]
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]


def _scope(environ):
    """(service, region) of the request's SigV4 credential scope."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (found.group(2), found.group(1)) if found else ("unsigned", "")


def _action(environ):
    """The operation: X-Amz-Target (JSON), `Action` (query, in the form body
    or the query string), the last path segment (RPC v2 CBOR), else the
    HTTP method and the path's first segment (REST)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        form = parse_qs(raw.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    path = environ.get("PATH_INFO", "")
    if "/operation/" in path:
        return path.rsplit("/", 1)[-1]
    first = path.strip("/").split("/", 1)[0]
    return f"{environ.get('REQUEST_METHOD', 'GET')} /{first}"


def _error_code(body, headers):
    for name, value in headers:
        if name.lower() == "x-amzn-errortype":
            return value.split(":", 1)[0].rsplit("#", 1)[-1]
    found = _XML_CODE.search(body) or _JSON_TYPE.search(body)
    if not found:
        return None
    return found.group(1).decode("utf-8", "replace").rsplit("#", 1)[-1]


def _throttle(service, start_response):
    request_id = str(uuid.uuid4())
    protocol = _PROTOCOL.get(service, "query")
    if protocol == "ec2":
        status = "503 Service Unavailable"
        ctype = "text/xml"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            "<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif protocol == "json":
        status = "400 Bad Request"
        ctype = "application/x-amz-json-1.1"
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
    else:
        status = "400 Bad Request"
        ctype = "text/xml"
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
            f"<Message>Rate exceeded</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>"
        )
    data = body.encode()
    start_response(
        status,
        [
            ("Content-Type", ctype),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", request_id),
        ],
    )
    return [data]
