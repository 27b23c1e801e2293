//! Code shared by the RDS kinds: tags (including the `forge:` tags that
//! record forge-only settings), the batched filter-and-marker describe loop
//! and its matching of ids, the engine-version rule, readiness and
//! final-snapshot naming.

use super::{Rds, to_tags};
use crate::kind::{Owned, Res, Service};
pub(crate) use crate::normalize::{classify_version, version_covers, version_newer};
use crate::paging::{collect_pages, for_chunks};
use crate::tags::{self, ADDRESS_TAG};
use aws_sdk_rds::types::{Filter, Tag};
use forge_core::fields::Tags;
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::{FieldChange, Owner, PlannedChange, ProviderError, Readiness, ResourceCtx};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// How often clusters and instances are polled while they converge: they
/// take minutes (5-15 on real AWS), so tighter polling only costs calls.
pub const POLL_INTERVAL: Duration = Duration::from_secs(15);
/// The default wait for a cluster or instance (resources may set
/// `timeouts:`).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The description when the spec gives none (the API requires one).
pub const DEFAULT_DESCRIPTION: &str = "Managed by forge";

/// Values per Describe filter. RDS documents no higher cap for
/// `db-cluster-id` / `db-instance-id` and rejects long filter lists, so
/// chunks stay at 100.
const FILTER_VALUES: usize = 100;

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
        let f = Filter::builder()
            .name(filter_name)
            .set_values(Some(chunk))
            .build();
        async move { collect_pages(|marker| page(Some(f.clone()), marker)).await }
    })
    .await
}

/// The found objects as fields, keyed by the ids asked for: RDS stores
/// identifiers lower case, and an id recorded in another case still
/// matches its object.
pub fn by_id<T, F>(
    found: &[T],
    ids: &[String],
    name: impl Fn(&T) -> Option<&str>,
    fields: impl Fn(&T) -> F,
) -> BTreeMap<String, F> {
    let mut out = BTreeMap::new();
    for item in found {
        let Some(n) = name(item) else { continue };
        for id in ids.iter().filter(|i| i.eq_ignore_ascii_case(n)) {
            out.insert(id.clone(), fields(item));
        }
    }
    out
}

/// `(key, value)` pairs of a TagList.
pub fn tag_pairs(tags: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or(""))))
}

fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tag_pairs(tags).find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The user tags of an observed object (system tags hidden).
pub fn user_tags(tags: &[Tag]) -> Tags {
    tags::observed_map(tag_pairs(tags))
}

/// The tags of an RDS object by ARN (for the kinds whose describe
/// returns none); an object without an ARN has none.
pub async fn arn_tags(client: &aws_sdk_rds::Client, arn: Option<&str>) -> Res<Vec<Tag>> {
    let Some(arn) = arn else {
        return Ok(Vec::new());
    };
    let out = client.list_tags_for_resource().resource_name(arn).send();
    Ok(out.await.map_err(Rds::err)?.tag_list.unwrap_or_default())
}

/// `(id, forge:address)` of the items owned by `owner` (and `address`).
pub fn owned<T>(
    items: &[T],
    owner: &Owner,
    address: Option<&str>,
    id: impl Fn(&T) -> Option<&str>,
    tags_of: impl Fn(&T) -> &[Tag],
) -> Vec<Owned> {
    items
        .iter()
        .filter(|i| owner.owns(tag_pairs(tags_of(i)), address))
        .filter_map(|i| {
            let at = tag_value(tags_of(i), ADDRESS_TAG).map(str::to_string);
            Some((id(i)?.to_string(), at))
        })
        .collect()
}

/// Identifiers as a sorted set (security groups, log types, subnets).
pub fn sorted<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().map(str::to_string).collect();
    v.sort();
    v.dedup();
    v
}

/// The forge-only settings of a cluster or instance (`skip_final_snapshot`,
/// `final_snapshot_identifier`, `apply_immediately`): not RDS properties,
/// so forge records them on the object as `forge:<name>` tags and refresh
/// and destroy see what the spec said. A kind without one leaves it `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub skip_final_snapshot: Option<bool>,
    pub final_snapshot_identifier: Option<String>,
    pub apply_immediately: Option<bool>,
}

impl Settings {
    /// The settings that are set, as tags.
    fn tags(&self) -> BTreeMap<String, String> {
        let name = self.final_snapshot_identifier.clone();
        [
            (
                "skip_final_snapshot",
                self.skip_final_snapshot.map(|b| b.to_string()),
            ),
            ("final_snapshot_identifier", name.filter(|s| !s.is_empty())),
            (
                "apply_immediately",
                self.apply_immediately.map(|b| b.to_string()),
            ),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((format!("forge:{k}"), v?)))
        .collect()
    }

