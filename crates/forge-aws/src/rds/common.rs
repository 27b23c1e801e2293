//! Code shared by the RDS kinds: error mapping, tags (including the
//! `forge:` tags that record forge-only settings), the batched
//! filter-and-marker describe loop, the engine-version rule, readiness and
//! final-snapshot naming.

use crate::error::sdk_error_busy;
pub use crate::error::{ignore_gone, is_gone};
use crate::paging::{collect_pages, for_chunks};
use crate::tags::{self, ADDRESS_TAG};
use aws_sdk_rds::types::{Filter, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{ProviderError, Readiness};
use std::collections::BTreeMap;
use std::time::Duration;

/// How often clusters and instances are polled while they converge: they
/// take minutes (5-15 on real AWS), so tighter polling only costs calls.
pub const POLL_INTERVAL: Duration = Duration::from_secs(15);
/// The default wait for a cluster or instance (resources may set
/// `timeouts:`).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60 * 60);
use std::future::Future;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "rds";

/// Concurrent RDS mutations. RDS control-plane calls are rate limited per
/// account and region; ten in flight is well inside the quota.
pub const CONCURRENCY: (&str, usize) = (SERVICE, 10);

/// Values per Describe filter. RDS documents no higher cap for
/// `db-cluster-id` / `db-instance-id` and rejects long filter lists, so
/// chunks stay at 100.
pub const FILTER_VALUES: usize = 100;

/// Codes RDS answers while the object is busy with another operation
/// (creating, modifying, backing up, an instance of a cluster still being
/// deleted). AWS's guidance is to retry once the operation finishes.
const BUSY_CODES: &[&str] = &[
    "InvalidDBClusterStateFault",
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
    "InvalidDBSubnetGroupStateFault",
    "InvalidGlobalClusterStateFault",
    "InvalidDBParameterGroupState",
    "DBClusterToBeDeletedHasActiveMembers",
];

/// Maps an RDS SDK error; "busy" states are transient.
pub fn rds_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error_busy(SERVICE, BUSY_CODES, err)
}

/// A Describe filter.
pub fn filter(name: &str, values: Vec<String>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values))
        .build()
}

/// The items whose identifier is among `ids`: one Describe per chunk of
/// [`FILTER_VALUES`] ids filtered on `filter_name`, each followed through
/// its `Marker` pages. `page(filter, marker)` fetches one page.
pub async fn describe_filtered<T, F, Fut>(
    ids: &[String],
    filter_name: &str,
    page: F,
) -> Result<Vec<T>, ProviderError>
where
    F: Fn(Option<Filter>, Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    let page = &page;
    for_chunks(ids, FILTER_VALUES, |chunk| {
        let f = filter(filter_name, chunk);
        async move { collect_pages(|marker| page(Some(f.clone()), marker)).await }
    })
    .await
}

/// RDS tags from a key/value map.
pub fn to_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// `(key, value)` pairs of a TagList.
pub fn tag_pairs(tags: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or(""))))
}

/// The value of one tag.
pub fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tag_pairs(tags).find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The `tags` attribute of an observed object (system tags hidden).
pub fn observed_tags(tags: &[Tag]) -> Value {
    tags::observed_tags(tag_pairs(tags))
}

/// `(id, forge:address)` of the items owned by `stack` (and `address`).
pub fn owned<T>(
    items: &[T],
    owner: &Owner,
    address: Option<&str>,
    id: impl Fn(&T) -> Option<&str>,
    tags_of: impl Fn(&T) -> &[Tag],
) -> Vec<(String, Option<String>)> {
    items
        .iter()
        .filter(|i| tags::owned_by(tag_pairs(tags_of(i)), owner, address))
        .filter_map(|i| {
            Some((
                id(i)?.to_string(),
                tag_value(tags_of(i), ADDRESS_TAG).map(str::to_string),
            ))
        })
        .collect()
}

/// The tag recording a forge-only setting (`forge:skip_final_snapshot`).
pub fn setting_tag(field: &str) -> String {
    format!("forge:{field}")
}

/// The forge-only settings of `attrs` (those of `fields` that are set) as
/// tags, so refresh and destroy see what the spec said.
pub fn setting_tags(attrs: &Attrs, fields: &[&str]) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|f| {
            let text = match attrs.get(*f).map(Value::unmarked)? {
                Value::Bool(b) => b.to_string(),
                Value::String(s) if !s.is_empty() => s.clone(),
                _ => return None,
            };
            Some((setting_tag(f), text))
        })
        .collect()
}

/// The forge-only settings recorded on an object, read back from its tags
/// (`true`/`false` become booleans).
pub fn settings_from_tags(tags: &[Tag], fields: &[&str]) -> Vec<(String, Value)> {
    fields
        .iter()
        .filter_map(|f| {
            let text = tag_value(tags, &setting_tag(f))?;
            let v = match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::from(other),
            };
            Some((f.to_string(), v))
        })
        .collect()
}

