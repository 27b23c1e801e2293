//! `aws.s3.bucket`: a general purpose S3 bucket and its configuration.
//!
//! The bucket's name is its id.
//!
//! Observe cost: S3 has no describe-many; every configuration block is its
//! own sub-resource. Per bucket: HeadBucket, GetBucketVersioning,
//! GetBucketEncryption, GetPublicAccessBlock, GetBucketOwnershipControls,
//! GetBucketLifecycleConfiguration, GetBucketPolicy, GetBucketReplication,
//! GetBucketTagging (9 calls, the eight reads of a bucket concurrently),
//! buckets at most eight at a time. A stack has a few buckets, so a refresh
//! stays in the tens.
//!
//! Replication needs versioning on both sides. forge checks before it puts a
//! replication configuration: the bucket's own `versioning` must be Enabled
//! (a clear error naming the field instead of S3's InvalidRequest), and each
//! destination bucket is looked up (GetBucketLocation, then
//! GetBucketVersioning in its region: 2 calls per destination, only when the
//! configuration is written) and refused unless versioned. A destination
//! forge may not read (another account) is left to S3 to check.
//!
//! `force_destroy` is a forge setting, not an S3 property; so that refresh
//! and destroy see what the spec set, forge records it on the bucket as the
//! tag `forge:force_destroy=true` (hidden from `tags` like every `forge:`
//! tag). S3's PutBucketTagging replaces the whole tag set, so every tag
//! write carries forge's ownership tags along with the user's.

use super::config::{
    encryption_config, encryption_type, lifecycle_rule_type, lifecycle_rules, normalize_encryption,
    normalize_replication, normalize_rules, observed_encryption, observed_public_access_block,
    observed_replication, observed_rules, public_access_block_config, public_access_block_type,
    replication_config, replication_destinations, replication_type,
};
use super::{CONCURRENCY, s3_err_at};
use crate::arn::partition;
use crate::attrs::attrs;
use crate::attrs::{opt_bool, opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::is_not_found;
use crate::normalize::normalize_common;
use crate::paging::concurrent;
use crate::tags::tags_field;
use crate::tags::{self, ADDRESS_TAG};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, Delete, ObjectIdentifier, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, Tag, Tagging, VersioningConfiguration,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Buckets described at once.
const OBSERVE_CONCURRENCY: usize = 8;
/// The tag recording `force_destroy: true`.
pub const FORCE_DESTROY_TAG: &str = "forge:force_destroy";
/// Keys per DeleteObjects request (the API's cap).
const DELETE_BATCH: usize = 1000;
/// How far a refused destroy counts objects for its message.
const COUNT_LIMIT: usize = 10_000;

/// Error codes meaning "this configuration block is not set".
const UNSET_CODES: &[&str] = &[
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchLifecycleConfiguration",
    "NoSuchBucketPolicy",
    "NoSuchTagSet",
    "ReplicationConfigurationNotFoundError",
];

/// The `aws.s3.bucket` provider.
pub struct BucketProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl BucketProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        BucketProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, super::client).await
    }
}