    /// The settings recorded on an object; one it does not carry (an
    /// object forge did not make) is `None`, and refresh keeps the state's
    /// value for it (the fields are `local`).
    pub fn from_tags(tags: &[Tag]) -> Settings {
        let get = |k: &str| tag_value(tags, &format!("forge:{k}"));
        let flag = |k: &str| get(k).map(|v| v == "true");
        Settings {
            skip_final_snapshot: flag("skip_final_snapshot"),
            final_snapshot_identifier: get("final_snapshot_identifier").map(str::to_string),
            apply_immediately: flag("apply_immediately"),
        }
    }

    /// The snapshot to take when deleting `id`, or `None` when the settings
    /// say to skip it: `final_snapshot_identifier`, else
    /// `<id>-final-<UTC timestamp>`.
    pub fn final_snapshot(&self, id: &str, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
        if self.skip_final_snapshot == Some(true) {
            return None;
        }
        Some(
            self.final_snapshot_identifier
                .clone()
                .unwrap_or_else(|| format!("{id}-final-{}", now.format("%Y%m%d%H%M%S"))),
        )
    }
}

/// The [`Settings`] of fields (or a [`Spec`](super::instance::Spec))
/// holding the three settings fields.
macro_rules! settings_of {
    ($f:expr) => {
        $crate::rds::common::Settings {
            skip_final_snapshot: $f.skip_final_snapshot,
            final_snapshot_identifier: $f.final_snapshot_identifier.clone(),
            apply_immediately: $f.apply_immediately,
        }
    };
}
pub(crate) use settings_of;

/// The tags to set at create: user tags, forge's system tags and the
/// recorded settings.
pub fn create_tags(user: &Tags, ctx: &ResourceCtx, settings: &Settings) -> Vec<Tag> {
    let mut t = tags::with_system(user, &ctx.system_tags);
    t.extend(settings.tags());
    to_tags(&t)
}

/// Brings the user tags and recorded settings of the object `arn` from
/// `prior` to `desired` with at most one AddTagsToResource and one
/// RemoveTagsFromResource (ownership tags never change).
pub async fn sync_tags_and_settings(
    client: &aws_sdk_rds::Client,
    arn: &str,
    prior: (&Tags, &Settings),
    desired: (&Tags, &Settings),
) -> Result<(), ProviderError> {
    let managed = |(t, s): (&Tags, &Settings)| tags::with_system(t, &s.tags());
    crate::kind::send_tag_diff::<Rds>(client, arn, &managed(prior), &managed(desired)).await
}

/// The plan of a kind with an `engine_version`: when the spec's version is
/// a prefix of the live one, it plans with the live version, so a minor
/// version AWS picked or upgraded to is not a diff.
///
/// `follows` names the field that makes the object a member of an Aurora
/// global database (a cluster's `global_cluster_identifier`). A member's
/// version is upgraded by its global cluster (ModifyGlobalCluster upgrades
/// every member in place), so a live version later than the member's own
/// pin is the global upgrade, not a change to undo: RDS cannot downgrade a
/// cluster, and refuses a major version change made on a member. This is
/// built in where terraform-provider-aws asks for `ignore_changes =
/// [engine_version]` on the members.
pub fn version_plan(
    schema: &KindSchema,
    prior: Option<&Attrs>,
    desired: &Attrs,
    follows: Option<&str>,
) -> PlannedChange {
    let mut desired = desired.clone();
    let live = prior.and_then(|p| p.get("engine_version")?.as_str());
    let spec = desired.get("engine_version").and_then(Value::as_str);
    let member = follows
        .and_then(|f| desired.get(f)?.as_str())
        .is_some_and(|g| !g.is_empty());
    if let (Some(live), Some(spec)) = (live, spec)
        && (version_covers(spec, live) || member && version_newer(live, spec))
    {
        desired.insert("engine_version".into(), Value::from(live));
    }
    forge_engine::diff::schema_plan(schema, prior, &desired)
}

