//! The part `aws.rds.cluster_parameter_group` and `aws.rds.db_parameter_group`
//! share: both are a named group of engine parameters with the same
//! fields, differing only in the name field and in which RDS calls they
//! use ([`Api`]). One kind implementation ([`ParameterGroupKind`]) serves
//! both; each kind converts its fields to and from [`Group`].
//!
//! Only parameters the spec sets are compared: observe reads the group's
//! parameters with `Source=user` (those someone changed from the family's
//! default), so the hundreds of AWS defaults never show up as a diff. A
//! parameter removed from the spec is reset to its default.
//!
//! `parameters` maps a parameter name to its value (text, number or bool)
//! or to `{value, apply_method}`; `apply_method` (`immediate`, the default,
//! or `pending-reboot`, which static parameters require) says how AWS
//! applies a change, so it is not itself compared.
//!
//! Observe cost: the Describe*ParameterGroups calls ignore `Filters`, so
//! observe lists the region's groups once (paged), then per found group
//! reads its user parameters (paged) and its tags (ListTagsForResource),
//! at most eight groups at once: 1 + 2N requests for N groups.

use super::Rds;
use super::common::{
    DEFAULT_DESCRIPTION, Settings, arn_tags, by_id, create_tags, owned, user_tags,
};
use crate::error::ignore_gone;
use crate::kind::prelude::*;
use crate::paging::{collect_pages, concurrent};
use aws_sdk_rds::Client;
use aws_sdk_rds::types::{ApplyMethod, Parameter, Tag};
use forge_core::fields::Fields;
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::PlannedChange;
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// Groups read at once.
const READ_CONCURRENCY: usize = 8;
/// Parameters per Modify/Reset call (the API's cap).
const PARAMS_PER_CALL: usize = 20;
/// The apply method when the spec names none.
const IMMEDIATE: &str = "immediate";

/// Which RDS calls a parameter group kind uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// DB cluster parameter groups (Aurora clusters).
    Cluster,
    /// DB parameter groups (instances).
    Instance,
}

/// A group's fields, whichever the kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub name: String,
    pub db_parameter_group_family: String,
    pub description: Option<String>,
    pub parameters: Option<BTreeMap<String, Value>>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    pub arn: Option<String>,
}

/// One of the two parameter group kinds.
pub trait Flavor: Send + Sync + 'static {
    /// `aws.rds.<kind>`.
    const KIND: &'static str;
    /// The schema's description.
    const DESCRIPTION: &'static str;
    /// The ARN shape.
    const ARN: ArnShape;
    /// The calls.
    const API: Api;
    /// The kind's fields (declared with [`group_kind`]).
    type Fields: Fields + Clone + Send + Sync + 'static + From<Group> + Into<Group>;
}

/// Declares a parameter group kind: its fields `$fields` (the same six for
/// both kinds, the name field called `$name`) with their conversions from
/// and to [`Group`], its [`Flavor`] `$flavor` and the kind `$alias`.
macro_rules! group_kind {
    (
        $flavor:ident, $fields:ident, $alias:ident, $name:tt,
        $kind:literal, $description:literal, $arn:literal, $api:ident
    ) => {
        #[doc = concat!("The flavor of `", $kind, "`.")]
        pub struct $flavor;

        impl $crate::rds::parameters::Flavor for $flavor {
            const KIND: &'static str = $kind;
            const DESCRIPTION: &'static str = $description;
            const ARN: $crate::kind::ArnShape = $crate::kind::ArnShape::rest("rds", $arn);
            const API: $crate::rds::parameters::Api = $crate::rds::parameters::Api::$api;
            type Fields = $fields;
        }

        #[doc = concat!("The `", $kind, "` kind.")]
        pub type $alias = $crate::rds::parameters::ParameterGroupKind<$flavor>;

        /// The fields of a parameter group kind.
        #[derive(Debug, Clone, forge_derive::Fields)]
        pub struct $fields {
            /// The group's name (stored lower case).
            #[field(force_new, normalize = crate::normalize::lower_value, name = $name)]
            pub name: String,
            /// The engine family, e.g. aurora-postgresql16 or postgres16.
            #[field(force_new)]
            pub db_parameter_group_family: String,
            /// What the group is for (RDS cannot change it later).
            #[field(force_new, default = "Managed by forge")]
            pub description: Option<String>,
            /// Parameter name -> value, or -> {value, apply_method: immediate|pending-reboot}.
            #[field(normalize = $crate::rds::parameters::normalize_parameters)]
            pub parameters: Option<std::collections::BTreeMap<String, forge_core::Value>>,
            /// The user's tags (the schema's description is `Tags`'s own).
            pub tags: forge_core::fields::Tags,
            /// The group's ARN.
            pub arn: $crate::kind::Computed<String>,
        }

        $crate::rds::parameters::convert!($crate::rds::parameters::Group => $fields);
        $crate::rds::parameters::convert!($fields => $crate::rds::parameters::Group);
    };
}
pub(crate) use group_kind;

