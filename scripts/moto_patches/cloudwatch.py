"""CloudWatch: the Smithy RPC v2 CBOR protocol the Rust SDK speaks."""

from ._patching import patch, replace


@patch
def patch_cloudwatch_rpc_v2_cbor():
    """CloudWatch User Guide, "FAQs on CloudWatch supported protocols":
    CloudWatch serves AWS JSON 1.0 and Smithy RPC v2 CBOR besides AWS Query,
    and each SDK uses the most performant one; aws-sdk-cloudwatch 1.140 (as
    forge builds it) speaks RPC v2 CBOR (POST /service/
    GraniteServiceVersion20100801/operation/<Op>, `smithy-protocol:
    rpc-v2-cbor`, CBOR bodies). moto 5.2.5 serves CloudWatch over JSON and
    query only and answers that path with 404.

    Translates at the WSGI entry: the CBOR request becomes a JSON-protocol
    request for moto (X-Amz-Target), and moto's JSON answer (or error) is
    encoded as CBOR with botocore's serializer by the operation's output
    shape (timestamps become CBOR tag 1, doubles stay doubles)."""
    import datetime
    import io
    import json

    import botocore.session
    from botocore.parsers import RpcV2CBORParser
    from botocore.serialize import RpcV2CBORSerializer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    model = botocore.session.get_session().get_service_model("cloudwatch")
    target = model.metadata["targetPrefix"]
    prefix = f"/service/{target}/operation/"
    decoder = RpcV2CBORParser()
    encoder = RpcV2CBORSerializer()

    def decode(body):
        if not body:
            return {}
        return decoder.parse_data_item(decoder.get_peekable_stream_from_bytes(body))

    def to_json(value):
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        raise TypeError(f"not JSON serializable: {type(value)}")

    def shaped(value, shape):
        # Only what the output shape knows: moto's JSON may carry extras.
        if shape is None or value is None:
            return value
        if shape.type_name == "structure" and isinstance(value, dict):
            return {
                k: shaped(v, shape.members[k])
                for k, v in value.items()
                if k in shape.members and v is not None
            }
        if shape.type_name == "list" and isinstance(value, list):
            return [shaped(v, shape.member) for v in value]
        if shape.type_name == "map" and isinstance(value, dict):
            return {k: shaped(v, shape.value) for k, v in value.items()}
        if shape.type_name in ("double", "float") and isinstance(value, int):
            return float(value)
        return value

    def plain_map(values):
        # Error bodies: a flat map of strings, no shape needed.
        out = bytearray()
        items = {k: str(v) for k, v in values.items() if v is not None}
        out.extend(encoder._get_initial_byte(encoder.MAP_MAJOR_TYPE, len(items)))
        for k, v in items.items():
            encoder._serialize_type_string(out, k, None, None)
            encoder._serialize_type_string(out, v, None, None)
        return bytes(out)

    def call(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(prefix):
            return original(self, environ, start_response)
        operation = model.operation_model(path[len(prefix):].strip("/"))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        payload = json.dumps(decode(body), default=to_json).encode()
        environ = dict(environ)
        environ.pop("HTTP_SMITHY_PROTOCOL", None)
        environ["PATH_INFO"] = "/"
        environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        environ["HTTP_X_AMZ_TARGET"] = f"{target}.{operation.name}"
        environ["CONTENT_LENGTH"] = str(len(payload))
        environ["wsgi.input"] = io.BytesIO(payload)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda _data: None

        answer = b"".join(original(self, environ, capture))
        status = captured.get("status", "500 INTERNAL SERVER ERROR")
        parsed = json.loads(answer) if answer.strip() else {}
        if status.startswith("2"):
            out = bytearray()
            if operation.output_shape is not None:
                encoder._serialize_data_item(
                    out, shaped(parsed, operation.output_shape), operation.output_shape
                )
            else:
                out.extend(plain_map({}))
            out = bytes(out)
        else:
            out = plain_map(
                {
                    "__type": parsed.get("__type") or parsed.get("code"),
                    "message": parsed.get("message") or parsed.get("Message"),
                }
            )
        headers = [
            (k, v)
            for k, v in captured.get("headers", [])
            if k.lower() not in ("content-type", "content-length")
        ]
        headers += [
            ("Content-Type", "application/cbor"),
            ("Content-Length", str(len(out))),
            ("smithy-protocol", "rpc-v2-cbor"),
        ]
        start_response(status, headers)
        return [out]

    original = replace(DomainDispatcherApplication, "__call__", call)