/// The schema of `aws.s3.bucket`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.s3.bucket",
        "An S3 bucket.",
        [
            ("bucket", FieldSchema::required(FieldType::String).force_new().describe("The bucket's globally unique name.")),
            (
                "versioning",
                FieldSchema::optional_computed(FieldType::String)
                    .describe("Enabled or Suspended; unset leaves versioning as it is."),
            ),
            (
                "server_side_encryption",
                FieldSchema::optional_computed(encryption_type())
                    .describe("Default encryption: SSE-S3 (AES256) or SSE-KMS (aws:kms) with a key and bucket key."),
            ),
            (
                "public_access_block",
                FieldSchema::optional_computed(public_access_block_type())
                    .describe("The bucket's public access block; flags left out are on."),
            ),
            (
                "ownership_controls",
                FieldSchema::optional_computed(FieldType::String)
                    .describe("Object ownership: BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter."),
            ),
            (
                "lifecycle_rules",
                FieldSchema::optional(FieldType::list(lifecycle_rule_type()))
                    .default(Value::List(Vec::new()))
                    .describe("Lifecycle rules (expiration, transitions, noncurrent versions, multipart cleanup)."),
            ),
            ("policy", FieldSchema::optional(FieldType::Any).describe("The bucket policy (JSON text or YAML object).")),
            (
                "replication_configuration",
                FieldSchema::optional(replication_type())
                    .describe("Replication to other buckets (e.g. another region); needs versioning Enabled here and there."),
            ),
            ("tags", tags_field()),
            (
                "force_destroy",
                FieldSchema::optional(FieldType::Bool)
                    .default(false)
                    .describe("forge only: on destroy, delete every object version first instead of refusing."),
            ),
            ("arn", FieldSchema::computed(FieldType::String).describe("The bucket's ARN.")),
            ("region", FieldSchema::computed(FieldType::String).describe("The bucket's region.")),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut attrs: Attrs) -> Attrs {
    if let Some(v) = attrs
        .get("server_side_encryption")
        .filter(|v| v.as_map().is_some())
    {
        let n = normalize_encryption(v);
        attrs.insert("server_side_encryption".into(), n);
    }
    if let Some(v) = attrs
        .get("lifecycle_rules")
        .filter(|v| v.as_list().is_some())
    {
        let n = normalize_rules(v);
        attrs.insert("lifecycle_rules".into(), n);
    }
    if let Some(v) = attrs
        .get("replication_configuration")
        .filter(|v| v.as_map().is_some())
    {
        let n = normalize_replication(v);
        attrs.insert("replication_configuration".into(), n);
    }
    crate::normalize::policy_field(&mut attrs, "policy");
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

/// A sub-resource read: `None` when the block is not set. A vanished
/// bucket (`NoSuchBucket`) stays an error for the caller to treat as gone.
fn unset_is_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ProviderError::Api { code, .. }) if UNSET_CODES.contains(&code.as_str()) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn bucket_tags(client: &Client, name: &str) -> Result<Vec<(String, String)>, ProviderError> {
    let out = unset_is_none(
        client
            .get_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .map_err(|e| s3_err_at("GetBucketTagging", e)),
    )?;
    Ok(out
        .map(|o| {
            o.tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

async fn fetch_bucket(
    client: &Client,
    name: &str,
    region: &str,
) -> Result<Option<Attrs>, ProviderError> {
    let head = match client
        .head_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(|e| s3_err_at("HeadBucket", e))
    {
        Ok(h) => h,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let reads = async {
        tokio::try_join!(
            async {
                client
                    .get_bucket_versioning()
                    .bucket(name)
                    .send()
                    .await
                    .map_err(|e| s3_err_at("GetBucketVersioning", e))
            },
            async {
                unset_is_none(
                    client
                        .get_bucket_encryption()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(|e| s3_err_at("GetBucketEncryption", e)),
                )
            },
            async {
                unset_is_none(
                    client
                        .get_public_access_block()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(|e| s3_err_at("GetPublicAccessBlock", e)),
                )
            },
            async {
                unset_is_none(
                    client
                        .get_bucket_ownership_controls()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(|e| s3_err_at("GetBucketOwnershipControls", e)),
                )
            },
            async {
                unset_is_none(
                    client
                        .get_bucket_lifecycle_configuration()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(|e| s3_err_at("GetBucketLifecycleConfiguration", e)),
                )
            },
            async {
                unset_is_none(
                    client
                        .get_bucket_policy()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(|e| s3_err_at("GetBucketPolicy", e)),
                )
            },
            async {
                unset_is_none(
                    client
                        .get_bucket_replication()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(|e| s3_err_at("GetBucketReplication", e)),
                )
            },
            bucket_tags(client, name),
        )
    };
    let (versioning, encryption, pab, ownership, lifecycle, policy, replication, tag_list) =
        match reads.await {
            Ok(r) => r,
            // Deleted while we were reading it.
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
    let force = tag_list
        .iter()
        .any(|(k, v)| k == FORCE_DESTROY_TAG && v == "true");
    let bucket_region = head.bucket_region().unwrap_or(region);
    let a = attrs([
        ("id", Value::from(name)),
        ("bucket", Value::from(name)),
        (
            "versioning",
            str_or_null(versioning.status().map(BucketVersioningStatus::as_str)),
        ),
        (
            "server_side_encryption",
            encryption
                .as_ref()
                .and_then(|e| e.server_side_encryption_configuration())
                .map(observed_encryption)
                .unwrap_or_default(),
        ),
        (
            "public_access_block",
            pab.as_ref()
                .and_then(|p| p.public_access_block_configuration())
                .map(observed_public_access_block)
                .unwrap_or_default(),
        ),
        (
            "ownership_controls",
            str_or_null(
                ownership
                    .as_ref()
                    .and_then(|o| o.ownership_controls())
                    .and_then(|c| c.rules().first())
                    .map(|r| r.object_ownership().as_str()),
            ),
        ),
        (
            "lifecycle_rules",
            observed_rules(lifecycle.as_ref().map(|l| l.rules()).unwrap_or_default()),
        ),
        (
            "policy",
            str_or_null(policy.as_ref().and_then(|p| p.policy())),
        ),
        (
            "replication_configuration",
            replication
                .as_ref()
                .and_then(|r| r.replication_configuration())
                .map(observed_replication)
                .unwrap_or_default(),
        ),
        (
            "tags",
            tags::observed_tags(tag_list.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        ),
        ("force_destroy", Value::Bool(force)),
        (
            "arn",
            Value::String(format!("arn:{}:s3:::{name}", partition(bucket_region))),
        ),
        ("region", Value::from(bucket_region)),
    ]);
    Ok(Some(normalize(a)))
}

async fn observe_buckets(
    client: &Client,
    ids: &[String],
    region: &str,
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut unique: Vec<String> = ids.iter().filter(|i| !i.is_empty()).cloned().collect();
    unique.sort();
    unique.dedup();
    let found = concurrent(unique, OBSERVE_CONCURRENCY, |name| async move {
        Ok(fetch_bucket(client, &name, region)
            .await?
            .map(|a| (name, a)))
    })
    .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn observe_one(client: &Client, name: &str, region: &str) -> Result<Attrs, ProviderError> {
    fetch_bucket(client, name, region)
        .await?
        .ok_or_else(|| ProviderError::Transient {
            message: format!("bucket {name} not visible yet"),
        })
}

/// One change to a bucket.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketCall {
    /// PutBucketVersioning.
    Versioning(String),
    /// PutBucketEncryption.
    Encryption(Value),
    /// PutBucketOwnershipControls.
    Ownership(String),
    /// PutPublicAccessBlock.
    PublicAccessBlock(Value),
    /// PutBucketPolicy.
    Policy(String),
    /// DeleteBucketPolicy.
    DeletePolicy,
    /// PutBucketLifecycleConfiguration.
    Lifecycle(Value),
    /// DeleteBucketLifecycle.
    DeleteLifecycle,
    /// PutBucketReplication.
    Replication(Value),
    /// DeleteBucketReplication.
    DeleteReplication,
    /// PutBucketTagging with these user tags (plus forge's), and whether
    /// to record force_destroy.
    Tags(BTreeMap<String, String>, bool),
}

fn differs(prior: &Attrs, desired: &Attrs, key: &str) -> bool {
    !forge_engine::diff::values_equal(
        prior.get(key).unwrap_or(&Value::Null),
        desired.get(key).unwrap_or(&Value::Null),
    )
}

/// The calls that bring a bucket from `prior` to `desired` (normalized).
/// Blocks left unset in an optional-computed field are not touched. The
/// public access block goes before the policy: a block that forbids
/// public policies must be relaxed before such a policy can be put.
/// Replication is removed first (before versioning could be suspended) and
/// put after versioning (which it needs).
pub fn update_calls(prior: &Attrs, desired: &Attrs) -> Vec<BucketCall> {
    let mut calls = Vec::new();
    let replication = differs(prior, desired, "replication_configuration").then(|| {
        desired
            .get("replication_configuration")
            .filter(|v| !v.is_null())
            .cloned()
    });
    if let Some(None) = replication {
        calls.push(BucketCall::DeleteReplication);
    }
    let set_and_differs =
        |key: &str| desired.get(key).is_some_and(|v| !v.is_null()) && differs(prior, desired, key);
    if set_and_differs("versioning")
        && let Some(v) = opt_str(desired, "versioning")
    {
        calls.push(BucketCall::Versioning(v.to_string()));
    }
    if set_and_differs("server_side_encryption")
        && let Some(v) = desired.get("server_side_encryption")
    {
        calls.push(BucketCall::Encryption(v.clone()));
    }
    if let Some(Some(v)) = replication {
        calls.push(BucketCall::Replication(v));
    }
    if set_and_differs("ownership_controls")
        && let Some(v) = opt_str(desired, "ownership_controls")
    {
        calls.push(BucketCall::Ownership(v.to_string()));
    }
    if set_and_differs("public_access_block")
        && let Some(v) = desired.get("public_access_block")
    {
        calls.push(BucketCall::PublicAccessBlock(v.clone()));
    }
    if differs(prior, desired, "policy") {
        match opt_str(desired, "policy") {
            Some(p) => calls.push(BucketCall::Policy(p.to_string())),
            None => calls.push(BucketCall::DeletePolicy),
        }
    }
    if differs(prior, desired, "lifecycle_rules") {
        match desired.get("lifecycle_rules") {
            Some(v) if v.as_list().is_some_and(|l| !l.is_empty()) => {
                calls.push(BucketCall::Lifecycle(v.clone()))
            }
            _ => calls.push(BucketCall::DeleteLifecycle),
        }
    }
    let force = opt_bool(desired, "force_destroy").unwrap_or(false);
    if tags::user_tags(prior) != tags::user_tags(desired)
        || opt_bool(prior, "force_destroy").unwrap_or(false) != force
    {
        calls.push(BucketCall::Tags(tags::user_tags(desired), force));
    }
    calls
}

async fn run_call(
    client: &Client,
    bucket: &str,
    ctx: &ResourceCtx,
    call: BucketCall,
) -> Result<(), ProviderError> {
    let invalid =
        |what: &str, e: &dyn std::fmt::Display| ProviderError::Invalid(format!("{what}: {e}"));
    match call {
        BucketCall::Versioning(status) => {
            let conf = VersioningConfiguration::builder()
                .status(BucketVersioningStatus::from(status.as_str()))
                .build();
            client
                .put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(conf)
                .send()
                .await
                .map_err(|e| s3_err_at("PutBucketVersioning", e))?;
        }
        BucketCall::Encryption(v) => {
            client
                .put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(encryption_config(&v)?)
                .send()
                .await
                .map_err(|e| s3_err_at("PutBucketEncryption", e))?;
        }
        BucketCall::Ownership(o) => {
            let rule = OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::from(o.as_str()))
                .build()
                .map_err(|e| invalid("ownership_controls", &e))?;
            let controls = OwnershipControls::builder()
                .rules(rule)
                .build()
                .map_err(|e| invalid("ownership_controls", &e))?;
            client
                .put_bucket_ownership_controls()
                .bucket(bucket)
                .ownership_controls(controls)
                .send()
                .await
                .map_err(|e| s3_err_at("PutBucketOwnershipControls", e))?;
        }
        BucketCall::PublicAccessBlock(v) => {
            client
                .put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(public_access_block_config(&v))
                .send()
                .await
                .map_err(|e| s3_err_at("PutPublicAccessBlock", e))?;
        }
        BucketCall::Policy(p) => {
            client
                .put_bucket_policy()
                .bucket(bucket)
                .policy(p)
                .send()
                .await
                .map_err(|e| s3_err_at("PutBucketPolicy", e))?;
        }
        BucketCall::DeletePolicy => {
            client
                .delete_bucket_policy()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| s3_err_at("DeleteBucketPolicy", e))?;
        }
        BucketCall::Lifecycle(v) => {
            let conf = BucketLifecycleConfiguration::builder()
                .set_rules(Some(lifecycle_rules(&v)?))
                .build()
                .map_err(|e| invalid("lifecycle_rules", &e))?;
            client
                .put_bucket_lifecycle_configuration()
                .bucket(bucket)
                .lifecycle_configuration(conf)
                .send()
                .await
                .map_err(|e| s3_err_at("PutBucketLifecycleConfiguration", e))?;
        }
        BucketCall::DeleteLifecycle => {
            client
                .delete_bucket_lifecycle()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| s3_err_at("DeleteBucketLifecycle", e))?;
        }
        BucketCall::Replication(v) => {
            client
                .put_bucket_replication()
                .bucket(bucket)
                .replication_configuration(replication_config(&v)?)
                .send()
                .await
                .map_err(|e| s3_err_at("PutBucketReplication", e))?;
        }
        BucketCall::DeleteReplication => {
            client
                .delete_bucket_replication()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| s3_err_at("DeleteBucketReplication", e))?;
        }
        BucketCall::Tags(user, force) => {
            put_tags(client, bucket, &user, &ctx.system_tags, force).await?
        }
    }
    Ok(())
}

/// The refusal of a replication configuration on a bucket whose own
/// versioning is not (going to be) Enabled: `versioning` from the spec, or
/// the bucket's current state when the spec leaves it unset.
pub fn source_versioning_error(
    bucket: &str,
    prior: &Attrs,
    desired: &Attrs,
) -> Option<ProviderError> {
    let wants = desired
        .get("replication_configuration")
        .is_some_and(|v| !v.is_null());
    let versioning = opt_str(desired, "versioning").or_else(|| opt_str(prior, "versioning"));
    (wants && versioning != Some("Enabled")).then(|| {
        ProviderError::Invalid(format!(
            "bucket {bucket}: replication_configuration needs `versioning: Enabled` (S3 replicates object versions; currently {})",
            versioning.unwrap_or("never enabled")
        ))
    })
}

/// Checks, before PutBucketReplication, that the bucket and every
/// destination bucket are versioned (S3 refuses the configuration
/// otherwise, naming neither bucket nor field).
async fn check_replication(
    clients: &AwsClients,
    region: &str,
    bucket: &str,
    prior: &Attrs,
    desired: &Attrs,
) -> Result<(), ProviderError> {
    if let Some(e) = source_versioning_error(bucket, prior, desired) {
        return Err(e);
    }
    let Some(conf) = desired.get("replication_configuration") else {
        return Ok(());
    };
    // GetBucketLocation answers for any bucket from the partition's first
    // region; the versioning read must then go to the bucket's own region.
    let home = if partition(region) == "aws" {
        "us-east-1"
    } else {
        region
    };
    let locator = clients.client(home, super::client).await?;
    for dest in replication_destinations(conf) {
        let location = match locator
            .get_bucket_location()
            .bucket(&dest)
            .send()
            .await
            .map_err(|e| s3_err_at("GetBucketLocation", e))
        {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => {
                return Err(ProviderError::Invalid(format!(
                    "bucket {bucket}: replication destination bucket {dest} does not exist"
                )));
            }
            // Not ours to read (another account): S3 checks it on put.
            Err(ProviderError::Api { .. }) => continue,
            Err(e) => return Err(e),
        };
        let dest_region = match location.location_constraint().map(|c| c.as_str()) {
            None | Some("") => "us-east-1",
            // The legacy name of eu-west-1.
            Some("EU") => "eu-west-1",
            Some(r) => r,
        };
        let client = clients.client(dest_region, super::client).await?;
        let status = match client
            .get_bucket_versioning()
            .bucket(&dest)
            .send()
            .await
            .map_err(|e| s3_err_at("GetBucketVersioning", e))
        {
            Ok(out) => out.status().map(|s| s.as_str().to_string()),
            Err(ProviderError::Api { code, .. }) if code == "AccessDenied" => continue,
            Err(e) => return Err(e),
        };
        if status.as_deref() != Some("Enabled") {
            return Err(ProviderError::Invalid(format!(
                "bucket {bucket}: replication destination bucket {dest} ({dest_region}) must have versioning Enabled (it is {})",
                status.as_deref().unwrap_or("never enabled")
            )));
        }
    }
    Ok(())
}

/// The bucket's whole tag set: the user's, forge's ownership tags, and the
/// force-destroy setting.
fn tag_set(
    user: &BTreeMap<String, String>,
    system: &BTreeMap<String, String>,
    force: bool,
) -> Result<Vec<Tag>, ProviderError> {
    let mut all = user.clone();
    all.extend(system.iter().map(|(k, v)| (k.clone(), v.clone())));
    if force {
        all.insert(FORCE_DESTROY_TAG.to_string(), "true".to_string());
    }
    all.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::Invalid(format!("tag `{k}`: {e}")))
        })
        .collect()
}