/// `From<$from> for $to`, field by field: both have [`Group`]'s fields.
macro_rules! convert {
    ($from:ty => $to:ty) => {
        impl From<$from> for $to {
            fn from(g: $from) -> Self {
                Self {
                    name: g.name,
                    db_parameter_group_family: g.db_parameter_group_family,
                    description: g.description,
                    parameters: g.parameters,
                    tags: g.tags,
                    arn: g.arn,
                }
            }
        }
    };
}
pub(crate) use convert;

/// The kind of parameter groups of flavor `F`.
pub struct ParameterGroupKind<F>(PhantomData<F>);

impl<F> Default for ParameterGroupKind<F> {
    fn default() -> Self {
        ParameterGroupKind(PhantomData)
    }
}

/// One parameter's value as text (YAML numbers and bools included).
fn text(v: &Value) -> Option<String> {
    match v.unmarked() {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if b { "1" } else { "0" }.to_string()),
        _ => None,
    }
}

fn param_value(value: String, method: &str) -> Value {
    Value::Map(BTreeMap::from([
        ("value".to_string(), Value::String(value)),
        ("apply_method".to_string(), Value::from(method)),
    ]))
}

/// The `parameters` normalizer: every entry as `{value, apply_method}`.
pub fn normalize_parameters(v: &Value) -> Value {
    let Value::Map(m) = v else { return v.clone() };
    if !m.values().all(Value::is_known) {
        return v.clone();
    }
    let out = m.iter().filter_map(|(name, v)| {
        let (value, method) = match v.unmarked() {
            Value::Map(obj) => {
                let method = obj.get("apply_method").and_then(Value::as_str);
                (
                    obj.get("value").and_then(text)?,
                    method.unwrap_or(IMMEDIATE).to_string(),
                )
            }
            other => (text(&other)?, IMMEDIATE.to_string()),
        };
        Some((name.clone(), param_value(value, &method)))
    });
    Value::Map(out.collect())
}

/// `name -> (value, apply_method)` of normalized `parameters`.
fn parameter_list(p: &Option<BTreeMap<String, Value>>) -> BTreeMap<String, (String, String)> {
    let entries = p.iter().flatten();
    entries
        .filter_map(|(k, v)| {
            let value = v.get("value").and_then(Value::as_str)?.to_string();
            let method = v.get("apply_method").and_then(Value::as_str);
            Some((k.clone(), (value, method.unwrap_or(IMMEDIATE).to_string())))
        })
        .collect()
}

/// Parameters to set: `(name, value, apply_method)`.
pub type ToSet = Vec<(String, String, String)>;
/// Parameters to reset to the family default: `(name, apply_method)`.
pub type ToReset = Vec<(String, String)>;

/// What differs: parameters to set and parameters to reset to default.
pub fn parameter_diff(prior: &Group, desired: &Group) -> (ToSet, ToReset) {
    let (p, d) = (
        parameter_list(&prior.parameters),
        parameter_list(&desired.parameters),
    );
    let set = d
        .iter()
        .filter(|(k, (v, _))| p.get(*k).map(|(pv, _)| pv) != Some(v))
        .map(|(k, (v, m))| (k.clone(), v.clone(), m.clone()))
        .collect();
    let reset = p
        .iter()
        .filter(|(k, _)| !d.contains_key(*k))
        .map(|(k, (_, m))| (k.clone(), m.clone()))
        .collect();
    (set, reset)
}