/// Why an engine version that moved is not drift: an automatic minor
/// upgrade ([`classify_version`]), or, on a global database member
/// (`follows`, see [`version_plan`]), a later version its global cluster
/// upgraded it to.
pub fn classify_member_version(
    path: &str,
    (recorded, live): (&Value, &Value),
    object: &Attrs,
    follows: Option<&str>,
) -> Option<String> {
    if let Some(reason) = classify_version(path, recorded, live) {
        return Some(reason);
    }
    let member = follows.and_then(|f| object.get(f)?.as_str())?;
    let (r, l) = (recorded.as_str()?, live.as_str()?);
    (path == "engine_version" && !member.is_empty() && version_newer(l, r))
        .then(|| format!("upgraded with global cluster {member}: {r} -> {l}"))
}

/// The engine version a Modify call sends (none when the live version
/// satisfies the spec's) and whether it is a major upgrade.
pub fn version_change(prior: &Option<String>, desired: &Option<String>) -> (Option<String>, bool) {
    let live = prior.as_deref();
    let send = desired
        .clone()
        .filter(|d| live.is_none_or(|p| !version_covers(d, p)));
    let major = |v: &str| v.split('.').next().unwrap_or(v).to_string();
    let upgrade = matches!((&send, live), (Some(v), Some(p)) if major(v) != major(p));
    (send, upgrade)
}

/// Whether the plan's `changes` touch `field` (or a part of it).
pub fn changed(changes: &[FieldChange], field: &str) -> bool {
    changes.iter().any(|c| {
        c.path == field
            || c.path
                .strip_prefix(field)
                .is_some_and(|r| r.starts_with('.'))
    })
}

/// Whether `changes` need a Modify call: tags and the forge-only settings
/// ([`Settings`]) are tags only.
pub fn needs_modify(changes: &[FieldChange]) -> bool {
    const TAG_ONLY: &[&str] = &[
        "tags",
        "skip_final_snapshot",
        "final_snapshot_identifier",
        "apply_immediately",
    ];
    changes
        .iter()
        .any(|c| !TAG_ONLY.contains(&c.path.split('.').next().unwrap_or("")))
}

/// The desired value when it is set and differs from the prior one: what
/// a Modify call sends for a field.
pub fn pick<T: PartialEq + Clone>(prior: &Option<T>, desired: &Option<T>) -> Option<T> {
    desired.clone().filter(|d| prior.as_ref() != Some(d))
}

