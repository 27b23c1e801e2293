//! The bucket configuration blocks of `aws.s3.bucket` as forge values, and
//! their translation to and from the S3 SDK's types.
//!
//! Each block has one canonical value shape that both the spec and the
//! observed bucket are brought to (nulls and empty lists dropped, rules
//! sorted by id, transitions by days, AWS's defaults filled), so a fresh
//! apply re-plans as no change.
//!
//! Replication rules are always written in S3's current (V2) rule form, with
//! a `Filter` (empty prefix: every object), a `Priority` (0 unless given) and
//! `DeleteMarkerReplication` (Disabled unless given), because S3 requires
//! all three once any V2 feature (priorities, delete markers, KMS) is used;
//! the canonical form fills the same defaults so what S3 echoes back never
//! shows as a change.

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, DeleteMarkerReplication, DeleteMarkerReplicationStatus,
    Destination, EncryptionConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, NoncurrentVersionExpiration, PublicAccessBlockConfiguration,
    ReplicationConfiguration, ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, SourceSelectionCriteria, SseKmsEncryptedObjects,
    SseKmsEncryptedObjectsStatus, StorageClass, Transition, TransitionStorageClass,
};
use forge_core::fields::{FieldError, FieldValue};
use forge_core::{Attrs, FieldSchema, FieldType, Value};
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// Declares a configuration block as a typed field: its object (or list)
/// schema, and its canonical value, which the block's functions below read
/// and write.
macro_rules! block {
    ($(#[$doc:meta])* $name:ident, $schema:expr, $shape:literal, $fits:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub Value);

        impl FieldValue for $name {
            fn field_type() -> FieldType {
                $schema
            }
            fn from_value(value: &Value) -> Result<Self, FieldError> {
                let fits: fn(&Value) -> bool = $fits;
                if fits(value) {
                    Ok($name(value.clone()))
                } else {
                    Err(FieldError::mismatch($shape, value))
                }
            }
            fn to_value(&self) -> Value {
                self.0.clone()
            }
        }
    };
}

block!(
    /// `server_side_encryption`.
    Encryption,
    encryption_type(),
    "object",
    |v| v.as_map().is_some()
);
block!(
    /// `public_access_block`.
    PublicAccessBlock,
    public_access_block_type(),
    "object",
    |v| v.as_map().is_some()
);
block!(
    /// `lifecycle_rules`.
    LifecycleRules,
    FieldType::list(lifecycle_rule_type()),
    "list",
    |v| v.as_list().is_some()
);
block!(
    /// `replication_configuration`.
    Replication,
    replication_type(),
    "object",
    |v| v.as_map().is_some()
);

/// The four flags of a public access block, in API order.
pub const PUBLIC_ACCESS_FLAGS: [&str; 4] = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
];

/// An optional field of a block, described.
fn opt(ty: FieldType, what: &'static str) -> FieldSchema {
    FieldSchema::optional(ty).describe(what)
}

/// A required field of a block, described.
fn req(ty: FieldType, what: &'static str) -> FieldSchema {
    FieldSchema::required(ty).describe(what)
}

/// The `status` field every rule has.
fn rule_status() -> FieldSchema {
    opt(FieldType::String, "Enabled or Disabled.").default("Enabled")
}

/// The `prefix` filter of a rule.
fn prefix() -> FieldSchema {
    opt(
        FieldType::String,
        "Only objects whose key starts with this.",
    )
}

/// The schema of `server_side_encryption`.
pub fn encryption_type() -> FieldType {
    let alg = opt(FieldType::String, "AES256 (SSE-S3) or aws:kms (SSE-KMS).");
    let bucket_key = "Use an S3 Bucket Key to cut KMS requests (aws:kms only).";
    FieldType::object([
        ("sse_algorithm", alg.default("AES256")),
        (
            "kms_master_key_id",
            opt(FieldType::String, "The KMS key (id or ARN) for aws:kms."),
        ),
        (
            "bucket_key_enabled",
            opt(FieldType::Bool, bucket_key).default(false),
        ),
    ])
}

/// The schema of `public_access_block` (AWS's default for new buckets is
/// all four on, which is also forge's default for a flag left out).
pub fn public_access_block_type() -> FieldType {
    FieldType::Object(
        PUBLIC_ACCESS_FLAGS
            .iter()
            .map(|f| {
                (
                    f.to_string(),
                    FieldSchema::optional(FieldType::Bool).default(true),
                )
            })
            .collect(),
    )
}