async fn put_tags(
    client: &Client,
    bucket: &str,
    user: &BTreeMap<String, String>,
    system: &BTreeMap<String, String>,
    force: bool,
) -> Result<(), ProviderError> {
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set(user, system, force)?))
        .build()
        .map_err(|e| ProviderError::Invalid(format!("tags: {e}")))?;
    client
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| s3_err_at("PutBucketTagging", e))?;
    Ok(())
}

/// One page of object versions and delete markers, as identifiers.
async fn version_page(
    client: &Client,
    bucket: &str,
    key_marker: Option<String>,
    version_marker: Option<String>,
) -> Result<
    (
        Vec<ObjectIdentifier>,
        Option<(Option<String>, Option<String>)>,
    ),
    ProviderError,
> {
    let out = client
        .list_object_versions()
        .bucket(bucket)
        .set_key_marker(key_marker)
        .set_version_id_marker(version_marker)
        .send()
        .await
        .map_err(|e| s3_err_at("ListObjectVersions", e))?;
    let mut ids = Vec::new();
    let entries = out
        .versions()
        .iter()
        .map(|v| (v.key(), v.version_id()))
        .chain(
            out.delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id())),
        );
    for (key, version) in entries {
        if let Some(key) = key {
            let id = ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version.map(str::to_string))
                .build()
                .map_err(|e| ProviderError::Invalid(format!("object identifier: {e}")))?;
            ids.push(id);
        }
    }
    let next = if out.is_truncated() == Some(true) {
        Some((
            out.next_key_marker().map(str::to_string),
            out.next_version_id_marker().map(str::to_string),
        ))
    } else {
        None
    };
    Ok((ids, next))
}