/// Text RDS reports, owned.
pub fn text(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// An identifier RDS reports, lower case as the spec's normalize makes it.
pub fn lower(v: Option<&str>) -> Option<String> {
    v.map(str::to_lowercase)
}

/// The KMS key of an observed object, as a key id, only when it is
/// encrypted (an emulator may report a placeholder otherwise).
pub fn kms_key(on: bool, key: Option<&str>) -> Option<String> {
    key.filter(|_| on)
        .map(|k| crate::arn::key_id_of(k).to_string())
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
pub fn readiness_of(status: Option<&str>) -> Readiness {
    match status {
        None | Some("available") => Readiness::Ready,
        Some(s) if FAILED.contains(&s) => Readiness::Failed(s.to_string()),
        Some(s) => Readiness::Pending(s.to_string()),
    }
}

/// The [`Kind`](crate::kind::Kind) items every RDS kind with a status and
/// an engine version shares (clusters, instances, global clusters): its
/// deletion is awaited, readiness follows `$status` (of the observed fields
/// `$o`), and version pins plan and classify by prefix ([`version_plan`],
/// [`classify_version`]). `slow` adds the polling and the wait of objects
/// that take minutes ([`POLL_INTERVAL`], [`READY_TIMEOUT`]).
macro_rules! versioned_kind {
    (|$o:ident| $status:expr) => {
        $crate::rds::common::versioned_kind!(|$o| $status, follows = None);
    };
    (|$o:ident| $status:expr, follows = $follows:expr) => {
        const AWAIT_DELETION: bool = true;

        fn readiness($o: &Self::Fields) -> forge_engine::Readiness {
            $crate::rds::common::readiness_of($status)
        }

        fn deleting($o: &Self::Fields) -> bool {
            $status == Some("deleting")
        }

        fn classify_change(
            path: &str,
            recorded: &forge_core::Value,
            live: &forge_core::Value,
            object: &forge_core::Attrs,
        ) -> Option<String> {
            $crate::rds::common::classify_member_version(path, (recorded, live), object, $follows)
        }

        fn plan(
            schema: &forge_core::KindSchema,
            prior: Option<&forge_core::Attrs>,
            desired: &forge_core::Attrs,
        ) -> forge_engine::PlannedChange {
            $crate::rds::common::version_plan(schema, prior, desired, $follows)
        }
    };
    (|$o:ident| $status:expr, slow $(, follows = $follows:expr)?) => {
        $crate::rds::common::versioned_kind!(|$o| $status $(, follows = $follows)?);

        const POLL_INTERVAL: std::time::Duration = $crate::rds::common::POLL_INTERVAL;

        const READY_TIMEOUT: std::time::Duration = $crate::rds::common::READY_TIMEOUT;
    };
}
pub(crate) use versioned_kind;

/// One page of a filtered, `Marker`-paged RDS describe, as the closure
/// `(filter, marker) -> (items, next marker)` [`describe_filtered`] takes
/// (a `None` filter lists every object): `$request` builds the request,
/// `$items` names the answer's list.
macro_rules! describe_page {
    ($request:expr, $items:ident) => {
        |filter: Option<aws_sdk_rds::types::Filter>, marker: Option<String>| async move {
            let request = ($request).set_filters(filter.map(|f| vec![f]));
            let out = request.set_marker(marker).send().await;
            let out = out.map_err(<$crate::rds::Rds as $crate::kind::Service>::err)?;
            Ok((out.$items.unwrap_or_default(), out.marker))
        }
    };
}
pub(crate) use describe_page;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_pinned_by_prefix() {
        assert!(version_covers("16", "16.4"));
        assert!(version_covers("16.4", "16.4"));
        assert!(version_covers("16.4", "16.4.2"));
        assert!(!version_covers("16.4", "16.6"));
        assert!(!version_covers("1", "16.4"));
        let v = |s: &str| Some(s.to_string());
        assert_eq!(version_change(&v("16.6"), &v("16")), (None, false));
        assert_eq!(version_change(&v("16.6"), &v("16.4")), (v("16.4"), false));
        assert_eq!(version_change(&v("15.4"), &v("16.4")), (v("16.4"), true));
        assert_eq!(version_change(&v("16.6"), &None), (None, false));
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
    fn a_members_global_upgrade_is_not_drift() {
        let member: Attrs = [("global_cluster_identifier".into(), Value::from("g"))].into();
        let follows = Some("global_cluster_identifier");
        let c = |r: &str, l: &str, object: &Attrs, follows| {
            let pair = (&Value::from(r), &Value::from(l));
            classify_member_version("engine_version", pair, object, follows)
        };
        assert_eq!(
            c("15.4", "16.1", &member, follows).as_deref(),
            Some("upgraded with global cluster g: 15.4 -> 16.1")
        );
        // Not a member, not this kind's rule, or a downgrade: drift.
        assert!(c("15.4", "16.1", &Attrs::new(), follows).is_none());
        assert!(c("15.4", "16.1", &member, None).is_none());
        assert!(c("16.1", "15.4", &member, follows).is_none());
        // The automatic minor upgrade rule still applies.
        assert!(c("16.1", "16.2", &Attrs::new(), None).is_some());
    }

    #[test]
    fn readiness_follows_status() {
        assert_eq!(readiness_of(Some("available")), Readiness::Ready);
        assert_eq!(
            readiness_of(Some("backing-up")),
            Readiness::Pending("backing-up".into())
        );
        assert_eq!(
            readiness_of(Some("incompatible-parameters")),
            Readiness::Failed("incompatible-parameters".into())
        );
    }

    #[test]
    fn settings_round_trip_through_tags() {
        let s = Settings {
            skip_final_snapshot: Some(true),
            final_snapshot_identifier: Some("last".into()),
            apply_immediately: None,
        };
        let tags = to_tags(&s.tags());
        assert_eq!(tags.len(), 2);
        let back = Settings::from_tags(&tags);
        assert_eq!(back.skip_final_snapshot, Some(true));
        assert_eq!(back.final_snapshot_identifier.as_deref(), Some("last"));
        assert_eq!(
            back.apply_immediately, None,
            "not carried: the state's value counts"
        );
    }

    #[test]
    fn final_snapshot_names() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let none = Settings::default();
        assert_eq!(
            none.final_snapshot("db1", now).as_deref(),
            Some("db1-final-20260102030405")
        );
        let named = Settings {
            final_snapshot_identifier: Some("keep".into()),
            ..Settings::default()
        };
        assert_eq!(named.final_snapshot("db1", now).as_deref(), Some("keep"));
        let skip = Settings {
            skip_final_snapshot: Some(true),
            ..Settings::default()
        };
        assert_eq!(skip.final_snapshot("db1", now), None);
    }
}
