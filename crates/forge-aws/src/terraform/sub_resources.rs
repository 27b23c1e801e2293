//! The Terraform sub-resources forge's plan JSON also writes for a kind
//! that folds them in (see the table's "folded in" column), so policies
//! written against provider 4+ configurations, which look for a separate
//! `aws_s3_bucket_public_access_block` connected to the bucket, find it.
//! Each is addressed `<sub type>.<owner name>[<key>]` and its owner
//! attribute references the owner in `configuration`.

use forge_core::{Attrs, Value};

/// The sub-resources `(terraform type, owner attribute, values)` of one
/// object's forge attributes, when the setting they carry is set.
pub fn of(kind: &str, attrs: &Attrs) -> Vec<(&'static str, &'static str, Attrs)> {
    let mut out = Vec::new();
    if kind != "aws.s3.bucket" {
        return out;
    }
    let bucket = attrs.get("bucket").cloned().unwrap_or(Value::Unknown);
    let with_bucket = |mut a: Attrs| {
        a.insert("bucket".into(), bucket.clone());
        a
    };
    if let Some(Value::Map(pab)) = attrs.get("public_access_block") {
        // Flags left out are on (forge's default).
        let flag = |k: &str| pab.get(k).cloned().unwrap_or(Value::Bool(true));
        let values: Attrs = [
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ]
        .into_iter()
        .map(|k| (k.to_string(), flag(k)))
        .collect();
        out.push((
            "aws_s3_bucket_public_access_block",
            "bucket",
            with_bucket(values),
        ));
    }
    if let Some(status @ Value::String(_)) = attrs.get("versioning") {
        let conf = Value::List(vec![Value::Map(
            [("status".to_string(), status.clone())]
                .into_iter()
                .collect(),
        )]);
        out.push((
            "aws_s3_bucket_versioning",
            "bucket",
            with_bucket(
                [("versioning_configuration".to_string(), conf)]
                    .into_iter()
                    .collect(),
            ),
        ));
    }
    if let Some(Value::Map(sse)) = attrs.get("server_side_encryption") {
        let get = |k: &str| sse.get(k).cloned().unwrap_or(Value::Null);
        let by_default = Value::Map(
            [
                ("sse_algorithm".to_string(), get("sse_algorithm")),
                ("kms_master_key_id".to_string(), get("kms_master_key_id")),
            ]
            .into_iter()
            .collect(),
        );
        let rule = Value::Map(
            [
                (
                    "apply_server_side_encryption_by_default".to_string(),
                    Value::List(vec![by_default]),
                ),
                ("bucket_key_enabled".to_string(), get("bucket_key_enabled")),
            ]
            .into_iter()
            .collect(),
        );
        out.push((
            "aws_s3_bucket_server_side_encryption_configuration",
            "bucket",
            with_bucket(
                [("rule".to_string(), Value::List(vec![rule]))]
                    .into_iter()
                    .collect(),
            ),
        ));
    }
    out
}