/// Counts object versions and delete markers, up to [`COUNT_LIMIT`].
async fn count_objects(client: &Client, bucket: &str) -> Result<(usize, bool), ProviderError> {
    let (mut count, mut markers) = (0, (None, None));
    loop {
        let (ids, next) = version_page(client, bucket, markers.0, markers.1).await?;
        count += ids.len();
        match next {
            Some(m) if count < COUNT_LIMIT => markers = m,
            Some(_) => return Ok((count, true)),
            None => return Ok((count, false)),
        }
    }
}

/// Deletes every object version and delete marker, page by page.
async fn empty_bucket(client: &Client, bucket: &str) -> Result<(), ProviderError> {
    // Deleting changes what later pages hold, so always restart from the
    // top until a listing comes back empty.
    loop {
        let (ids, _) = version_page(client, bucket, None, None).await?;
        if ids.is_empty() {
            return Ok(());
        }
        for batch in ids.chunks(DELETE_BATCH) {
            let delete = Delete::builder()
                .set_objects(Some(batch.to_vec()))
                .quiet(true)
                .build()
                .map_err(|e| ProviderError::Invalid(format!("delete request: {e}")))?;
            let out = client
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| s3_err_at("DeleteObjects", e))?;
            if let Some(err) = out.errors().first() {
                return Err(ProviderError::Transient {
                    message: format!(
                        "emptying bucket {bucket}: {} object(s) could not be deleted, first: {} ({})",
                        out.errors().len(),
                        err.code().unwrap_or("error"),
                        err.message().unwrap_or_default()
                    ),
                });
            }
        }
    }
}