/// One call of `api` on the group `$name`: `$c` / `$i` are the cluster and
/// instance operations, `$cn` / `$in` their group-name setters, then the
/// rest of the chain (the same for both); the answer, as `$out`, is mapped
/// by `$map` (by default to `()`).
macro_rules! call {
    ($api:expr, $client:expr, $c:ident / $i:ident, $cn:ident / $in:ident ($name:expr)
     $(.$m:ident($($a:expr),*))*; |$out:ident| $cmap:expr, $imap:expr) => {
        match $api {
            Api::Cluster => ($client.$c().$cn($name)$(.$m($($a),*))*.send().await)
                .map(|$out| $cmap)
                .map_err(Rds::err),
            Api::Instance => ($client.$i().$in($name)$(.$m($($a),*))*.send().await)
                .map(|$out| $imap)
                .map_err(Rds::err),
        }
    };
    ($api:expr, $client:expr, $c:ident / $i:ident, $cn:ident / $in:ident ($name:expr)
     $(.$m:ident($($a:expr),*))*; |$out:ident| $map:expr) => {
        call!($api, $client, $c / $i, $cn / $in ($name) $(.$m($($a),*))*; |$out| $map, $map)
    };
    ($api:expr, $client:expr, $c:ident / $i:ident, $cn:ident / $in:ident ($name:expr)
     $(.$m:ident($($a:expr),*))*) => {
        call!($api, $client, $c / $i, $cn / $in ($name) $(.$m($($a),*))*; |_out| ())
    };
}

/// Every group of the region (name, family, description, ARN).
async fn list(client: &Client, api: Api) -> Result<Vec<Group>, ProviderError> {
    let group = |name: Option<&str>, family: Option<&str>, d: Option<&str>, arn: Option<&str>| {
        Some(Group {
            name: name?.to_string(),
            db_parameter_group_family: family.unwrap_or_default().to_string(),
            description: d.map(str::to_string),
            arn: arn.map(str::to_string),
            ..Group::default()
        })
    };
    collect_pages(|marker| async move {
        call!(api, client,
            describe_db_cluster_parameter_groups / describe_db_parameter_groups,
            set_marker / set_marker(marker);
            |out| (out.db_cluster_parameter_groups().iter().filter_map(|g| group(
                g.db_cluster_parameter_group_name(), g.db_parameter_group_family(),
                g.description(), g.db_cluster_parameter_group_arn())).collect(), out.marker),
            (out.db_parameter_groups().iter().filter_map(|g| group(
                g.db_parameter_group_name(), g.db_parameter_group_family(),
                g.description(), g.db_parameter_group_arn())).collect(), out.marker))
    })
    .await
}

/// The listed groups with their tags (and, given `params`, their user
/// parameters, `Source=user`): the group with its full tag list.
async fn with_details(
    client: &Client,
    api: Api,
    groups: Vec<Group>,
    params: bool,
) -> Result<Vec<(Group, Vec<Tag>)>, ProviderError> {
    concurrent(groups, READ_CONCURRENCY, |mut g| async move {
        let tags = arn_tags(client, g.arn.as_deref()).await?;
        g.tags = user_tags(&tags);
        if params {
            let name = &g.name;
            let ps = collect_pages(|marker| async move {
                call!(api, client, describe_db_cluster_parameters / describe_db_parameters,
                    db_cluster_parameter_group_name / db_parameter_group_name(name)
                    .source("user").set_marker(marker);
                    |out| (out.parameters.unwrap_or_default(), out.marker))
            })
            .await?;
            // An emulator may list parameters without a value; AWS's user
            // source never does.
            let entries = ps.iter().filter_map(|p| {
                let method = p.apply_method().map(ApplyMethod::as_str);
                let value = param_value(
                    p.parameter_value()?.to_string(),
                    method.unwrap_or(IMMEDIATE),
                );
                Some((p.parameter_name()?.to_string(), value))
            });
            g.parameters = Some(entries.collect());
        }
        Ok((g, tags))
    })
    .await
}