/// The schema of one lifecycle rule.
pub fn lifecycle_rule_type() -> FieldType {
    let n = FieldType::Number;
    let transition = FieldType::object([
        ("days", FieldSchema::required(FieldType::Number)),
        ("storage_class", FieldSchema::required(FieldType::String)),
    ]);
    let transitions = "Move objects to another storage class after N days.";
    let noncurrent = "Delete noncurrent versions N days after they became noncurrent.";
    let abort = "Abort multipart uploads left incomplete for N days.";
    FieldType::object([
        ("id", req(FieldType::String, "The rule's unique id.")),
        ("status", rule_status()),
        ("prefix", prefix()),
        (
            "expiration_days",
            opt(n.clone(), "Expire current versions after N days."),
        ),
        (
            "noncurrent_version_expiration_days",
            opt(n.clone(), noncurrent),
        ),
        ("transitions", opt(FieldType::list(transition), transitions)),
        ("abort_incomplete_multipart_upload_days", opt(n, abort)),
    ])
}

fn map(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn int(v: Option<i32>) -> Value {
    v.map(|i| Value::int(i64::from(i))).unwrap_or(Value::Null)
}

/// Canonical `server_side_encryption`: `kms_master_key_id` only for
/// aws:kms, `bucket_key_enabled` always present.
pub fn normalize_encryption(v: &Value) -> Value {
    let Some(m) = v.as_map() else {
        return v.clone();
    };
    if !v.is_known() {
        return v.clone();
    }
    let alg = m
        .get("sse_algorithm")
        .and_then(Value::as_str)
        .unwrap_or("AES256")
        .to_string();
    let key = if alg == "AES256" {
        Value::Null
    } else {
        m.get("kms_master_key_id").cloned().unwrap_or_default()
    };
    let bucket_key = m
        .get("bucket_key_enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    map([
        ("sse_algorithm", Value::from(alg)),
        ("kms_master_key_id", key),
        ("bucket_key_enabled", Value::Bool(bucket_key)),
    ])
}

/// The observed `server_side_encryption` (first rule; S3 allows one).
pub fn observed_encryption(conf: &ServerSideEncryptionConfiguration) -> Value {
    let Some(rule) = conf.rules().first() else {
        return Value::Null;
    };
    let by_default = rule.apply_server_side_encryption_by_default();
    normalize_encryption(&map([
        (
            "sse_algorithm",
            by_default
                .map(|d| Value::from(d.sse_algorithm().as_str()))
                .unwrap_or_default(),
        ),
        (
            "kms_master_key_id",
            by_default
                .and_then(|d| d.kms_master_key_id())
                .map(Value::from)
                .unwrap_or_default(),
        ),
        (
            "bucket_key_enabled",
            rule.bucket_key_enabled()
                .map(Value::Bool)
                .unwrap_or_default(),
        ),
    ]))
}

/// The SDK form of `server_side_encryption`.
pub fn encryption_config(v: &Value) -> Result<ServerSideEncryptionConfiguration, ProviderError> {
    let v = normalize_encryption(v);
    let alg = v
        .get("sse_algorithm")
        .and_then(Value::as_str)
        .unwrap_or("AES256");
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::from(alg))
        .set_kms_master_key_id(
            v.get("kms_master_key_id")
                .and_then(Value::as_str)
                .map(str::to_string),
        )
        .build()
        .map_err(|e| ProviderError::Invalid(format!("server_side_encryption: {e}")))?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(by_default)
        .bucket_key_enabled(
            v.get("bucket_key_enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        )
        .build();
    ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| ProviderError::Invalid(format!("server_side_encryption: {e}")))
}

/// The observed `public_access_block`.
pub fn observed_public_access_block(c: &PublicAccessBlockConfiguration) -> Value {
    let flags = [
        c.block_public_acls(),
        c.ignore_public_acls(),
        c.block_public_policy(),
        c.restrict_public_buckets(),
    ];
    Value::Map(
        PUBLIC_ACCESS_FLAGS
            .iter()
            .zip(flags)
            .map(|(k, f)| (k.to_string(), Value::Bool(f.unwrap_or(false))))
            .collect(),
    )
}

