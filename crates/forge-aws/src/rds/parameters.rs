//! The part `aws.rds.cluster_parameter_group` and `aws.rds.db_parameter_group`
//! share: both are a named group of engine parameters with the same
//! fields, differing only in which RDS calls they use ([`Flavor`]).
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

use super::common::{
    CONCURRENCY, create_tags, ignore_gone, lower_fields, observed_tags, owned, rds_err, sync_tags,
};
use super::db_subnet_group::arn_tags;
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, concurrent};
use crate::tags;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_rds::Client;
use aws_sdk_rds::types::{ApplyMethod, Parameter, Tag};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{
    Created, FieldChange, ObserveCtx, PlannedChange, Provider, ProviderError, ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Groups read at once.
const READ_CONCURRENCY: usize = 8;
/// Parameters per Modify/Reset call (the API's cap).
const PARAMS_PER_CALL: usize = 20;
/// The apply method when the spec names none.
const IMMEDIATE: &str = "immediate";

/// Which kind of parameter group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// DB cluster parameter groups (Aurora clusters).
    Cluster,
    /// DB parameter groups (instances).
    Instance,
}

impl Flavor {
    fn kind(self) -> &'static str {
        match self {
            Flavor::Cluster => "aws.rds.cluster_parameter_group",
            Flavor::Instance => "aws.rds.db_parameter_group",
        }
    }

    /// The name field (AWS's `DBClusterParameterGroupName` /
    /// `DBParameterGroupName`).
    fn name_field(self) -> &'static str {
        match self {
            Flavor::Cluster => "db_cluster_parameter_group_name",
            Flavor::Instance => "db_parameter_group_name",
        }
    }
}