/// Sets and resets parameters, [`PARAMS_PER_CALL`] a call.
async fn modify(
    client: &Client,
    api: Api,
    name: &str,
    set: ToSet,
    reset: ToReset,
) -> Result<(), ProviderError> {
    let param = |n: &str, v: Option<&str>, m: &str| {
        Parameter::builder()
            .parameter_name(n)
            .set_parameter_value(v.map(str::to_string))
            .apply_method(ApplyMethod::from(m))
            .build()
    };
    let set = set.iter().map(|(n, v, m)| param(n, Some(v), m));
    for chunk in set.collect::<Vec<_>>().chunks(PARAMS_PER_CALL) {
        call!(
            api,
            client,
            modify_db_cluster_parameter_group / modify_db_parameter_group,
            db_cluster_parameter_group_name
                / db_parameter_group_name(name).set_parameters(Some(chunk.to_vec()))
        )?;
    }
    let reset = reset.iter().map(|(n, m)| param(n, None, m));
    for chunk in reset.collect::<Vec<_>>().chunks(PARAMS_PER_CALL) {
        call!(
            api,
            client,
            reset_db_cluster_parameter_group / reset_db_parameter_group,
            db_cluster_parameter_group_name
                / db_parameter_group_name(name)
                    .reset_all_parameters(false)
                    .set_parameters(Some(chunk.to_vec()))
        )?;
    }
    Ok(())
}

crate::kind::declare_kind!(ParameterGroupKind<F: Flavor>, Rds);

#[async_trait]
impl<F: Flavor> Kind for ParameterGroupKind<F> {
    const ARNS: &[ArnShape] = &[F::ARN];

    /// No parameters has one spelling: `{}`.
    fn normalize(attrs: &mut Attrs) {
        if attrs.get("parameters").is_none_or(Value::is_null) {
            attrs.insert("parameters".into(), Value::Map(BTreeMap::new()));
        }
    }