/// The SDK form of `public_access_block` (a flag left out is on).
pub fn public_access_block_config(v: &Value) -> PublicAccessBlockConfiguration {
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(true);
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(flag("block_public_acls"))
        .ignore_public_acls(flag("ignore_public_acls"))
        .block_public_policy(flag("block_public_policy"))
        .restrict_public_buckets(flag("restrict_public_buckets"))
        .build()
}

/// Canonical lifecycle rules: nulls, empty prefixes and empty lists
/// dropped, `status` defaulted, transitions sorted by days, rules by id
/// (S3 evaluates all rules; their order carries no meaning).
pub fn normalize_rules(v: &Value) -> Value {
    let Some(items) = v.as_list() else {
        return v.clone();
    };
    if !v.is_known() {
        return v.clone();
    }
    let mut rules: Vec<Value> = items.iter().map(normalize_rule).collect();
    rules.sort_by(|a, b| rule_id(a).cmp(rule_id(b)));
    Value::List(rules)
}

fn rule_id(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or_default()
}

fn normalize_rule(v: &Value) -> Value {
    let Some(m) = v.as_map() else {
        return v.clone();
    };
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (k, val) in m {
        let keep = match val {
            Value::Null => false,
            Value::String(s) if k == "prefix" => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            _ => true,
        };
        if keep {
            out.insert(k.clone(), val.clone());
        }
    }
    out.entry("status".into())
        .or_insert_with(|| Value::from("Enabled"));
    if let Some(Value::List(ts)) = out.get_mut("transitions") {
        ts.sort_by_key(|t| t.get("days").and_then(Value::as_i64).unwrap_or_default());
    }
    Value::Map(out)
}

/// The observed lifecycle rules.
pub fn observed_rules(rules: &[LifecycleRule]) -> Value {
    let items = rules
        .iter()
        .map(|r| {
            // Rules written by older tools carry the deprecated top-level
            // Prefix instead of a filter; both mean the same.
            #[allow(deprecated)]
            let prefix = r
                .filter()
                .and_then(LifecycleRuleFilter::prefix)
                .or(r.prefix());
            let transitions: Vec<Value> = r
                .transitions()
                .iter()
                .map(|t| {
                    map([
                        ("days", int(t.days())),
                        (
                            "storage_class",
                            t.storage_class()
                                .map(|s| Value::from(s.as_str()))
                                .unwrap_or_default(),
                        ),
                    ])
                })
                .collect();
            map([
                ("id", r.id().map(Value::from).unwrap_or_default()),
                ("status", Value::from(r.status().as_str())),
                ("prefix", prefix.map(Value::from).unwrap_or_default()),
                (
                    "expiration_days",
                    int(r.expiration().and_then(LifecycleExpiration::days)),
                ),
                (
                    "noncurrent_version_expiration_days",
                    int(r
                        .noncurrent_version_expiration()
                        .and_then(NoncurrentVersionExpiration::noncurrent_days)),
                ),
                ("transitions", Value::List(transitions)),
                (
                    "abort_incomplete_multipart_upload_days",
                    int(r
                        .abort_incomplete_multipart_upload()
                        .and_then(AbortIncompleteMultipartUpload::days_after_initiation)),
                ),
            ])
        })
        .collect();
    normalize_rules(&Value::List(items))
}

fn days(m: &Attrs, key: &str) -> Option<i32> {
    m.get(key)
        .and_then(Value::as_i64)
        .and_then(|d| i32::try_from(d).ok())
}

/// The SDK form of the lifecycle rules.
pub fn lifecycle_rules(v: &Value) -> Result<Vec<LifecycleRule>, ProviderError> {
    let invalid =
        |e: &dyn std::fmt::Display| ProviderError::Invalid(format!("lifecycle_rules: {e}"));
    let mut out = Vec::new();
    for rule in normalize_rules(v).as_list().unwrap_or_default() {
        let Some(m) = rule.as_map() else {
            return Err(invalid(&"every rule must be an object"));
        };
        let prefix = m.get("prefix").and_then(Value::as_str).unwrap_or_default();
        let mut b = LifecycleRule::builder()
            .set_id(m.get("id").and_then(Value::as_str).map(str::to_string))
            .status(ExpirationStatus::from(
                m.get("status").and_then(Value::as_str).unwrap_or("Enabled"),
            ))
            .filter(LifecycleRuleFilter::builder().prefix(prefix).build());
        if let Some(d) = days(m, "expiration_days") {
            b = b.expiration(LifecycleExpiration::builder().days(d).build());
        }
        if let Some(d) = days(m, "noncurrent_version_expiration_days") {
            b = b.noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(d)
                    .build(),
            );
        }
        if let Some(d) = days(m, "abort_incomplete_multipart_upload_days") {
            b = b.abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(d)
                    .build(),
            );
        }
        for t in m
            .get("transitions")
            .and_then(Value::as_list)
            .unwrap_or_default()
        {
            let Some(tm) = t.as_map() else {
                return Err(invalid(&"every transition must be an object"));
            };
            b = b.transitions(
                Transition::builder()
                    .set_days(days(tm, "days"))
                    .set_storage_class(
                        tm.get("storage_class")
                            .and_then(Value::as_str)
                            .map(TransitionStorageClass::from),
                    )
                    .build(),
            );
        }
        out.push(b.build().map_err(|e| invalid(&e))?);
    }
    Ok(out)
}

