"""S3: bucket documents moto misreports, CreateBucket tags, atomic
conditional writes."""

import threading

from ._patching import patch, replace


@patch
def patch_s3_get_bucket_replication_rules():
    """S3 API Reference, GetBucketReplication: returns the replication
    configuration as put (PutBucketReplication), each rule with its `Filter`
    (or V1 `Prefix`), `DeleteMarkerReplication` and
    `SourceSelectionCriteria`. moto 5.2.5 answers every rule with
    `Filter: {Prefix: ""}` and `DeleteMarkerReplication: Disabled` and drops
    `SourceSelectionCriteria`. Answer with the rules as stored."""
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError
    from moto.s3.responses import S3Response

    def rule_as_put(rule):
        out = {
            "ID": rule["ID"],
            "Priority": rule.get("Priority"),
            "Status": rule["Status"],
            "Destination": rule["Destination"],
        }
        if "Filter" in rule:
            out["Filter"] = dict(rule["Filter"] or {})
            if "Prefix" in out["Filter"]:
                out["Filter"]["Prefix"] = out["Filter"]["Prefix"] or ""
        elif "Prefix" in rule:
            out["Prefix"] = rule["Prefix"] or ""
        for key in ("SourceSelectionCriteria", "DeleteMarkerReplication"):
            if rule.get(key):
                out[key] = rule[key]
        return {k: v for k, v in out.items() if v is not None}

    def get_bucket_replication(self):
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        rules = [rule_as_put(r) for r in replication["Rule"]]
        return self.serialized(
            ActionResult(
                {"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}}
            )
        )

    replace(S3Response, "get_bucket_replication", get_bucket_replication)


@patch
def patch_s3_get_bucket_versioning_root():
    """S3 API Reference, GetBucketVersioning: the response body's root
    element is `VersioningConfiguration`. moto 5.2.5 answers with
    `GetBucketVersioningResponse`, which the Rust SDK's parser rejects.
    Answer with S3's document."""
    from moto.s3.responses import S3Response

    def get_bucket_versioning(self):
        status = self.backend.get_bucket_versioning(self.bucket_name)
        inner = f"<Status>{status}</Status>" if status else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"{inner}</VersioningConfiguration>"
        )
        return 200, {"Content-Type": "application/xml"}, body

    replace(S3Response, "get_bucket_versioning", get_bucket_versioning)


@patch
def patch_s3_create_bucket_tags():
    """S3 API Reference, CreateBucket: `CreateBucketConfiguration.Tags`
    tags a general purpose bucket in the call itself (so a bucket is never
    untagged, even if the client dies right after). moto 5.2.5 ignores them.
    Apply them to a bucket the call created (not to one that existed)."""
    import xmltodict
    from moto.s3.responses import S3Response

    def bucket_response_put(self, request, bucket_name, querystring):
        existed = bucket_name in self.backend.buckets
        result = original(self, request, bucket_name, querystring)
        if querystring or existed or bucket_name not in self.backend.buckets:
            return result
        try:
            config = xmltodict.parse(self.body).get("CreateBucketConfiguration") or {}
        except Exception:
            return result
        tags = (config.get("Tags") or {}).get("Tag") or []
        if isinstance(tags, dict):
            tags = [tags]
        if tags:
            self.backend.put_bucket_tagging(
                bucket_name, {t["Key"]: t.get("Value") or "" for t in tags}
            )
        return result

    original = replace(S3Response, "_bucket_response_put", bucket_response_put)


@patch
def patch_s3_conditional_writes_atomic():
    """S3 User Guide, "Conditional writes" (PutObject / CompleteMultipartUpload
    with `If-None-Match: *`, `If-Match: <etag>`; DeleteObject with
    `If-Match`): of concurrent conditional writers exactly one succeeds, the
    others get 412 PreconditionFailed. moto checks then writes without a
    lock, so two concurrent writers can both pass the check. One
    process-wide lock around every object write/delete makes check-then-write
    atomic (all S3 object mutations go through these handlers)."""
    from moto.s3.responses import S3Response

    lock = threading.RLock()

    def locked(original):
        def wrapper(self, *args, **kwargs):
            with lock:
                return original(self, *args, **kwargs)

        wrapper.__name__ = original.__name__
        wrapper.__doc__ = original.__doc__
        return wrapper

    # put_object: If-None-Match / If-Match; copy_object writes a key too;
    # delete_object: If-Match; _key_response_post: CompleteMultipartUpload
    # with If-None-Match.
    for name in ("put_object", "copy_object", "delete_object", "_key_response_post"):
        replace(S3Response, name, locked(getattr(S3Response, name)))