/// User tags plus recorded settings: the tag set forge manages on an object
/// (ownership tags excluded: they never change).
pub fn managed_tags(attrs: &Attrs, settings: &[&str]) -> BTreeMap<String, String> {
    let mut t = tags::user_tags(attrs);
    t.extend(setting_tags(attrs, settings));
    t
}

/// Brings the managed tags of the object `arn` from `prior` to `desired`
/// with at most one AddTagsToResource and one RemoveTagsFromResource.
pub async fn sync_tags(
    client: &aws_sdk_rds::Client,
    arn: &str,
    prior: &Attrs,
    desired: &Attrs,
    settings: &[&str],
) -> Result<(), ProviderError> {
    let (set, remove) = tags::diff(
        &managed_tags(prior, settings),
        &managed_tags(desired, settings),
    );
    if !set.is_empty() {
        client
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(to_tags(&set)))
            .send()
            .await
            .map_err(rds_err)?;
    }
    if !remove.is_empty() {
        client
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(rds_err)?;
    }
    Ok(())
}

/// The tags to set at create: user tags, forge's system tags and the
/// recorded settings.
pub fn create_tags(
    desired: &Attrs,
    system: &BTreeMap<String, String>,
    settings: &[&str],
) -> Vec<Tag> {
    let mut t = tags::create_tags(desired, system);
    t.extend(setting_tags(desired, settings));
    to_tags(&t)
}