/// The schema of `replication_configuration` (S3's ReplicationConfiguration
/// in snake_case; what cross-region replication of a versioned bucket,
/// KMS-encrypted objects included, needs).
pub fn replication_type() -> FieldType {
    let s = || FieldType::String;
    let status = |what| FieldType::object([("status", opt(s(), what).default("Disabled"))]);
    let replica_key =
        "KMS key (ARN) of the destination region encrypting replicas of SSE-KMS objects.";
    let destination = FieldType::object([
        (
            "bucket",
            req(s(), "ARN of the destination bucket (versioning enabled)."),
        ),
        (
            "storage_class",
            opt(
                s(),
                "Storage class of the replicas; unset: the source object's.",
            ),
        ),
        (
            "encryption_configuration",
            FieldSchema::optional(FieldType::object([(
                "replica_kms_key_id",
                opt(s(), replica_key),
            )])),
        ),
    ]);
    let sse_kms = status("Enabled: replicate SSE-KMS objects too (needs replica_kms_key_id).");
    let priority = "Which rule wins when several match an object (higher wins).";
    let rule = FieldType::object([
        ("id", req(s(), "The rule's unique id.")),
        ("priority", opt(FieldType::Number, priority).default(0)),
        ("status", rule_status()),
        (
            "filter",
            opt(
                FieldType::object([("prefix", prefix())]),
                "Which objects the rule replicates; unset: all.",
            ),
        ),
        ("destination", req(destination, "Where replicas go.")),
        (
            "source_selection_criteria",
            FieldSchema::optional(FieldType::object([(
                "sse_kms_encrypted_objects",
                FieldSchema::optional(sse_kms),
            )])),
        ),
        (
            "delete_marker_replication",
            opt(
                status("Enabled: replicate delete markers."),
                "Whether delete markers are replicated.",
            ),
        ),
    ]);
    FieldType::object([
        (
            "role",
            req(s(), "ARN of the IAM role S3 assumes to replicate."),
        ),
        (
            "rules",
            req(FieldType::list(rule), "The replication rules."),
        ),
    ])
}

/// Where a rule keeps its replica KMS key and its SSE-KMS status.
const REPLICA_KMS: &[&str] = &[
    "destination",
    "encryption_configuration",
    "replica_kms_key_id",
];
const SSE_KMS_STATUS: &[&str] = &[
    "source_selection_criteria",
    "sse_kms_encrypted_objects",
    "status",
];

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

fn status_of(v: &Value, path: &[&str], default: &'static str) -> Value {
    Value::from(text(v, path).unwrap_or(default))
}

fn normalize_replication_rule(r: &Value) -> Value {
    if r.as_map().is_none() || !r.is_known() {
        return r.clone();
    }
    let kms = text(r, REPLICA_KMS);
    let sse_kms = status_of(r, SSE_KMS_STATUS, "Disabled");
    let status_map = |s: Value| map([("status", s)]);
    map([
        ("id", r.get("id").cloned().unwrap_or_default()),
        (
            "priority",
            Value::int(r.get("priority").and_then(Value::as_i64).unwrap_or(0)),
        ),
        ("status", status_of(r, &["status"], "Enabled")),
        (
            "filter",
            text(r, &["filter", "prefix"])
                .map(|p| map([("prefix", Value::from(p))]))
                .unwrap_or_default(),
        ),
        (
            "destination",
            map([
                (
                    "bucket",
                    r.get("destination")
                        .and_then(|d| d.get("bucket"))
                        .cloned()
                        .unwrap_or_default(),
                ),
                (
                    "storage_class",
                    str_value(text(r, &["destination", "storage_class"])),
                ),
                (
                    "encryption_configuration",
                    kms.map(|k| map([("replica_kms_key_id", Value::from(k))]))
                        .unwrap_or_default(),
                ),
            ]),
        ),
        (
            "source_selection_criteria",
            if sse_kms.as_str() == Some("Disabled") {
                Value::Null
            } else {
                map([("sse_kms_encrypted_objects", status_map(sse_kms))])
            },
        ),
        (
            "delete_marker_replication",
            status_map(status_of(
                r,
                &["delete_marker_replication", "status"],
                "Disabled",
            )),
        ),
    ])
}