/// The refusal to destroy a bucket that still holds objects.
pub fn not_empty_error(bucket: &str, count: usize, more: bool) -> ProviderError {
    let n = if more {
        format!("at least {count}")
    } else {
        count.to_string()
    };
    ProviderError::Api {
        code: "BucketNotEmpty".into(),
        message: format!(
            "bucket {bucket} is not empty ({n} objects); set force_destroy: true to delete its contents"
        ),
    }
}

/// Buckets of the account in `region` owned by `stack` (and `address`):
/// ListBuckets plus a tag read per bucket (orphan search, drift report).
async fn owned_buckets(
    client: &Client,
    region: &str,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let names = crate::paging::collect_pages(|token| async move {
        let out = client
            .list_buckets()
            .bucket_region(region)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| s3_err_at("ListBuckets", e))?;
        let names: Vec<String> = out
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_string))
            .collect();
        Ok((names, out.continuation_token))
    })
    .await?;
    let tagged = concurrent(names, OBSERVE_CONCURRENCY, |name| async move {
        match bucket_tags(client, &name).await {
            Ok(t) => Ok(Some((name, t))),
            // Buckets of other regions or being deleted are not ours here.
            Err(ProviderError::Api { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await?;
    Ok(tagged
        .into_iter()
        .flatten()
        .filter(|(_, t)| {
            tags::owned_by(
                t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                owner,
                address,
            )
        })
        .map(|(name, t)| {
            let addr = t
                .iter()
                .find(|(k, _)| k == ADDRESS_TAG)
                .map(|(_, v)| v.clone());
            (name, addr)
        })
        .collect())
}

#[async_trait]
impl Provider for BucketProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    /// Its objects go with it (a non-empty bucket is only deleted with
    /// `force_destroy`), so plans that delete or replace it say so loudly.
    fn holds_data(&self) -> bool {
        true
    }

    fn normalize(&self, attrs: Attrs) -> Attrs {
        normalize(attrs)
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let client = self.client(&ctx.region).await?;
        observe_buckets(&client, ids, &ctx.region).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, "bucket")?;
        // Refused before the bucket exists, so a refusal leaves nothing
        // behind.
        if desired
            .get("replication_configuration")
            .is_some_and(|v| !v.is_null())
        {
            check_replication(&self.clients, &ctx.region, name, &Attrs::new(), desired).await?;
        }
        let force = opt_bool(desired, "force_destroy").unwrap_or(false);
        // The ownership tags go in the CreateBucket call itself, so a
        // bucket this state made is never untagged (an answer lost after
        // the bucket was made, then a failed PutBucketTagging, would
        // otherwise leave a bucket nobody can tell is ours).
        let configuration = CreateBucketConfiguration::builder()
            .set_tags(Some(tag_set(
                &tags::user_tags(desired),
                &ctx.system_tags,
                force,
            )?))
            // us-east-1 is the one region S3 refuses as an explicit constraint.
            .set_location_constraint(
                (ctx.region != "us-east-1")
                    .then(|| BucketLocationConstraint::from(ctx.region.as_str())),
            )
            .build();
        // In us-east-1 S3 answers CreateBucket of a bucket this account
        // already owns with success (elsewhere: BucketAlreadyOwnedByYou),
        // so an existing bucket is checked before, never taken over. Any
        // other answer than "exists" or a retryable failure (404, or 403
        // for another account's bucket) is left to CreateBucket to settle.
        let exists = match client
            .head_bucket()
            .bucket(name)
            .send()
            .await
            .map_err(|e| s3_err_at("HeadBucket", e))
        {
            Ok(_) => true,
            Err(e) if e.is_retryable() => return Err(e),
            Err(_) => false,
        };
        let result = if exists {
            Err(ProviderError::Api {
                code: "BucketAlreadyOwnedByYou".into(),
                message: format!("bucket {name} exists"),
            })
        } else {
            client
                .create_bucket()
                .bucket(name)
                .create_bucket_configuration(configuration)
                .set_object_ownership(
                    opt_str(desired, "ownership_controls").map(ObjectOwnership::from),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(|e| s3_err_at("CreateBucket", e))
        };
        match result {
            Ok(()) => {}
            Err(ProviderError::Api { code, .. }) if code == "BucketAlreadyOwnedByYou" => {
                // Ours from an earlier attempt only if it carries our tags.
                let t = bucket_tags(&client, name).await?;
                let address = ctx.address.to_string();
                if !tags::owned_by(
                    t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    &ctx.owner,
                    Some(&address),
                ) {
                    return Err(tags::not_ours(
                        ctx,
                        &format!("bucket {name}"),
                        t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    ));
                }
            }
            Err(e) => return Err(e),
        }
        put_tags(
            &client,
            name,
            &tags::user_tags(desired),
            &ctx.system_tags,
            force,
        )
        .await?;
        let mut prior = Attrs::from([("bucket".to_string(), Value::from(name))]);
        prior.insert(
            "tags".into(),
            desired.get("tags").cloned().unwrap_or_default(),
        );
        prior.insert("force_destroy".into(), Value::Bool(force));
        for call in update_calls(&prior, desired) {
            run_call(&client, name, ctx, call).await?;
        }
        Ok(Created {
            id: name.to_string(),
            attrs: observe_one(&client, name, &ctx.region).await?,
        })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let calls = update_calls(prior, desired);
        if calls
            .iter()
            .any(|c| matches!(c, BucketCall::Replication(_)))
        {
            check_replication(&self.clients, &ctx.region, id, prior, desired).await?;
        }
        for call in calls {
            run_call(&client, id, ctx, call).await?;
        }
        observe_one(&client, id, &ctx.region).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        let result: Result<(), ProviderError> = async {
            if opt_bool(prior, "force_destroy").unwrap_or(false) {
                empty_bucket(&client, id).await?;
            } else {
                let (count, more) = count_objects(&client, id).await?;
                if count > 0 {
                    return Err(not_empty_error(id, count, more));
                }
            }
            match client
                .delete_bucket()
                .bucket(id)
                .send()
                .await
                .map_err(|e| s3_err_at("DeleteBucket", e))
            {
                Ok(_) => Ok(()),
                // Someone wrote an object after we emptied it: try again.
                Err(ProviderError::Api { code, message }) if code == "BucketNotEmpty" => {
                    Err(ProviderError::Transient {
                        message: format!("{code}: {message}"),
                    })
                }
                Err(e) => Err(e),
            }
        }
        .await;
        crate::error::ignore_not_found(result)
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let found = owned_buckets(&client, &ctx.region, &ctx.owner, Some(&address)).await?;
        let Some(id) = tags::pick_orphan(found.into_iter().map(|(n, _)| n).collect(), &address)
        else {
            return Ok(None);
        };
        Ok(fetch_bucket(&client, &id, &ctx.region)
            .await?
            .map(|attrs| Created { id, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        owned_buckets(&client, &ctx.region, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs_of(v: serde_json::Value) -> Attrs {
        let mut a = Value::from_json(&v).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut a);
        normalize(a)
    }

    #[test]
    fn unset_blocks_are_left_alone() {
        let prior = attrs_of(serde_json::json!({
            "bucket": "b", "versioning": "Enabled",
            "server_side_encryption": {"sse_algorithm": "AES256"},
            "public_access_block": {}, "ownership_controls": "BucketOwnerEnforced"
        }));
        let want = attrs_of(serde_json::json!({"bucket": "b"}));
        assert_eq!(update_calls(&prior, &want), vec![]);
    }

    #[test]
    fn changed_blocks_map_to_their_calls_in_order() {
        let prior = attrs_of(serde_json::json!({
            "bucket": "b", "policy": {"Statement": []}, "lifecycle_rules": [{"id": "r", "expiration_days": 30}],
            "tags": {"a": "1"}
        }));
        let want = attrs_of(serde_json::json!({
            "bucket": "b", "versioning": "Enabled",
            "server_side_encryption": {"sse_algorithm": "aws:kms", "kms_master_key_id": "k", "bucket_key_enabled": true},
            "public_access_block": {"block_public_policy": false},
            "policy": "{\"Statement\": [{\"Effect\": \"Allow\"}]}",
            "force_destroy": true, "tags": {"a": "1"}
        }));
        let calls = update_calls(&prior, &want);
        let kinds: Vec<&str> = calls
            .iter()
            .map(|c| match c {
                BucketCall::Versioning(_) => "versioning",
                BucketCall::Encryption(_) => "encryption",
                BucketCall::Ownership(_) => "ownership",
                BucketCall::PublicAccessBlock(_) => "pab",
                BucketCall::Policy(_) => "policy",
                BucketCall::DeletePolicy => "delete-policy",
                BucketCall::Lifecycle(_) => "lifecycle",
                BucketCall::DeleteLifecycle => "delete-lifecycle",
                BucketCall::Replication(_) => "replication",
                BucketCall::DeleteReplication => "delete-replication",
                BucketCall::Tags(..) => "tags",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "versioning",
                "encryption",
                "pab",
                "policy",
                "delete-lifecycle",
                "tags"
            ]
        );
        assert_eq!(
            calls.last(),
            Some(&BucketCall::Tags(
                BTreeMap::from([("a".into(), "1".into())]),
                true
            ))
        );
        assert_eq!(
            calls[3],
            BucketCall::Policy(r#"{"Statement":[{"Effect":"Allow"}]}"#.into())
        );
    }

    #[test]
    fn refusal_message_is_clear() {
        let e = not_empty_error("logs", 3, false).to_string();
        assert!(
            e.contains("bucket logs is not empty (3 objects); set force_destroy: true"),
            "{e}"
        );
        assert!(
            not_empty_error("logs", 10_000, true)
                .to_string()
                .contains("at least 10000")
        );
    }

    #[test]
    fn schema_marks_forge_only_and_immutable_fields() {
        let s = schema();
        assert!(s.field("bucket").is_some_and(|f| f.force_new));
        assert_eq!(
            s.field("force_destroy").and_then(|f| f.default.clone()),
            Some(Value::Bool(false))
        );
    }

    fn replicated(versioning: &str) -> Attrs {
        attrs_of(serde_json::json!({
            "bucket": "artifacts", "versioning": versioning,
            "replication_configuration": {
                "role": "arn:aws:iam::1:role/replication",
                "rules": [{"id": "all", "destination": {"bucket": "arn:aws:s3:::artifacts-replica"}}]
            }
        }))
    }

    #[test]
    fn replication_is_put_after_versioning_and_removed_first() {
        let bare = attrs_of(serde_json::json!({"bucket": "artifacts"}));
        let want = replicated("Enabled");
        let calls = update_calls(&bare, &want);
        assert!(matches!(calls[0], BucketCall::Versioning(_)), "{calls:?}");
        assert!(matches!(calls[1], BucketCall::Replication(_)), "{calls:?}");
        assert!(update_calls(&want, &want).is_empty());
        let off = attrs_of(serde_json::json!({"bucket": "artifacts", "versioning": "Suspended"}));
        let calls = update_calls(&want, &off);
        assert_eq!(calls[0], BucketCall::DeleteReplication);
        assert_eq!(calls[1], BucketCall::Versioning("Suspended".into()));
    }

    #[test]
    fn replication_without_versioning_is_refused_clearly() {
        let bare = attrs_of(serde_json::json!({"bucket": "artifacts"}));
        let e = source_versioning_error("artifacts", &bare, &replicated("Suspended"))
            .unwrap()
            .to_string();
        assert!(
            e.contains("needs `versioning: Enabled`") && e.contains("Suspended"),
            "{e}"
        );
        assert!(source_versioning_error("artifacts", &bare, &replicated("Enabled")).is_none());
        // Versioning left unset in the spec: the bucket's current state counts.
        let mut unset = replicated("Enabled");
        unset.remove("versioning");
        assert!(source_versioning_error("artifacts", &bare, &unset).is_some());
        assert!(source_versioning_error("artifacts", &replicated("Enabled"), &unset).is_none());
    }
}
