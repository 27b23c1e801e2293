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
//! stays in the tens. The ownership listing is ListBuckets of the region
//! plus a GetBucketTagging per bucket.
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
//! write carries forge's ownership tags along with the user's (which is why
//! S3 has no [`crate::kind::TagApi`]: tags are never set or removed one by
//! one).

use super::config::{
    Encryption, LifecycleRules, PublicAccessBlock, Replication, encryption_config, lifecycle_rules,
    normalize_encryption, normalize_replication, normalize_rules, observed_encryption,
    observed_public_access_block, observed_replication, observed_rules, public_access_block_config,
    replication_config, replication_destinations,
};
use super::{S3, call, get_config, set_config};
use crate::arn::partition;
use crate::error::{found, is_not_found};
use crate::kind::prelude::*;
use crate::paging::{collect_pages, concurrent_readable, each_id};
use crate::tags;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, Delete, ObjectIdentifier, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, Tag, Tagging, VersioningConfiguration,
};
use forge_core::Value;
use forge_core::fields::FieldValue;
use forge_engine::ResourceCtx;
use std::collections::BTreeMap;

/// Buckets described at once.
const OBSERVE_CONCURRENCY: usize = 8;
/// The tag recording `force_destroy: true`.
pub const FORCE_DESTROY_TAG: &str = "forge:force_destroy";
/// Keys per DeleteObjects request (the API's cap).
const DELETE_BATCH: usize = 1000;
/// How far a refused destroy counts objects for its message.
const COUNT_LIMIT: usize = 10_000;

/// One S3 call on a bucket: `$answer` (`call`, `get_config` or
/// `set_config`) of the operation `$name`, made with `$op` on `$bucket` and
/// the further setters given.
macro_rules! s3 {
    ($answer:ident $name:expr, $client:ident.$op:ident($bucket:expr) $(.$set:ident($v:ident))*) => {
        $answer($name, $client.$op().bucket($bucket)$(.$set($v))*.send().await)
    };
}

crate::kind::declare_kind!(BucketKind: "aws.s3.bucket", S3, BucketFields,
    "An S3 bucket.");

/// The fields of `aws.s3.bucket`.
#[derive(Debug, Clone, Default, Fields)]
pub struct BucketFields {
    /// The bucket's globally unique name.
    #[field(force_new)]
    pub bucket: String,
    /// Enabled or Suspended; unset leaves versioning as it is.
    #[field(optional_computed)]
    pub versioning: Option<String>,
    /// Default encryption: SSE-S3 (AES256) or SSE-KMS (aws:kms) with a key and bucket key.
    #[field(optional_computed, normalize = normalize_encryption)]
    pub server_side_encryption: Option<Encryption>,
    /// The bucket's public access block; flags left out are on.
    #[field(optional_computed)]
    pub public_access_block: Option<PublicAccessBlock>,
    /// Object ownership: BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter.
    #[field(optional_computed)]
    pub ownership_controls: Option<String>,
    /// Lifecycle rules (expiration, transitions, noncurrent versions, multipart cleanup).
    #[field(default = Value::List(Vec::new()), normalize = normalize_rules)]
    pub lifecycle_rules: Option<LifecycleRules>,
    /// The bucket policy (JSON text or YAML object).
    #[field(normalize = crate::normalize::policy_value)]
    pub policy: Option<Value>,
    /// Replication to other buckets (e.g. another region); needs versioning Enabled here and there.
    #[field(normalize = normalize_replication)]
    pub replication_configuration: Option<Replication>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// forge only: on destroy, delete every object version first instead of refusing.
    #[field(default = false)]
    pub force_destroy: Option<bool>,
    /// The bucket's ARN.
    pub arn: Computed<String>,
    /// The bucket's region.
    pub region: Computed<String>,
}

impl BucketFields {
    fn force(&self) -> bool {
        self.force_destroy.unwrap_or(false)
    }
}

/// A block read back: `None` for S3's "not set" (an absent or null value).
fn block<T>(value: Value, wrap: fn(Value) -> T) -> Option<T> {
    (!value.is_null()).then(|| wrap(value))
}