/// The schema of either kind.
pub fn schema(flavor: Flavor) -> KindSchema {
    let what = match flavor {
        Flavor::Cluster => "A DB cluster parameter group (engine settings of Aurora clusters).",
        Flavor::Instance => "A DB parameter group (engine settings of DB instances).",
    };
    KindSchema::new(
        flavor.kind(),
        what,
        [
            (
                flavor.name_field(),
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The group's name (stored lower case)."),
            ),
            (
                "db_parameter_group_family",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The engine family, e.g. aurora-postgresql16 or postgres16."),
            ),
            (
                "description",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("Managed by forge")
                    .describe("What the group is for (RDS cannot change it later)."),
            ),
            (
                "parameters",
                FieldSchema::optional(FieldType::map(FieldType::Any)).describe(
                    "Parameter name -> value, or -> {value, apply_method: immediate|pending-reboot}.",
                ),
            ),
            ("tags", tags_field()),
            ("arn", FieldSchema::computed(FieldType::String).describe("The group's ARN.")),
        ],
    )
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

/// Normalizes `parameters` to `name -> {value, apply_method}`.
fn normalize_parameters(a: &mut Attrs) {
    let Some(Value::Map(m)) = a.get("parameters") else {
        if a.get("parameters").is_none_or(Value::is_null) {
            a.insert("parameters".into(), Value::Map(BTreeMap::new()));
        }
        return;
    };
    if !m.values().all(Value::is_known) {
        return;
    }
    let out: BTreeMap<String, Value> = m
        .iter()
        .filter_map(|(name, v)| {
            let (value, method) = match v.unmarked() {
                Value::Map(obj) => (
                    obj.get("value").and_then(text)?,
                    obj.get("apply_method")
                        .and_then(Value::as_str)
                        .unwrap_or(IMMEDIATE)
                        .to_string(),
                ),
                other => (text(&other)?, IMMEDIATE.to_string()),
            };
            Some((
                name.clone(),
                Value::Map(BTreeMap::from([
                    ("value".to_string(), Value::String(value)),
                    ("apply_method".to_string(), Value::String(method)),
                ])),
            ))
        })
        .collect();
    a.insert("parameters".into(), Value::Map(out));
}

/// `(name, value, apply_method)` of the normalized `parameters`.
fn parameter_list(a: &Attrs) -> BTreeMap<String, (String, String)> {
    a.get("parameters")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let value = v.get("value").and_then(Value::as_str)?.to_string();
                    let method = v
                        .get("apply_method")
                        .and_then(Value::as_str)
                        .unwrap_or(IMMEDIATE)
                        .to_string();
                    Some((k.clone(), (value, method)))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Parameters to set: `(name, value, apply_method)`.
pub type ToSet = Vec<(String, String, String)>;
/// Parameters to reset to the family default: `(name, apply_method)`.
pub type ToReset = Vec<(String, String)>;

/// What differs: parameters to set and parameters to reset to default.
pub fn parameter_diff(prior: &Attrs, desired: &Attrs) -> (ToSet, ToReset) {
    let (p, d) = (parameter_list(prior), parameter_list(desired));
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

/// A group as either API describes it.
#[derive(Debug, Clone)]
struct Group {
    name: String,
    family: Option<String>,
    description: Option<String>,
    arn: Option<String>,
}

/// The provider of both parameter group kinds.
pub struct ParameterGroupProvider {
    clients: Arc<AwsClients>,
    flavor: Flavor,
    schema: KindSchema,
}

impl ParameterGroupProvider {
    /// The provider of `flavor`, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>, flavor: Flavor) -> Self {
        ParameterGroupProvider {
            clients,
            flavor,
            schema: schema(flavor),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }

    fn normalize_attrs(&self, mut a: Attrs) -> Attrs {
        lower_fields(&mut a, &[self.flavor.name_field()]);
        normalize_parameters(&mut a);
        normalize_common(&self.schema, &mut a);
        a
    }

    async fn list(&self, client: &Client) -> Result<Vec<Group>, ProviderError> {
        let flavor = self.flavor;
        collect_pages(|marker| async move {
            match flavor {
                Flavor::Cluster => {
                    let out = client
                        .describe_db_cluster_parameter_groups()
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(rds_err)?;
                    let groups = out
                        .db_cluster_parameter_groups()
                        .iter()
                        .filter_map(|g| {
                            Some(Group {
                                name: g.db_cluster_parameter_group_name()?.to_string(),
                                family: g.db_parameter_group_family().map(str::to_string),
                                description: g.description().map(str::to_string),
                                arn: g.db_cluster_parameter_group_arn().map(str::to_string),
                            })
                        })
                        .collect();
                    Ok((groups, out.marker().map(str::to_string)))
                }
                Flavor::Instance => {
                    let out = client
                        .describe_db_parameter_groups()
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(rds_err)?;
                    let groups = out
                        .db_parameter_groups()
                        .iter()
                        .filter_map(|g| {
                            Some(Group {
                                name: g.db_parameter_group_name()?.to_string(),
                                family: g.db_parameter_group_family().map(str::to_string),
                                description: g.description().map(str::to_string),
                                arn: g.db_parameter_group_arn().map(str::to_string),
                            })
                        })
                        .collect();
                    Ok((groups, out.marker().map(str::to_string)))
                }
            }
        })
        .await
    }

    async fn user_parameters(
        &self,
        client: &Client,
        name: &str,
    ) -> Result<Vec<Parameter>, ProviderError> {
        let flavor = self.flavor;
        collect_pages(|marker| async move {
            let (params, next) = match flavor {
                Flavor::Cluster => {
                    let out = client
                        .describe_db_cluster_parameters()
                        .db_cluster_parameter_group_name(name)
                        .source("user")
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(rds_err)?;
                    (out.parameters().to_vec(), out.marker().map(str::to_string))
                }
                Flavor::Instance => {
                    let out = client
                        .describe_db_parameters()
                        .db_parameter_group_name(name)
                        .source("user")
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(rds_err)?;
                    (out.parameters().to_vec(), out.marker().map(str::to_string))
                }
            };
            Ok((params, next))
        })
        .await
    }

    fn group_attrs(&self, g: &Group, params: &[Parameter], tags: &[Tag]) -> Attrs {
        let parameters: BTreeMap<String, Value> = params
            .iter()
            // An emulator may list parameters without a value; AWS's user
            // source never does.
            .filter_map(|p| {
                Some((
                    p.parameter_name()?.to_string(),
                    Value::Map(BTreeMap::from([
                        ("value".to_string(), Value::from(p.parameter_value()?)),
                        (
                            "apply_method".to_string(),
                            Value::from(
                                p.apply_method()
                                    .map(ApplyMethod::as_str)
                                    .unwrap_or(IMMEDIATE),
                            ),
                        ),
                    ])),
                ))
            })
            .collect();
        self.normalize_attrs(attrs([
            ("id", Value::from(g.name.as_str())),
            (self.flavor.name_field(), Value::from(g.name.as_str())),
            ("db_parameter_group_family", str_or_null(g.family.clone())),
            ("description", str_or_null(g.description.clone())),
            ("parameters", Value::Map(parameters)),
            ("tags", observed_tags(tags)),
            ("arn", str_or_null(g.arn.clone())),
        ]))
    }

    async fn with_details(
        &self,
        client: &Client,
        groups: Vec<Group>,
        params: bool,
    ) -> Result<Vec<(Group, Vec<Parameter>, Vec<Tag>)>, ProviderError> {
        concurrent(groups, READ_CONCURRENCY, |g| async move {
            let tags = match &g.arn {
                Some(arn) => arn_tags(client, arn).await?,
                None => Vec::new(),
            };
            let p = if params {
                self.user_parameters(client, &g.name).await?
            } else {
                Vec::new()
            };
            Ok((g, p, tags))
        })
        .await
    }

    async fn observe_groups(
        &self,
        client: &Client,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let found: Vec<Group> = self
            .list(client)
            .await?
            .into_iter()
            .filter(|g| ids.iter().any(|i| i.eq_ignore_ascii_case(&g.name)))
            .collect();
        let mut out = BTreeMap::new();
        for (g, p, t) in self.with_details(client, found, true).await? {
            for id in ids.iter().filter(|i| i.eq_ignore_ascii_case(&g.name)) {
                out.insert(id.clone(), self.group_attrs(&g, &p, &t));
            }
        }
        Ok(out)
    }

    async fn observe_one(&self, client: &Client, id: &str) -> Result<Attrs, ProviderError> {
        crate::attrs::observed(
            self.observe_groups(client, &[id.to_string()]).await?,
            id,
            "parameter group",
        )
    }

    async fn owned_groups(
        &self,
        client: &Client,
        owner: &Owner,
        address: Option<&str>,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let all = self
            .with_details(client, self.list(client).await?, false)
            .await?;
        Ok(owned(
            &all,
            owner,
            address,
            |(g, _, _)| Some(g.name.as_str()),
            |(_, _, t)| t.as_slice(),
        ))
    }

    async fn modify(
        &self,
        client: &Client,
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
        for chunk in set.chunks(PARAMS_PER_CALL) {
            let ps: Vec<Parameter> = chunk.iter().map(|(n, v, m)| param(n, Some(v), m)).collect();
            match self.flavor {
                Flavor::Cluster => {
                    client
                        .modify_db_cluster_parameter_group()
                        .db_cluster_parameter_group_name(name)
                        .set_parameters(Some(ps))
                        .send()
                        .await
                        .map_err(rds_err)?;
                }
                Flavor::Instance => {
                    client
                        .modify_db_parameter_group()
                        .db_parameter_group_name(name)
                        .set_parameters(Some(ps))
                        .send()
                        .await
                        .map_err(rds_err)?;
                }
            }
        }
        for chunk in reset.chunks(PARAMS_PER_CALL) {
            let ps: Vec<Parameter> = chunk.iter().map(|(n, m)| param(n, None, m)).collect();
            match self.flavor {
                Flavor::Cluster => {
                    client
                        .reset_db_cluster_parameter_group()
                        .db_cluster_parameter_group_name(name)
                        .reset_all_parameters(false)
                        .set_parameters(Some(ps))
                        .send()
                        .await
                        .map_err(rds_err)?;
                }
                Flavor::Instance => {
                    client
                        .reset_db_parameter_group()
                        .db_parameter_group_name(name)
                        .reset_all_parameters(false)
                        .set_parameters(Some(ps))
                        .send()
                        .await
                        .map_err(rds_err)?;
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for ParameterGroupProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, attrs: Attrs) -> Attrs {
        self.normalize_attrs(attrs)
    }

    fn plan(&self, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
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
        forge_engine::diff::schema_plan(&self.schema, prior.as_ref(), desired)
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
        self.observe_groups(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, self.flavor.name_field())?.to_lowercase();
        let family = req_str(desired, "db_parameter_group_family")?;
        let description = opt_str(desired, "description").unwrap_or("Managed by forge");
        let tags = create_tags(desired, &ctx.system_tags, &[]);
        match self.flavor {
            Flavor::Cluster => {
                client
                    .create_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(&name)
                    .db_parameter_group_family(family)
                    .description(description)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(rds_err)?;
            }
            Flavor::Instance => {
                client
                    .create_db_parameter_group()
                    .db_parameter_group_name(&name)
                    .db_parameter_group_family(family)
                    .description(description)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(rds_err)?;
            }
        }
        let (set, _) = parameter_diff(&Attrs::new(), desired);
        self.modify(&client, &name, set, Vec::new()).await?;
        Ok(Created {
            attrs: self.observe_one(&client, &name).await?,
            id: name,
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
        let (set, reset) = parameter_diff(prior, desired);
        self.modify(&client, id, set, reset).await?;
        if let Some(arn) = opt_str(prior, "arn") {
            sync_tags(&client, arn, prior, desired, &[]).await?;
        }
        self.observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        let result = match self.flavor {
            Flavor::Cluster => client
                .delete_db_cluster_parameter_group()
                .db_cluster_parameter_group_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(rds_err),
            Flavor::Instance => client
                .delete_db_parameter_group()
                .db_parameter_group_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(rds_err),
        };
        ignore_gone(result)
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = &self.client(&ctx.region).await?;
        let ids = self
            .owned_groups(client, &ctx.owner, Some(&ctx.address.to_string()))
            .await?;
        tags::adopt_owned(ctx, ids, |id| async move {
            self.observe_groups(client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        self.owned_groups(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired(flavor: Flavor, v: serde_json::Value) -> Attrs {
        let p = ParameterGroupProvider::new(
            Arc::new(AwsClients::new(crate::AwsSettings::default())),
            flavor,
        );
        let mut a = Value::from_json(&v).as_map().cloned().unwrap();
        forge_engine::diff::fill_defaults(&p.schema, &mut a);
        p.normalize_attrs(a)
    }

    #[test]
    fn shorthand_and_objects_normalize_alike() {
        let a = desired(
            Flavor::Cluster,
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
    }

    #[test]
    fn only_changed_parameters_are_sent_and_removed_ones_reset() {
        let prior = desired(
            Flavor::Instance,
            serde_json::json!({"parameters": {"a": "1", "b": "2"}}),
        );
        let want = desired(
            Flavor::Instance,
            serde_json::json!({"parameters": {"a": "1", "c": "3"}}),
        );
        let (set, reset) = parameter_diff(&prior, &want);
        assert_eq!(set, vec![("c".into(), "3".into(), "immediate".into())]);
        assert_eq!(reset, vec![("b".into(), "immediate".into())]);
    }

    #[test]
    fn apply_method_alone_is_not_a_diff() {
        let p = ParameterGroupProvider::new(
            Arc::new(AwsClients::new(crate::AwsSettings::default())),
            Flavor::Cluster,
        );
        let mut prior = desired(
            Flavor::Cluster,
            serde_json::json!({"db_cluster_parameter_group_name": "g", "db_parameter_group_family": "aurora-postgresql16", "parameters": {"a": "1"}}),
        );
        prior.insert("id".into(), Value::from("g"));
        let want = desired(
            Flavor::Cluster,
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