fn str_value(s: Option<&str>) -> Value {
    s.map(Value::from).unwrap_or_default()
}

/// Canonical `replication_configuration`: every rule in full V2 form with
/// S3's defaults (priority 0, Enabled, delete markers not replicated, no
/// filter for "everything"), rules sorted by id (their precedence is the
/// priority, not their order).
pub fn normalize_replication(v: &Value) -> Value {
    if v.as_map().is_none() || !v.is_known() {
        return v.clone();
    }
    let mut rules: Vec<Value> = v
        .get("rules")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .map(normalize_replication_rule)
        .collect();
    rules.sort_by(|a, b| rule_id(a).cmp(rule_id(b)));
    map([
        ("role", v.get("role").cloned().unwrap_or_default()),
        ("rules", Value::List(rules)),
    ])
}

/// A map from `(path, leaf)` pairs, the maps on each path made as needed
/// and null leaves left out.
fn tree<'a>(leaves: impl IntoIterator<Item = (&'a [&'a str], Value)>) -> Value {
    fn put(m: &mut BTreeMap<String, Value>, path: &[&str], leaf: Value) {
        match path {
            [k] if !leaf.is_null() => {
                m.insert(k.to_string(), leaf);
            }
            [k, rest @ ..] if !rest.is_empty() => {
                let inner = m
                    .entry(k.to_string())
                    .or_insert_with(|| Value::Map(BTreeMap::new()));
                if let Value::Map(inner) = inner {
                    put(inner, rest, leaf);
                }
            }
            _ => {}
        }
    }
    let mut m = BTreeMap::new();
    for (path, leaf) in leaves {
        put(&mut m, path, leaf);
    }
    Value::Map(m)
}

/// The observed `replication_configuration`.
pub fn observed_replication(c: &ReplicationConfiguration) -> Value {
    let rules = c
        .rules()
        .iter()
        .map(|r| {
            // Rules of the older (V1) form carry a top-level Prefix instead
            // of a filter; both mean the same.
            #[allow(deprecated)]
            let prefix = r
                .filter()
                .and_then(ReplicationRuleFilter::prefix)
                .or(r.prefix());
            let dest = r.destination();
            let class = dest
                .and_then(|d| d.storage_class())
                .map(StorageClass::as_str);
            let kms = dest
                .and_then(|d| d.encryption_configuration())
                .and_then(EncryptionConfiguration::replica_kms_key_id);
            let sse_kms = r
                .source_selection_criteria()
                .and_then(SourceSelectionCriteria::sse_kms_encrypted_objects)
                .map(|s| s.status().as_str());
            let markers = r
                .delete_marker_replication()
                .and_then(DeleteMarkerReplication::status)
                .map(DeleteMarkerReplicationStatus::as_str);
            tree([
                (&["id"][..], str_value(r.id())),
                (&["priority"], int(r.priority())),
                (&["status"], Value::from(r.status().as_str())),
                (&["filter", "prefix"], str_value(prefix)),
                (
                    &["destination", "bucket"],
                    str_value(dest.map(Destination::bucket)),
                ),
                (&["destination", "storage_class"], str_value(class)),
                (REPLICA_KMS, str_value(kms)),
                (SSE_KMS_STATUS, str_value(sse_kms)),
                (&["delete_marker_replication", "status"], str_value(markers)),
            ])
        })
        .collect();
    normalize_replication(&map([
        ("role", Value::from(c.role())),
        ("rules", Value::List(rules)),
    ]))
}