/// Whether a live engine version satisfies the spec's: equal, or the spec
/// pins a prefix (`16` or `16.4`) of the live version (`16.4`, `16.4.2`).
pub fn version_covers(spec: &str, live: &str) -> bool {
    live == spec
        || live
            .strip_prefix(spec)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// When the spec's `engine_version` is a prefix of the live one, plans with
/// the live version, so a minor version AWS picked or upgraded to is not a
/// diff.
pub fn align_version(prior: Option<&Attrs>, desired: &mut Attrs) {
    let live = prior
        .and_then(|p| p.get("engine_version"))
        .and_then(Value::as_str);
    let spec = desired.get("engine_version").and_then(Value::as_str);
    if let (Some(live), Some(spec)) = (live, spec)
        && version_covers(spec, live)
    {
        let live = live.to_string();
        desired.insert("engine_version".into(), Value::String(live));
    }
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The drift classification of an engine version that changed by itself
/// within the same major version (an automatic minor upgrade).
pub fn classify_version(path: &str, recorded: &Value, live: &Value) -> Option<String> {
    if path != "engine_version" {
        return None;
    }
    let (r, l) = (recorded.as_str()?, live.as_str()?);
    let (rp, lp) = (version_parts(r), version_parts(l));
    (rp.first() == lp.first() && lp > rp)
        .then(|| format!("automatic minor version upgrade {r} -> {l}"))
}

/// Statuses from which a cluster or instance never becomes available
/// without someone fixing something.
const FAILED: &[&str] = &[
    "failed",
    "inaccessible-encryption-credentials",
    "inaccessible-encryption-credentials-recoverable",
    "incompatible-parameters",
    "incompatible-network",
    "incompatible-option-group",
    "incompatible-restore",
    "incompatible-credentials",
    "restore-error",
    "storage-full",
];

/// Readiness from an RDS status: `available` is ready, the failure states
/// above fail, everything else (`creating`, `modifying`, `backing-up`,
/// `upgrading`, `resetting-master-credentials`, `renaming`, ...) is pending.
pub fn readiness_of(observed: &Attrs) -> Readiness {
    match observed.get("status").and_then(Value::as_str) {
        None | Some("available") => Readiness::Ready,
        Some(s) if FAILED.contains(&s) => Readiness::Failed(s.to_string()),
        Some(s) => Readiness::Pending(s.to_string()),
    }
}

/// The snapshot to take when deleting `id`, or `None` when the recorded
/// settings say to skip it: `final_snapshot_identifier`, else
/// `<id>-final-<UTC timestamp>`.
pub fn final_snapshot(
    prior: &Attrs,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    if prior.get("skip_final_snapshot").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    Some(
        crate::attrs::opt_str(prior, "final_snapshot_identifier")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{id}-final-{}", now.format("%Y%m%d%H%M%S"))),
    )
}

/// Lower-cases identifier fields: RDS stores identifiers in lower case, so
/// `MyDb` in a spec must compare equal to the `mydb` AWS reports.
pub fn lower_fields(attrs: &mut Attrs, names: &[&str]) {
    for n in names {
        if let Some(Value::String(s)) = attrs.get_mut(*n) {
            *s = s.to_lowercase();
        }
    }
}

/// Normalizes KMS key fields to the key id, so a key id and a key ARN in a
/// spec both compare equal to the ARN RDS reports.
pub fn kms_fields(attrs: &mut Attrs, names: &[&str]) {
    for n in names {
        if let Some(Value::String(s)) = attrs.get_mut(*n) {
            *s = crate::kms::key_id_of(s).to_string();
        }
    }
}

/// Keeps only the schema's fields (and `id`): observers that read a shared
/// AWS type fill more than one kind uses.
pub fn retain_schema(schema: &KindSchema, attrs: &mut Attrs) {
    attrs.retain(|k, _| k == "id" || schema.fields.contains_key(k));
}

/// An i32 for the SDK from an integer field.
pub fn opt_i32(attrs: &Attrs, name: &str) -> Result<Option<i32>, ProviderError> {
    crate::attrs::opt_i64(attrs, name)
        .map(|v| {
            i32::try_from(v)
                .map_err(|_| ProviderError::Invalid(format!("`{name}` is out of range")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::busy_as_transient;

    #[test]
    fn versions_pinned_by_prefix() {
        assert!(version_covers("16", "16.4"));
        assert!(version_covers("16.4", "16.4"));
        assert!(version_covers("16.4", "16.4.2"));
        assert!(!version_covers("16.4", "16.6"));
        assert!(!version_covers("1", "16.4"));
        let prior = Attrs::from([("engine_version".to_string(), Value::from("16.6"))]);
        let mut want = Attrs::from([("engine_version".to_string(), Value::from("16"))]);
        align_version(Some(&prior), &mut want);
        assert_eq!(want["engine_version"], Value::from("16.6"));
        let mut pinned = Attrs::from([("engine_version".to_string(), Value::from("16.4"))]);
        align_version(Some(&prior), &mut pinned);
        assert_eq!(pinned["engine_version"], Value::from("16.4"));
    }

    #[test]
    fn minor_upgrades_are_classified() {
        let c =
            |r: &str, l: &str| classify_version("engine_version", &Value::from(r), &Value::from(l));
        assert!(c("16.4", "16.6").is_some());
        assert!(c("16.6", "16.4").is_none());
        assert!(c("15.4", "16.1").is_none());
        assert!(classify_version("port", &Value::from("1"), &Value::from("2")).is_none());
    }

    #[test]
    fn busy_states_are_retried_and_not_found_faults_are_gone() {
        let e = busy_as_transient(
            SERVICE,
            BUSY_CODES,
            ProviderError::Api {
                code: "InvalidDBClusterStateFault".into(),
                message: "busy".into(),
            },
        );
        assert!(e.is_retryable());
        for code in [
            "DBClusterNotFoundFault",
            "DBInstanceNotFound",
            "DBSubnetGroupNotFoundFault",
        ] {
            assert!(is_gone(&ProviderError::Api {
                code: code.into(),
                message: String::new()
            }));
        }
        assert!(!is_gone(&ProviderError::Api {
            code: "InvalidParameterValue".into(),
            message: String::new()
        }));
    }

    #[test]
    fn readiness_follows_status() {
        let s = |v: &str| Attrs::from([("status".to_string(), Value::from(v))]);
        assert_eq!(readiness_of(&s("available")), Readiness::Ready);
        assert_eq!(
            readiness_of(&s("backing-up")),
            Readiness::Pending("backing-up".into())
        );
        assert_eq!(
            readiness_of(&s("incompatible-parameters")),
            Readiness::Failed("incompatible-parameters".into())
        );
    }

    #[test]
    fn settings_round_trip_through_tags() {
        let a = Attrs::from([
            ("skip_final_snapshot".to_string(), Value::Bool(true)),
            ("final_snapshot_identifier".to_string(), Value::from("last")),
        ]);
        let fields = [
            "skip_final_snapshot",
            "final_snapshot_identifier",
            "apply_immediately",
        ];
        let tags = to_tags(&setting_tags(&a, &fields));
        assert_eq!(tags.len(), 2);
        let back: Attrs = settings_from_tags(&tags, &fields).into_iter().collect();
        assert_eq!(back["skip_final_snapshot"], Value::Bool(true));
        assert_eq!(back["final_snapshot_identifier"], Value::from("last"));
    }

    #[test]
    fn final_snapshot_names() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            final_snapshot(&Attrs::new(), "db1", now).as_deref(),
            Some("db1-final-20260102030405")
        );
        let named = Attrs::from([("final_snapshot_identifier".to_string(), Value::from("keep"))]);
        assert_eq!(final_snapshot(&named, "db1", now).as_deref(), Some("keep"));
        let skip = Attrs::from([("skip_final_snapshot".to_string(), Value::Bool(true))]);
        assert_eq!(final_snapshot(&skip, "db1", now), None);
    }
}