async fn bucket_tags(client: &Client, name: &str) -> Res<Vec<(String, String)>> {
    let out = s3!(get_config "GetBucketTagging", client.get_bucket_tagging(name))?;
    let set = out.as_ref().map(|o| o.tag_set()).unwrap_or_default();
    Ok(set
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

async fn fetch_bucket(client: &Client, name: &str, region: &str) -> Res<Option<BucketFields>> {
    let Some(head) = found(s3!(call "HeadBucket", client.head_bucket(name)))? else {
        return Ok(None);
    };
    // Each read is built inside its own async block, so the request
    // futures are made one at a time when polled, not all at once on the
    // stack.
    let reads = async {
        tokio::try_join!(
            async { s3!(call "GetBucketVersioning", client.get_bucket_versioning(name)) },
            async { s3!(get_config "GetBucketEncryption", client.get_bucket_encryption(name)) },
            async { s3!(get_config "GetPublicAccessBlock", client.get_public_access_block(name)) },
            async {
                let op = "GetBucketOwnershipControls";
                s3!(get_config op, client.get_bucket_ownership_controls(name))
            },
            async {
                let op = "GetBucketLifecycleConfiguration";
                s3!(get_config op, client.get_bucket_lifecycle_configuration(name))
            },
            async { s3!(get_config "GetBucketPolicy", client.get_bucket_policy(name)) },
            async { s3!(get_config "GetBucketReplication", client.get_bucket_replication(name)) },
            bucket_tags(client, name),
        )
    };
    // None: deleted while we were reading it.
    let Some((versioning, encryption, pab, ownership, lifecycle, policy, replication, tag_list)) =
        found(reads.await)?
    else {
        return Ok(None);
    };
    let bucket_region = head.bucket_region().unwrap_or(region);
    let pairs = tag_list.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    Ok(Some(BucketFields {
        bucket: name.to_string(),
        versioning: versioning.status().map(|s| s.as_str().to_string()),
        server_side_encryption: encryption
            .as_ref()
            .and_then(|e| e.server_side_encryption_configuration())
            .and_then(|c| block(observed_encryption(c), Encryption)),
        public_access_block: pab
            .as_ref()
            .and_then(|p| p.public_access_block_configuration())
            .map(|c| PublicAccessBlock(observed_public_access_block(c))),
        ownership_controls: ownership
            .as_ref()
            .and_then(|o| o.ownership_controls())
            .and_then(|c| c.rules().first())
            .map(|r| r.object_ownership().as_str().to_string()),
        lifecycle_rules: Some(LifecycleRules(observed_rules(
            lifecycle.as_ref().map(|l| l.rules()).unwrap_or_default(),
        ))),
        policy: policy
            .as_ref()
            .and_then(|p| p.policy())
            .map(|p| crate::normalize::policy_value(&Value::from(p))),
        replication_configuration: replication
            .as_ref()
            .and_then(|r| r.replication_configuration())
            .and_then(|c| block(observed_replication(c), Replication)),
        tags: tags::observed_map(pairs.clone()),
        force_destroy: Some(pairs.clone().any(|t| t == (FORCE_DESTROY_TAG, "true"))),
        arn: Some(format!("arn:{}:s3:::{name}", partition(bucket_region))),
        region: Some(bucket_region.to_string()),
    }))
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

/// Whether a block differs between `prior` and `desired`, by meaning.
fn differs<T: FieldValue>(prior: &Option<T>, desired: &Option<T>) -> bool {
    !forge_engine::diff::values_equal(&prior.to_value(), &desired.to_value())
}

/// The desired block when it is set and differs: blocks left unset in an
/// optional-computed field are not touched.
fn set_and_differs<'a, T: FieldValue>(prior: &Option<T>, desired: &'a Option<T>) -> Option<&'a T> {
    desired.as_ref().filter(|_| differs(prior, desired))
}

/// The calls that bring a bucket from `prior` to `desired` (normalized).
/// The public access block goes before the policy: a block that forbids
/// public policies must be relaxed before such a policy can be put.
/// Replication is removed first (before versioning could be suspended) and
/// put after versioning (which it needs).
pub fn update_calls(
    prior: &BucketFields,
    desired: &BucketFields,
) -> Result<Vec<BucketCall>, ProviderError> {
    let mut calls = Vec::new();
    let (p, d) = (prior, desired);
    let replication = differs(&p.replication_configuration, &d.replication_configuration);
    if replication && d.replication_configuration.is_none() {
        calls.push(BucketCall::DeleteReplication);
    }
    if let Some(v) = set_and_differs(&p.versioning, &d.versioning) {
        calls.push(BucketCall::Versioning(v.clone()));
    }
    if let Some(v) = set_and_differs(&p.server_side_encryption, &d.server_side_encryption) {
        calls.push(BucketCall::Encryption(v.0.clone()));
    }
    if let Some(v) = d.replication_configuration.as_ref().filter(|_| replication) {
        calls.push(BucketCall::Replication(v.0.clone()));
    }
    if let Some(v) = set_and_differs(&p.ownership_controls, &d.ownership_controls) {
        calls.push(BucketCall::Ownership(v.clone()));
    }
    if let Some(v) = set_and_differs(&p.public_access_block, &d.public_access_block) {
        calls.push(BucketCall::PublicAccessBlock(v.0.clone()));
    }
    if differs(&p.policy, &d.policy) {
        calls.push(match &d.policy {
            Some(policy) => BucketCall::Policy(
                crate::normalize::policy(policy)
                    .map_err(|e| ProviderError::Invalid(format!("policy: {e}")))?,
            ),
            None => BucketCall::DeletePolicy,
        });
    }
    if differs(&p.lifecycle_rules, &d.lifecycle_rules) {
        calls.push(match &d.lifecycle_rules {
            Some(rules) if rules.0.as_list().is_some_and(|l| !l.is_empty()) => {
                BucketCall::Lifecycle(rules.0.clone())
            }
            _ => BucketCall::DeleteLifecycle,
        });
    }
    if p.tags.0 != d.tags.0 || p.force() != d.force() {
        calls.push(BucketCall::Tags(d.tags.0.clone(), d.force()));
    }
    Ok(calls)
}

async fn run_call(client: &Client, bucket: &str, ctx: &ResourceCtx, call: BucketCall) -> Res<()> {
    let invalid =
        |what: &str, e: &dyn std::fmt::Display| ProviderError::Invalid(format!("{what}: {e}"));
    match call {
        BucketCall::Versioning(status) => {
            let conf = VersioningConfiguration::builder()
                .status(BucketVersioningStatus::from(status.as_str()))
                .build();
            let op = "PutBucketVersioning";
            s3!(set_config op, client.put_bucket_versioning(bucket).versioning_configuration(conf))
        }
        BucketCall::Encryption(v) => {
            let conf = encryption_config(&v)?;
            let op = "PutBucketEncryption";
            s3!(set_config op, client.put_bucket_encryption(bucket)
                .server_side_encryption_configuration(conf))
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
            let op = "PutBucketOwnershipControls";
            s3!(set_config op, client.put_bucket_ownership_controls(bucket)
                .ownership_controls(controls))
        }
        BucketCall::PublicAccessBlock(v) => {
            let conf = public_access_block_config(&v);
            let op = "PutPublicAccessBlock";
            s3!(set_config op, client.put_public_access_block(bucket)
                .public_access_block_configuration(conf))
        }
        BucketCall::Policy(p) => {
            s3!(set_config "PutBucketPolicy", client.put_bucket_policy(bucket).policy(p))
        }
        BucketCall::DeletePolicy => {
            s3!(set_config "DeleteBucketPolicy", client.delete_bucket_policy(bucket))
        }
        BucketCall::Lifecycle(v) => {
            let conf = BucketLifecycleConfiguration::builder()
                .set_rules(Some(lifecycle_rules(&v)?))
                .build()
                .map_err(|e| invalid("lifecycle_rules", &e))?;
            let op = "PutBucketLifecycleConfiguration";
            s3!(set_config op, client.put_bucket_lifecycle_configuration(bucket)
                .lifecycle_configuration(conf))
        }
        BucketCall::DeleteLifecycle => {
            s3!(set_config "DeleteBucketLifecycle", client.delete_bucket_lifecycle(bucket))
        }
        BucketCall::Replication(v) => {
            let conf = replication_config(&v)?;
            let op = "PutBucketReplication";
            s3!(set_config op, client.put_bucket_replication(bucket)
                .replication_configuration(conf))
        }
        BucketCall::DeleteReplication => {
            s3!(set_config "DeleteBucketReplication", client.delete_bucket_replication(bucket))
        }
        BucketCall::Tags(user, force) => {
            put_tags(client, bucket, &user, &ctx.system_tags, force).await
        }
    }
}

/// The refusal of a replication configuration on a bucket whose own
/// versioning is not (going to be) Enabled: `versioning` from the spec, or
/// the bucket's current state (`prior`) when the spec leaves it unset.
pub fn source_versioning_error(
    bucket: &str,
    prior: Option<&str>,
    desired: &BucketFields,
) -> Option<ProviderError> {
    let wants = desired.replication_configuration.is_some();
    let versioning = desired.versioning.as_deref().or(prior);
    (wants && versioning != Some("Enabled")).then(|| {
        ProviderError::Invalid(format!(
            "bucket {bucket}: replication_configuration needs `versioning: Enabled` (S3 replicates object versions; currently {})",
            versioning.unwrap_or("never enabled")
        ))
    })
}

/// The same client for another region (same credentials, endpoint and
/// retry guard): replication checks read buckets of other regions.
fn in_region(client: &Client, region: &str) -> Client {
    let conf = client
        .config()
        .to_builder()
        .region(Region::new(region.to_string()))
        .build();
    Client::from_conf(conf)
}

/// Checks, before PutBucketReplication, that the bucket and every
/// destination bucket are versioned (S3 refuses the configuration
/// otherwise, naming neither bucket nor field).
async fn check_replication(
    client: &Client,
    region: &str,
    bucket: &str,
    prior: Option<&str>,
    desired: &BucketFields,
) -> Res<()> {
    if let Some(e) = source_versioning_error(bucket, prior, desired) {
        return Err(e);
    }
    let Some(conf) = &desired.replication_configuration else {
        return Ok(());
    };
    // GetBucketLocation answers for any bucket from the partition's first
    // region; the versioning read must then go to the bucket's own region.
    let home = if partition(region) == "aws" {
        "us-east-1"
    } else {
        region
    };
    let locator = in_region(client, home);
    for dest in replication_destinations(&conf.0) {
        let located = call(
            "GetBucketLocation",
            locator.get_bucket_location().bucket(&dest).send().await,
        );
        let location = match located {
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
        let reader = in_region(client, dest_region);
        let read = call(
            "GetBucketVersioning",
            reader.get_bucket_versioning().bucket(&dest).send().await,
        );
        let status = match read {
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
) -> Res<Vec<Tag>> {
    let mut all = tags::with_system(&Tags(user.clone()), system);
    if force {
        all.insert(FORCE_DESTROY_TAG.to_string(), "true".to_string());
    }
    tags::sdk_tags(&all, |k, v| Tag::builder().key(k).value(v).build())
}

async fn put_tags(
    client: &Client,
    bucket: &str,
    user: &BTreeMap<String, String>,
    system: &BTreeMap<String, String>,
    force: bool,
) -> Res<()> {
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set(user, system, force)?))
        .build()
        .map_err(|e| ProviderError::Invalid(format!("tags: {e}")))?;
    let put = client.put_bucket_tagging().bucket(bucket).tagging(tagging);
    set_config("PutBucketTagging", put.send().await)
}

/// One page of object versions and delete markers, as identifiers.
async fn version_page(
    client: &Client,
    bucket: &str,
    key_marker: Option<String>,
    version_marker: Option<String>,
) -> Res<(
    Vec<ObjectIdentifier>,
    Option<(Option<String>, Option<String>)>,
)> {
    let out = call(
        "ListObjectVersions",
        client
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .send()
            .await,
    )?;
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
async fn count_objects(client: &Client, bucket: &str) -> Res<(usize, bool)> {
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
async fn empty_bucket(client: &Client, bucket: &str) -> Res<()> {
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
            let out = call(
                "DeleteObjects",
                client
                    .delete_objects()
                    .bucket(bucket)
                    .delete(delete)
                    .send()
                    .await,
            )?;
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

/// Creates the bucket, or finds it already made by this state (an earlier
/// attempt whose answer was lost); anyone else's is refused.
async fn create_bucket(client: &Client, ctx: &ResourceCtx, desired: &BucketFields) -> Res<()> {
    let name = &desired.bucket;
    // The ownership tags go in the CreateBucket call itself, so a bucket
    // this state made is never untagged (an answer lost after the bucket
    // was made, then a failed PutBucketTagging, would otherwise leave a
    // bucket nobody can tell is ours).
    let configuration = CreateBucketConfiguration::builder()
        .set_tags(Some(tag_set(
            &desired.tags.0,
            &ctx.system_tags,
            desired.force(),
        )?))
        // us-east-1 is the one region S3 refuses as an explicit constraint.
        .set_location_constraint(
            (ctx.region != "us-east-1")
                .then(|| BucketLocationConstraint::from(ctx.region.as_str())),
        )
        .build();
    // In us-east-1 S3 answers CreateBucket of a bucket this account already
    // owns with success (elsewhere: BucketAlreadyOwnedByYou), so an existing
    // bucket is checked before, never taken over. Any other answer than
    // "exists" or a retryable failure (404, or 403 for another account's
    // bucket) is left to CreateBucket to settle.
    let exists = match s3!(call "HeadBucket", client.head_bucket(name)) {
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
        let create = client
            .create_bucket()
            .bucket(name)
            .create_bucket_configuration(configuration)
            .set_object_ownership(
                desired
                    .ownership_controls
                    .as_deref()
                    .map(ObjectOwnership::from),
            );
        set_config("CreateBucket", create.send().await)
    };
    match result {
        Err(ProviderError::Api { code, .. }) if code == "BucketAlreadyOwnedByYou" => {
            // Ours from an earlier attempt only if it carries our tags.
            let t = bucket_tags(client, name).await?;
            let pairs = t.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            tags::ensure_ours(ctx, &format!("bucket {name}"), pairs, true)
        }
        other => other,
    }
}

#[async_trait]
impl Kind for BucketKind {
    // `arn:aws:s3:::<name>`: the id is the rest after the empty prefix.
    const ARNS: &[ArnShape] = &[ArnShape::rest("s3", "")];

    /// Its objects go with it (a non-empty bucket is only deleted with
    /// `force_destroy`), so plans that delete or replace it say so loudly.
    const HOLDS_DATA: bool = true;

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let region = ctx.region.as_str();
        each_id(ids, OBSERVE_CONCURRENCY, |name| async move {
            Box::pin(fetch_bucket(ctx.client, &name, region)).await
        })
        .await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let name = &desired.bucket;
        // Refused before the bucket exists, so a refusal leaves nothing
        // behind.
        if desired.replication_configuration.is_some() {
            Box::pin(check_replication(
                ctx.client,
                &ctx.region,
                name,
                None,
                desired,
            ))
            .await?;
        }
        Box::pin(create_bucket(ctx.client, ctx, desired)).await?;
        let tags = BucketCall::Tags(desired.tags.0.clone(), desired.force());
        Box::pin(run_call(ctx.client, name, ctx, tags)).await?;
        // A new bucket as CreateBucket left it (no rules, the tags set); the
        // blocks follow.
        let prior = BucketFields {
            bucket: name.clone(),
            lifecycle_rules: Some(LifecycleRules(Value::List(Vec::new()))),
            tags: desired.tags.clone(),
            force_destroy: desired.force_destroy,
            ..BucketFields::default()
        };
        for call in update_calls(&prior, desired)? {
            Box::pin(run_call(ctx.client, name, ctx, call)).await?;
        }
        Self::made(ctx, name.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let calls = update_calls(prior, desired)?;
        if calls
            .iter()
            .any(|c| matches!(c, BucketCall::Replication(_)))
        {
            let was = prior.versioning.as_deref();
            Box::pin(check_replication(ctx.client, &ctx.region, id, was, desired)).await?;
        }
        for call in calls {
            Box::pin(run_call(ctx.client, id, ctx, call)).await?;
        }
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, prior: &Self::Fields) -> Res<()> {
        let result: Result<(), ProviderError> = async {
            if prior.force() {
                Box::pin(empty_bucket(ctx.client, id)).await?;
            } else {
                let (count, more) = Box::pin(count_objects(ctx.client, id)).await?;
                if count > 0 {
                    return Err(not_empty_error(id, count, more));
                }
            }
            let client = ctx.client;
            match s3!(set_config "DeleteBucket", client.delete_bucket(id)) {
                // Someone wrote an object after we emptied it: try again.
                Err(ProviderError::Api { code, message }) if code == "BucketNotEmpty" => {
                    Err(ProviderError::Transient {
                        message: format!("{code}: {message}"),
                    })
                }
                other => other,
            }
        }
        .await;
        crate::error::ignore_not_found(result)
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let region = ctx.region.as_str();
        let names = collect_pages(|token| async move {
            let list = ctx
                .client
                .list_buckets()
                .bucket_region(region)
                .set_continuation_token(token);
            let out = call("ListBuckets", list.send().await)?;
            let names: Vec<String> = out
                .buckets()
                .iter()
                .filter_map(|b| b.name().map(str::to_string))
                .collect();
            Ok((names, out.continuation_token))
        })
        .await?;
        // Buckets of other regions or being deleted are not ours here.
        let tagged = concurrent_readable(names, OBSERVE_CONCURRENCY, |name| async move {
            bucket_tags(ctx.client, &name).await
        })
        .await?;
        Ok(tagged
            .into_iter()
            .filter_map(|(name, t)| {
                let pairs = t.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                tags::owned_entry(&ctx.owner, pairs, name, address)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(v: serde_json::Value) -> BucketFields {
        crate::kind::testing::spec_fields::<BucketKind>(v)
    }

    #[test]
    fn unset_blocks_are_left_alone() {
        let prior = fields_of(serde_json::json!({
            "bucket": "b", "versioning": "Enabled",
            "server_side_encryption": {"sse_algorithm": "AES256"},
            "public_access_block": {}, "ownership_controls": "BucketOwnerEnforced"
        }));
        let want = fields_of(serde_json::json!({"bucket": "b"}));
        assert_eq!(update_calls(&prior, &want).unwrap(), vec![]);
    }

    #[test]
    fn changed_blocks_map_to_their_calls_in_order() {
        let prior = fields_of(serde_json::json!({
            "bucket": "b", "policy": {"Statement": []}, "lifecycle_rules": [{"id": "r", "expiration_days": 30}],
            "tags": {"a": "1"}
        }));
        let want = fields_of(serde_json::json!({
            "bucket": "b", "versioning": "Enabled",
            "server_side_encryption": {"sse_algorithm": "aws:kms", "kms_master_key_id": "k", "bucket_key_enabled": true},
            "public_access_block": {"block_public_policy": false},
            "policy": "{\"Statement\": [{\"Effect\": \"Allow\"}]}",
            "force_destroy": true, "tags": {"a": "1"}
        }));
        let calls = update_calls(&prior, &want).unwrap();
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
        let s = crate::kind::schema_of::<BucketKind>();
        assert!(s.field("bucket").is_some_and(|f| f.force_new));
        assert_eq!(
            s.field("force_destroy").and_then(|f| f.default.clone()),
            Some(Value::Bool(false))
        );
    }

    fn replicated(versioning: &str) -> BucketFields {
        fields_of(serde_json::json!({
            "bucket": "artifacts", "versioning": versioning,
            "replication_configuration": {
                "role": "arn:aws:iam::1:role/replication",
                "rules": [{"id": "all", "destination": {"bucket": "arn:aws:s3:::artifacts-replica"}}]
            }
        }))
    }

    #[test]
    fn replication_is_put_after_versioning_and_removed_first() {
        let bare = fields_of(serde_json::json!({"bucket": "artifacts"}));
        let want = replicated("Enabled");
        let calls = update_calls(&bare, &want).unwrap();
        assert!(matches!(calls[0], BucketCall::Versioning(_)), "{calls:?}");
        assert!(matches!(calls[1], BucketCall::Replication(_)), "{calls:?}");
        assert!(update_calls(&want, &want).unwrap().is_empty());
        let off = fields_of(serde_json::json!({"bucket": "artifacts", "versioning": "Suspended"}));
        let calls = update_calls(&want, &off).unwrap();
        assert_eq!(calls[0], BucketCall::DeleteReplication);
        assert_eq!(calls[1], BucketCall::Versioning("Suspended".into()));
    }

    #[test]
    fn replication_without_versioning_is_refused_clearly() {
        let e = source_versioning_error("artifacts", None, &replicated("Suspended"))
            .unwrap()
            .to_string();
        assert!(
            e.contains("needs `versioning: Enabled`") && e.contains("Suspended"),
            "{e}"
        );
        assert!(source_versioning_error("artifacts", None, &replicated("Enabled")).is_none());
        // Versioning left unset in the spec: the bucket's current state counts.
        let mut unset = replicated("Enabled");
        unset.versioning = None;
        assert!(source_versioning_error("artifacts", None, &unset).is_some());
        assert!(source_versioning_error("artifacts", Some("Enabled"), &unset).is_none());
    }
}