/// The names of the destination buckets (from their ARNs,
/// `arn:<partition>:s3:::<name>`).
pub fn replication_destinations(v: &Value) -> Vec<String> {
    let mut names: Vec<String> = v
        .get("rules")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| text(r, &["destination", "bucket"]))
        .map(|arn| arn.rsplit(":::").next().unwrap_or(arn).to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The SDK form of `replication_configuration`.
pub fn replication_config(v: &Value) -> Result<ReplicationConfiguration, ProviderError> {
    let invalid = |e: &dyn std::fmt::Display| {
        ProviderError::Invalid(format!("replication_configuration: {e}"))
    };
    let v = normalize_replication(v);
    let mut rules = Vec::new();
    for r in v.get("rules").and_then(Value::as_list).unwrap_or_default() {
        let kms = text(r, REPLICA_KMS);
        let destination = Destination::builder()
            .set_bucket(text(r, &["destination", "bucket"]).map(str::to_string))
            .set_storage_class(text(r, &["destination", "storage_class"]).map(StorageClass::from))
            .set_encryption_configuration(kms.map(|k| {
                EncryptionConfiguration::builder()
                    .replica_kms_key_id(k)
                    .build()
            }))
            .build()
            .map_err(|e| invalid(&e))?;
        let sse_kms = text(r, SSE_KMS_STATUS);
        let criteria = sse_kms
            .map(|s| {
                let status = SseKmsEncryptedObjectsStatus::from(s);
                let objects = SseKmsEncryptedObjects::builder().status(status).build();
                let criteria = SourceSelectionCriteria::builder();
                objects.map(|o| criteria.sse_kms_encrypted_objects(o).build())
            })
            .transpose()
            .map_err(|e| invalid(&e))?;
        let priority = r
            .get("priority")
            .and_then(Value::as_i64)
            .and_then(|p| i32::try_from(p).ok())
            .unwrap_or(0);
        let rule = ReplicationRule::builder()
            .set_id(text(r, &["id"]).map(str::to_string))
            .priority(priority)
            .status(ReplicationRuleStatus::from(
                text(r, &["status"]).unwrap_or("Enabled"),
            ))
            .filter(
                ReplicationRuleFilter::builder()
                    .prefix(text(r, &["filter", "prefix"]).unwrap_or_default())
                    .build(),
            )
            .destination(destination)
            .set_source_selection_criteria(criteria)
            .delete_marker_replication(
                DeleteMarkerReplication::builder()
                    .status(DeleteMarkerReplicationStatus::from(
                        text(r, &["delete_marker_replication", "status"]).unwrap_or("Disabled"),
                    ))
                    .build(),
            )
            .build()
            .map_err(|e| invalid(&e))?;
        rules.push(rule);
    }
    ReplicationConfiguration::builder()
        .set_role(text(&v, &["role"]).map(str::to_string))
        .set_rules(Some(rules))
        .build()
        .map_err(|e| invalid(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(v: serde_json::Value) -> Value {
        Value::from_json(&v)
    }

    #[test]
    fn encryption_normalizes_both_spellings() {
        let spec =
            j(serde_json::json!({"sse_algorithm": "AES256", "kms_master_key_id": "ignored"}));
        assert_eq!(
            normalize_encryption(&spec),
            j(serde_json::json!({"sse_algorithm": "AES256", "bucket_key_enabled": false}))
        );
        let kms = j(
            serde_json::json!({"sse_algorithm": "aws:kms", "kms_master_key_id": "k", "bucket_key_enabled": true}),
        );
        let conf = encryption_config(&kms).unwrap();
        assert_eq!(observed_encryption(&conf), normalize_encryption(&kms));
    }

    #[test]
    fn lifecycle_rules_round_trip_through_the_sdk() {
        let spec = j(serde_json::json!([
            {"id": "z-logs", "prefix": "logs/", "expiration_days": 90,
             "transitions": [{"days": 60, "storage_class": "GLACIER"}, {"days": 30, "storage_class": "STANDARD_IA"}]},
            {"id": "a-all", "status": "Enabled", "prefix": "", "noncurrent_version_expiration_days": 30,
             "abort_incomplete_multipart_upload_days": 7, "transitions": []}
        ]));
        let sdk = lifecycle_rules(&spec).unwrap();
        assert_eq!(sdk.len(), 2);
        assert_eq!(sdk[0].id(), Some("a-all"));
        let observed = observed_rules(&sdk);
        assert_eq!(observed, normalize_rules(&spec));
        let normalized = normalize_rules(&spec);
        let first = &normalized.as_list().unwrap()[0];
        assert!(first.get("prefix").is_none() && first.get("transitions").is_none());
        assert_eq!(first.get("status"), Some(&Value::from("Enabled")));
        let second = &normalized.as_list().unwrap()[1];
        assert_eq!(
            second.get("transitions").unwrap().as_list().unwrap()[0].get("days"),
            Some(&Value::int(30))
        );
    }

    #[test]
    fn public_access_flags_default_on() {
        let c = public_access_block_config(&j(serde_json::json!({"block_public_acls": false})));
        assert_eq!(c.block_public_acls(), Some(false));
        assert_eq!(c.restrict_public_buckets(), Some(true));
        let v = observed_public_access_block(&c);
        assert_eq!(v.get("ignore_public_acls"), Some(&Value::Bool(true)));
    }

    fn replication_spec() -> Value {
        j(serde_json::json!({
            "role": "arn:aws:iam::1:role/replication",
            "rules": [
                {"id": "z-models", "priority": 2, "filter": {"prefix": "models/"},
                 "destination": {"bucket": "arn:aws:s3:::models-replica", "storage_class": "STANDARD_IA",
                                 "encryption_configuration": {"replica_kms_key_id": "arn:aws:kms:ap-southeast-1:1:key/k"}},
                 "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}}},
                {"id": "a-all", "destination": {"bucket": "arn:aws:s3:::artifacts-replica"}}
            ]
        }))
    }

    #[test]
    fn replication_defaults_fill_the_v2_form() {
        let n = normalize_replication(&replication_spec());
        let rules = n.get("rules").unwrap().as_list().unwrap();
        assert_eq!(rules[0].get("id"), Some(&Value::from("a-all")));
        assert_eq!(rules[0].get("priority"), Some(&Value::int(0)));
        assert_eq!(rules[0].get("status"), Some(&Value::from("Enabled")));
        assert!(rules[0].get("filter").is_none());
        assert!(rules[0].get("source_selection_criteria").is_none());
        assert_eq!(
            rules[0].get("delete_marker_replication"),
            Some(&j(serde_json::json!({"status": "Disabled"})))
        );
        // An explicit empty prefix and explicit defaults mean the same.
        let explicit = j(serde_json::json!({
            "role": "arn:aws:iam::1:role/replication",
            "rules": [{"id": "a-all", "priority": 0, "status": "Enabled", "filter": {"prefix": ""},
                       "destination": {"bucket": "arn:aws:s3:::artifacts-replica"},
                       "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Disabled"}},
                       "delete_marker_replication": {"status": "Disabled"}}]
        }));
        assert_eq!(
            normalize_replication(&explicit)
                .get("rules")
                .unwrap()
                .as_list()
                .unwrap()[0],
            rules[0]
        );
        assert_eq!(
            replication_destinations(&n),
            vec![
                "artifacts-replica".to_string(),
                "models-replica".to_string()
            ]
        );
    }

    #[test]
    fn replication_round_trips_through_the_sdk() {
        let spec = replication_spec();
        let sdk = replication_config(&spec).unwrap();
        assert_eq!(sdk.rules().len(), 2);
        let models = &sdk.rules()[1];
        assert_eq!(models.priority(), Some(2));
        assert_eq!(
            models.filter().and_then(ReplicationRuleFilter::prefix),
            Some("models/")
        );
        assert_eq!(
            sdk.rules()[0]
                .filter()
                .and_then(ReplicationRuleFilter::prefix),
            Some("")
        );
        assert_eq!(observed_replication(&sdk), normalize_replication(&spec));
    }

    #[test]
    fn what_s3_echoes_for_a_minimal_rule_is_no_change() {
        // S3 answers a rule without priority or delete-marker setting (as a
        // V1 rule with a top-level prefix, say) with the defaults spelled out
        // or left out; either way it equals the minimal spec.
        #[allow(deprecated)]
        let rule = ReplicationRule::builder()
            .id("a-all")
            .prefix("")
            .status(ReplicationRuleStatus::Enabled)
            .destination(
                Destination::builder()
                    .bucket("arn:aws:s3:::artifacts-replica")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let conf = ReplicationConfiguration::builder()
            .role("arn:aws:iam::1:role/replication")
            .rules(rule)
            .build()
            .unwrap();
        let spec = j(serde_json::json!({
            "role": "arn:aws:iam::1:role/replication",
            "rules": [{"id": "a-all", "destination": {"bucket": "arn:aws:s3:::artifacts-replica"}}]
        }));
        assert_eq!(observed_replication(&conf), normalize_replication(&spec));
    }
}