    fn plan(schema: &KindSchema, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
        // apply_method says how to apply a change, not what is set: take
        // the spec's for every parameter both sides have.
        let prior = prior.map(|p| {
            let mut p = p.clone();
            if let (Some(Value::Map(pm)), Some(Value::Map(dm))) =
                (p.get_mut("parameters"), desired.get("parameters"))
            {
                for (k, v) in pm.iter_mut() {
                    if let (Value::Map(pv), Some(m)) =
                        (v, dm.get(k).and_then(|d| d.get("apply_method")))
                    {
                        pv.insert("apply_method".into(), m.clone());
                    }
                }
            }
            p
        });
        forge_engine::diff::schema_plan(schema, prior.as_ref(), desired)
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let wanted = |g: &Group| ids.iter().any(|i| i.eq_ignore_ascii_case(&g.name));
        let found: Vec<Group> = list(ctx.client, F::API)
            .await?
            .into_iter()
            .filter(wanted)
            .collect();
        let found = with_details(ctx.client, F::API, found, true).await?;
        Ok(by_id(
            &found,
            ids,
            |(g, _)| Some(&g.name),
            |(g, _)| F::Fields::from(g.clone()),
        ))
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let d: Group = desired.clone().into();
        let name = d.name.to_lowercase();
        let description = d.description.as_deref().unwrap_or(DEFAULT_DESCRIPTION);
        let tags = Some(create_tags(&d.tags, ctx, &Settings::default()));
        call!(
            F::API,
            ctx.client,
            create_db_cluster_parameter_group / create_db_parameter_group,
            db_cluster_parameter_group_name
                / db_parameter_group_name(&name)
                    .db_parameter_group_family(&d.db_parameter_group_family)
                    .description(description)
                    .set_tags(tags)
        )?;
        let (set, _) = parameter_diff(&Group::default(), &d);
        modify(ctx.client, F::API, &name, set, Vec::new()).await?;
        let fields = Self::read_back(ctx, &name).await?;
        Ok(Made { id: name, fields })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let (p, d): (Group, Group) = (prior.clone().into(), desired.clone().into());
        let (set, reset) = parameter_diff(&p, &d);
        modify(ctx.client, F::API, id, set, reset).await?;
        if let Some(arn) = &p.arn {
            sync_tags::<Rds>(ctx.client, arn, &p.tags, &d.tags).await?;
        }
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        ignore_gone(call!(
            F::API,
            ctx.client,
            delete_db_cluster_parameter_group / delete_db_parameter_group,
            db_cluster_parameter_group_name / db_parameter_group_name(id)
        ))
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let all = with_details(ctx.client, F::API, list(ctx.client, F::API).await?, false).await?;
        Ok(owned(
            &all,
            &ctx.owner,
            address,
            |(g, _)| Some(&g.name),
            |(_, t)| t.as_slice(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use crate::rds::cluster_parameter_group::ClusterParameterGroupKind as K;
    use forge_engine::Provider;

    fn desired(v: serde_json::Value) -> Attrs {
        testing::desired::<K>(v)
    }

    fn group(v: serde_json::Value) -> Group {
        let p = Value::from_json(&v).as_map().cloned();
        let p = normalize_parameters(&Value::Map(p.unwrap()));
        Group {
            parameters: p.as_map().cloned(),
            ..Group::default()
        }
    }

    #[test]
    fn each_kind_names_its_group_field() {
        use crate::kind::schema_of;
        use crate::rds::db_parameter_group::DbParameterGroupKind;
        for (s, kind, name) in [
            (
                schema_of::<K>(),
                "aws.rds.cluster_parameter_group",
                "db_cluster_parameter_group_name",
            ),
            (
                schema_of::<DbParameterGroupKind>(),
                "aws.rds.db_parameter_group",
                "db_parameter_group_name",
            ),
        ] {
            assert_eq!(s.kind, kind);
            assert!(s.field(name).is_some(), "{kind}");
            assert_eq!(s.fields.len(), 6, "{kind}");
        }
    }

    #[test]
    fn shorthand_and_objects_normalize_alike() {
        let a = desired(
            serde_json::json!({"parameters": {"log_min_duration_statement": 500, "rds.force_ssl": {"value": "1", "apply_method": "pending-reboot"}}}),
        );
        let p = &a["parameters"];
        assert_eq!(
            p.get("log_min_duration_statement")
                .and_then(|v| v.get("value")),
            Some(&Value::from("500"))
        );
        assert_eq!(
            p.get("rds.force_ssl").and_then(|v| v.get("apply_method")),
            Some(&Value::from("pending-reboot"))
        );
        assert_eq!(
            desired(serde_json::json!({}))["parameters"],
            Value::Map(BTreeMap::new())
        );
    }

    #[test]
    fn only_changed_parameters_are_sent_and_removed_ones_reset() {
        let prior = group(serde_json::json!({"a": "1", "b": "2"}));
        let want = group(serde_json::json!({"a": 1, "c": "3"}));
        let (set, reset) = parameter_diff(&prior, &want);
        assert_eq!(set, vec![("c".into(), "3".into(), "immediate".into())]);
        assert_eq!(reset, vec![("b".into(), "immediate".into())]);
    }

    #[test]
    fn apply_method_alone_is_not_a_diff() {
        let p = testing::provider::<K>();
        let mut prior = desired(
            serde_json::json!({"db_cluster_parameter_group_name": "g", "db_parameter_group_family": "aurora-postgresql16", "parameters": {"a": "1"}}),
        );
        prior.insert("id".into(), Value::from("g"));
        let want = desired(
            serde_json::json!({"db_cluster_parameter_group_name": "G", "db_parameter_group_family": "aurora-postgresql16", "parameters": {"a": {"value": 1, "apply_method": "pending-reboot"}}}),
        );
        let plan = p.plan(Some(&prior), &want);
        assert_eq!(
            plan.action,
            forge_engine::PlannedAction::NoOp,
            "{:?}",
            plan.changes
        );
    }
}
