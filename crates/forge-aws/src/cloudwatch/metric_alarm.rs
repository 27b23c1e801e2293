//! `aws.cloudwatch.metric_alarm`: a CloudWatch alarm on one metric (CPU and
//! memory of an ECS service, 5xx of a load balancer, connections of an
//! Aurora cluster, ...).
//!
//! The alarm's name is its id. PutMetricAlarm is an upsert keyed by name
//! that replaces the whole definition, so every in-place change is one
//! PutMetricAlarm carrying the full desired definition; renaming is a
//! replacement. Because a PutMetricAlarm on a taken name would silently
//! overwrite someone else's alarm, create first looks the name up and
//! refuses an alarm this stack does not own.
//!
//! Tags: PutMetricAlarm's `Tags` only apply when the call creates the
//! alarm (AWS ignores them on an update), so later tag changes go through
//! TagResource / UntagResource. Every PutMetricAlarm still carries the full
//! tag set, so an alarm deleted between refresh and update is recreated
//! with forge's ownership tags.
//!
//! Observe cost: one DescribeAlarms per 100 names (AlarmNames' cap; paged
//! with NextToken) for all of a stack's alarms, plus one
//! ListTagsForResource per existing alarm, at most eight in flight.
//! DescribeAlarms returns no tags, neither on AWS nor on moto. The Resource
//! Groups Tagging API could read the tags of 100 alarms per call, but it is
//! eventually consistent (a tag just written can read as the old value,
//! which a refresh right after an update would report as drift) and needs
//! an extra IAM permission, so observe pays the authoritative per-alarm
//! read; orphan search and the drift report's listing, which only need the
//! ownership tags, use the Tagging API (see the module above).

use super::{CONCURRENCY, cw_err, tagged_resources};
use crate::attrs::attrs;
use crate::attrs::{opt_bool, opt_i64, opt_str, req_str, str_list, str_or_null};
use crate::clients::AwsClients;
use crate::error::is_not_found;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, concurrent, for_chunks};
use crate::tags;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricAlarm, StandardUnit, Statistic, Tag,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Names per DescribeAlarms request (the API's cap on AlarmNames).
const NAMES_PER_CALL: usize = 100;
/// Tag reads in flight at once.
const TAG_CONCURRENCY: usize = 8;
/// What CloudWatch does with missing data points when not told.
const DEFAULT_MISSING: &str = "missing";
/// The Tagging API's resource type of alarms.
const RESOURCE_TYPE: &str = "cloudwatch:alarm";

/// The fields PutMetricAlarm sends: a change to any of them is one
/// PutMetricAlarm with the whole definition.
const DEFINITION: [&str; 17] = [
    "alarm_description",
    "namespace",
    "metric_name",
    "dimensions",
    "statistic",
    "extended_statistic",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "threshold",
    "comparison_operator",
    "treat_missing_data",
    "actions_enabled",
    "alarm_actions",
    "ok_actions",
    "insufficient_data_actions",
    "unit",
];

/// The action lists (ARNs of SNS topics, Auto Scaling policies, ...),
/// compared as sets.
const ACTION_LISTS: [&str; 3] = ["alarm_actions", "ok_actions", "insufficient_data_actions"];

/// The `aws.cloudwatch.metric_alarm` provider.
pub struct MetricAlarmProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl MetricAlarmProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        MetricAlarmProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

fn actions_field(what: &'static str) -> FieldSchema {
    FieldSchema::optional(FieldType::list(FieldType::String))
        .default(Value::List(Vec::new()))
        .describe(what)
}

/// The schema of `aws.cloudwatch.metric_alarm`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.cloudwatch.metric_alarm",
        "A CloudWatch alarm watching one metric.",
        [
            (
                "alarm_name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The alarm's name, unique in the account and region."),
            ),
            ("alarm_description", FieldSchema::optional(FieldType::String).describe("What the alarm means.")),
            (
                "namespace",
                FieldSchema::required(FieldType::String)
                    .describe("The metric's namespace: AWS/ECS, AWS/ApplicationELB, AWS/RDS, AWS/ElastiCache, ..."),
            ),
            (
                "metric_name",
                FieldSchema::required(FieldType::String)
                    .describe("The metric: CPUUtilization, HTTPCode_ELB_5XX_Count, DatabaseConnections, ..."),
            ),
            (
                "dimensions",
                FieldSchema::optional(FieldType::map(FieldType::String))
                    .default(Value::Map(BTreeMap::new()))
                    .describe("Dimension name -> value, e.g. {ClusterName: ..., ServiceName: ...}."),
            ),
            (
                "statistic",
                FieldSchema::optional(FieldType::String)
                    .describe("SampleCount, Average, Sum, Minimum or Maximum (or set extended_statistic)."),
            ),
            (
                "extended_statistic",
                FieldSchema::optional(FieldType::String).describe("A percentile such as p99 (instead of statistic)."),
            ),
            (
                "period",
                FieldSchema::required(FieldType::Number).describe("Seconds per evaluated data point (10, 30 or a multiple of 60)."),
            ),
            (
                "evaluation_periods",
                FieldSchema::required(FieldType::Number).describe("Periods compared with the threshold."),
            ),
            (
                "datapoints_to_alarm",
                FieldSchema::optional(FieldType::Number)
                    .describe("Breaching data points among evaluation_periods that trigger (M of N); unset: all."),
            ),
            ("threshold", FieldSchema::required(FieldType::Number).describe("The value compared with the statistic.")),
            (
                "comparison_operator",
                FieldSchema::required(FieldType::String).describe(
                    "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold.",
                ),
            ),
            (
                "treat_missing_data",
                FieldSchema::optional(FieldType::String)
                    .default(DEFAULT_MISSING)
                    .describe("breaching, notBreaching, ignore or missing."),
            ),
            (
                "actions_enabled",
                FieldSchema::optional(FieldType::Bool).default(true).describe("Whether state changes run the actions."),
            ),
            ("alarm_actions", actions_field("ARNs run on entering ALARM (SNS topics, scaling policies); order does not matter.")),
            ("ok_actions", actions_field("ARNs run on entering OK.")),
            ("insufficient_data_actions", actions_field("ARNs run on entering INSUFFICIENT_DATA.")),
            ("unit", FieldSchema::optional(FieldType::String).describe("The metric's unit (Percent, Count, Seconds, ...); unset: any.")),
            ("tags", tags_field()),
            ("arn", FieldSchema::computed(FieldType::String).describe("The alarm's ARN.")),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

/// An integral number as an integer (CloudWatch answers 80.0 for a
/// threshold of 80; both must print and compare alike).
fn number(f: f64) -> Value {
    // The range check keeps the cast exact.
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Value::int(f as i64);
    }
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn normalize(mut attrs: Attrs) -> Attrs {
    for list in ACTION_LISTS {
        crate::attrs::normalize_set(&mut attrs, list);
    }
    if let Some(t) = attrs.get("threshold").and_then(Value::as_f64) {
        attrs.insert("threshold".into(), number(t));
    }
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

/// What observe learns about an alarm.
#[derive(Debug, Clone)]
struct AlarmView {
    alarm: MetricAlarm,
    tags: Vec<(String, String)>,
}

fn alarm_attrs(v: &AlarmView) -> Attrs {
    let a = &v.alarm;
    let name = a.alarm_name().unwrap_or_default();
    let dimensions: BTreeMap<String, Value> = a
        .dimensions()
        .iter()
        .filter_map(|d| Some((d.name()?.to_string(), Value::from(d.value()?))))
        .collect();
    let list = |items: &[String]| crate::attrs::str_set(items.iter().cloned());
    attrs([
        ("id", Value::from(name)),
        ("alarm_name", Value::from(name)),
        (
            "alarm_description",
            str_or_null(a.alarm_description().filter(|d| !d.is_empty())),
        ),
        ("namespace", str_or_null(a.namespace())),
        ("metric_name", str_or_null(a.metric_name())),
        ("dimensions", Value::Map(dimensions)),
        (
            "statistic",
            str_or_null(a.statistic().map(Statistic::as_str)),
        ),
        ("extended_statistic", str_or_null(a.extended_statistic())),
        ("period", crate::attrs::int_or_null(a.period())),
        (
            "evaluation_periods",
            crate::attrs::int_or_null(a.evaluation_periods()),
        ),
        (
            "datapoints_to_alarm",
            crate::attrs::int_or_null(a.datapoints_to_alarm()),
        ),
        ("threshold", a.threshold().map(number).unwrap_or_default()),
        (
            "comparison_operator",
            str_or_null(a.comparison_operator().map(ComparisonOperator::as_str)),
        ),
        (
            "treat_missing_data",
            Value::from(a.treat_missing_data().unwrap_or(DEFAULT_MISSING)),
        ),
        (
            "actions_enabled",
            Value::Bool(a.actions_enabled().unwrap_or(true)),
        ),
        ("alarm_actions", list(a.alarm_actions())),
        ("ok_actions", list(a.ok_actions())),
        (
            "insufficient_data_actions",
            list(a.insufficient_data_actions()),
        ),
        ("unit", str_or_null(a.unit().map(StandardUnit::as_str))),
        (
            "tags",
            tags::observed_tags(v.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        ),
        ("arn", str_or_null(a.alarm_arn())),
    ])
}

/// DescribeAlarms for `names` (at most [`NAMES_PER_CALL`]), every page.
async fn describe(client: &Client, names: Vec<String>) -> Result<Vec<MetricAlarm>, ProviderError> {
    let names = &names;
    collect_pages(|token| async move {
        let out = client
            .describe_alarms()
            .set_alarm_names(Some(names.clone()))
            .set_next_token(token)
            .send()
            .await
            .map_err(cw_err)?;
        Ok((out.metric_alarms.unwrap_or_default(), out.next_token))
    })
    .await
}

async fn alarm_tags(
    client: &Client,
    arn: Option<&str>,
) -> Result<Vec<(String, String)>, ProviderError> {
    let Some(arn) = arn else {
        return Ok(Vec::new());
    };
    match client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(cw_err)
    {
        Ok(out) => Ok(out
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()),
        // Deleted between the describe and the tag read.
        Err(e) if is_not_found(&e) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

async fn fetch_alarms(client: &Client, ids: &[String]) -> Result<Vec<AlarmView>, ProviderError> {
    let found = for_chunks(ids, NAMES_PER_CALL, |chunk| async move {
        let alarms = describe(client, chunk.clone()).await?;
        // Kept to the names asked for, should an endpoint ignore the filter.
        Ok(alarms
            .into_iter()
            .filter(|a| a.alarm_name().is_some_and(|n| chunk.iter().any(|c| c == n)))
            .collect::<Vec<_>>())
    })
    .await?;
    concurrent(found, TAG_CONCURRENCY, |alarm| async move {
        let tags = alarm_tags(client, alarm.alarm_arn()).await?;
        Ok(AlarmView { alarm, tags })
    })
    .await
}

async fn observe_alarms(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    Ok(fetch_alarms(client, ids)
        .await?
        .iter()
        .filter_map(|v| Some((v.alarm.alarm_name()?.to_string(), normalize(alarm_attrs(v)))))
        .collect())
}

async fn observe_one(client: &Client, name: &str) -> Result<Attrs, ProviderError> {
    observe_alarms(client, &[name.to_string()])
        .await?
        .remove(name)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("alarm {name} not visible yet"),
        })
}

fn differs(prior: &Attrs, desired: &Attrs, key: &str) -> bool {
    !forge_engine::diff::values_equal(
        prior.get(key).unwrap_or(&Value::Null),
        desired.get(key).unwrap_or(&Value::Null),
    )
}

/// One change to an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmCall {
    /// PutMetricAlarm with the whole desired definition.
    Put,
    /// TagResource.
    Tag(BTreeMap<String, String>),
    /// UntagResource.
    Untag(Vec<String>),
}

/// The calls that bring an alarm from `prior` to `desired` (normalized).
pub fn update_calls(prior: &Attrs, desired: &Attrs) -> Vec<AlarmCall> {
    let mut calls = Vec::new();
    if DEFINITION.iter().any(|k| differs(prior, desired, k)) {
        calls.push(AlarmCall::Put);
    }
    let (set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if !set.is_empty() {
        calls.push(AlarmCall::Tag(set));
    }
    if !remove.is_empty() {
        calls.push(AlarmCall::Untag(remove));
    }
    calls
}

fn int32(attrs: &Attrs, key: &str) -> Result<Option<i32>, ProviderError> {
    opt_i64(attrs, key)
        .map(|v| {
            i32::try_from(v)
                .map_err(|_| ProviderError::Invalid(format!("`{key}` is out of range: {v}")))
        })
        .transpose()
}

fn cw_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The statistic settings, checked: exactly one of `statistic` and
/// `extended_statistic` (PutMetricAlarm refuses both and neither).
fn statistics(desired: &Attrs) -> Result<(Option<&str>, Option<&str>), ProviderError> {
    match (
        opt_str(desired, "statistic"),
        opt_str(desired, "extended_statistic"),
    ) {
        (Some(_), Some(_)) => Err(ProviderError::Invalid(
            "set only one of `statistic` and `extended_statistic`".into(),
        )),
        (None, None) => Err(ProviderError::Invalid(
            "set `statistic` (Average, Sum, ...) or `extended_statistic` (p99, ...)".into(),
        )),
        pair => Ok(pair),
    }
}

/// PutMetricAlarm with the full definition of `desired` and `tags` (the
/// user's and forge's). AWS applies the tags only when the call creates the
/// alarm and ignores them otherwise; updates pass the full set anyway, so an
/// alarm deleted behind forge's back between refresh and update comes back
/// owned, not untagged.
async fn put_alarm(
    client: &Client,
    desired: &Attrs,
    tags: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let (statistic, extended) = statistics(desired)?;
    let dimensions: Vec<Dimension> = desired
        .get("dimensions")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some(Dimension::builder().name(k).value(v.as_str()?).build()))
                .collect()
        })
        .unwrap_or_default();
    let threshold = desired
        .get("threshold")
        .and_then(Value::as_f64)
        .ok_or_else(|| ProviderError::Invalid("`threshold` must be set to a number".into()))?;
    let list = |k: &str| Some(str_list(desired, k));
    client
        .put_metric_alarm()
        .alarm_name(req_str(desired, "alarm_name")?)
        .set_alarm_description(opt_str(desired, "alarm_description").map(str::to_string))
        .namespace(req_str(desired, "namespace")?)
        .metric_name(req_str(desired, "metric_name")?)
        .set_dimensions(Some(dimensions))
        .set_statistic(statistic.map(Statistic::from))
        .set_extended_statistic(extended.map(str::to_string))
        .set_period(int32(desired, "period")?)
        .set_evaluation_periods(int32(desired, "evaluation_periods")?)
        .set_datapoints_to_alarm(int32(desired, "datapoints_to_alarm")?)
        .threshold(threshold)
        .comparison_operator(ComparisonOperator::from(req_str(
            desired,
            "comparison_operator",
        )?))
        .treat_missing_data(opt_str(desired, "treat_missing_data").unwrap_or(DEFAULT_MISSING))
        .actions_enabled(opt_bool(desired, "actions_enabled").unwrap_or(true))
        .set_alarm_actions(list("alarm_actions"))
        .set_ok_actions(list("ok_actions"))
        .set_insufficient_data_actions(list("insufficient_data_actions"))
        .set_unit(opt_str(desired, "unit").map(StandardUnit::from))
        .set_tags(Some(cw_tags(tags)))
        .send()
        .await
        .map_err(cw_err)?;
    Ok(())
}

async fn run_call(
    client: &Client,
    desired: &Attrs,
    all_tags: &BTreeMap<String, String>,
    arn: &str,
    call: AlarmCall,
) -> Result<(), ProviderError> {
    match call {
        AlarmCall::Put => put_alarm(client, desired, all_tags).await?,
        AlarmCall::Tag(set) => {
            client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(cw_tags(&set)))
                .send()
                .await
                .map_err(cw_err)?;
        }
        AlarmCall::Untag(keys) => {
            client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map_err(cw_err)?;
        }
    }
    Ok(())
}

/// The alarm name in an alarm ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`;
/// names may themselves hold colons).
fn name_of_arn(arn: &str) -> Option<&str> {
    arn.split_once(":alarm:").map(|(_, name)| name)
}

#[async_trait]
impl Provider for MetricAlarmProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
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
        observe_alarms(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, "alarm_name")?;
        statistics(desired)?;
        let all_tags = tags::create_tags(desired, &ctx.system_tags);
        let existing = fetch_alarms(&client, &[name.to_string()]).await?;
        if let Some(v) = existing.first() {
            // PutMetricAlarm would overwrite it: only an alarm of ours (a
            // retried create whose answer was lost) may be taken over.
            let address = ctx.address.to_string();
            if !tags::owned_by(
                v.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                &ctx.owner,
                Some(&address),
            ) {
                return Err(tags::not_ours(
                    ctx,
                    &format!("alarm {name}"),
                    v.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                ));
            }
            let arn = v.alarm.alarm_arn().unwrap_or_default().to_string();
            put_alarm(&client, desired, &all_tags).await?;
            // The tags of the Put are ignored on an existing alarm.
            let tag = AlarmCall::Tag(all_tags.clone());
            run_call(&client, desired, &all_tags, &arn, tag).await?;
        } else {
            put_alarm(&client, desired, &all_tags).await?;
        }
        Ok(Created {
            id: name.to_string(),
            attrs: observe_one(&client, name).await?,
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
        if calls.contains(&AlarmCall::Put) {
            statistics(desired)?;
        }
        let arn = match opt_str(prior, "arn") {
            Some(a) => a.to_string(),
            None => opt_str(&observe_one(&client, id).await?, "arn")
                .unwrap_or_default()
                .to_string(),
        };
        let all_tags = tags::create_tags(desired, &ctx.system_tags);
        for call in calls {
            run_call(&client, desired, &all_tags, &arn, call).await?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        crate::error::ignore_not_found(
            client
                .delete_alarms()
                .alarm_names(id)
                .send()
                .await
                .map(|_| ())
                .map_err(cw_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let listed = self
            .list_owned(&ctx.region, &ctx.owner, Some(&address))
            .await?;
        tags::adopt_listed(tags::listed_ids(listed), &address, |id| async move {
            observe_alarms(&client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        self.list_owned(&ctx.region, &ctx.owner, None).await
    }
}

impl MetricAlarmProvider {
    /// Alarms tagged as owned by `stack` (and `address`), as (name, address
    /// tag).
    async fn list_owned(
        &self,
        region: &str,
        owner: &Owner,
        address: Option<&str>,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let listed = tagged_resources(&self.clients, region, RESOURCE_TYPE, owner, address).await?;
        Ok(listed
            .into_iter()
            .filter_map(|(arn, addr)| Some((name_of_arn(&arn)?.to_string(), addr)))
            .collect())
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

    fn cpu_alarm() -> serde_json::Value {
        serde_json::json!({
            "alarm_name": "api-cpu-high",
            "namespace": "AWS/ECS",
            "metric_name": "CPUUtilization",
            "dimensions": {"ServiceName": "api", "ClusterName": "main"},
            "statistic": "Average",
            "period": 60,
            "evaluation_periods": 3,
            "threshold": 80,
            "comparison_operator": "GreaterThanThreshold",
            "alarm_actions": ["arn:aws:sns:eu-west-1:1:b", "arn:aws:sns:eu-west-1:1:a"],
            "tags": {"team": "api"}
        })
    }

    #[test]
    fn observed_alarm_matches_its_spec() {
        let alarm = MetricAlarm::builder()
            .alarm_name("api-cpu-high")
            .alarm_arn("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-cpu-high")
            .namespace("AWS/ECS")
            .metric_name("CPUUtilization")
            .dimensions(
                Dimension::builder()
                    .name("ClusterName")
                    .value("main")
                    .build(),
            )
            .dimensions(
                Dimension::builder()
                    .name("ServiceName")
                    .value("api")
                    .build(),
            )
            .statistic(Statistic::Average)
            .period(60)
            .evaluation_periods(3)
            .threshold(80.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .actions_enabled(true)
            .alarm_actions("arn:aws:sns:eu-west-1:1:a")
            .alarm_actions("arn:aws:sns:eu-west-1:1:b")
            .build();
        let v = AlarmView {
            alarm,
            tags: vec![
                ("team".into(), "api".into()),
                (tags::STACK_TAG.into(), "s".into()),
            ],
        };
        let observed = normalize(alarm_attrs(&v));
        for field in schema().fields.keys() {
            let optional_unset = [
                "alarm_description",
                "extended_statistic",
                "datapoints_to_alarm",
                "unit",
            ];
            assert!(
                observed.contains_key(field) || optional_unset.contains(&field.as_str()),
                "missing {field}"
            );
        }
        let want = attrs_of(cpu_alarm());
        assert!(
            update_calls(&observed, &want).is_empty(),
            "{observed:?}\n{want:?}"
        );
        assert_eq!(observed["threshold"], Value::int(80));
        assert_eq!(observed["treat_missing_data"], Value::from("missing"));
    }

    #[test]
    fn definition_changes_are_one_put_and_tags_are_separate() {
        let prior = attrs_of(cpu_alarm());
        let mut spec = cpu_alarm();
        spec["threshold"] = serde_json::json!(90.5);
        spec["tags"] = serde_json::json!({"owner": "ops"});
        let want = attrs_of(spec);
        assert_eq!(
            update_calls(&prior, &want),
            vec![
                AlarmCall::Put,
                AlarmCall::Tag(BTreeMap::from([("owner".into(), "ops".into())])),
                AlarmCall::Untag(vec!["team".into()]),
            ]
        );
        let mut spec = cpu_alarm();
        spec["treat_missing_data"] = serde_json::json!("breaching");
        assert_eq!(update_calls(&prior, &attrs_of(spec)), vec![AlarmCall::Put]);
        let mut spec = cpu_alarm();
        spec["alarm_actions"] =
            serde_json::json!(["arn:aws:sns:eu-west-1:1:a", "arn:aws:sns:eu-west-1:1:b"]);
        assert!(update_calls(&prior, &attrs_of(spec)).is_empty());
    }

    #[test]
    fn statistic_needs_exactly_one_form() {
        let mut spec = cpu_alarm();
        spec["extended_statistic"] = serde_json::json!("p99");
        assert!(statistics(&attrs_of(spec)).is_err());
        let mut spec = cpu_alarm();
        if let Some(o) = spec.as_object_mut() {
            o.remove("statistic");
        }
        assert!(statistics(&attrs_of(spec.clone())).is_err());
        spec["extended_statistic"] = serde_json::json!("p99");
        assert_eq!(statistics(&attrs_of(spec)).unwrap(), (None, Some("p99")));
    }

    #[test]
    fn names_come_out_of_arns_and_only_the_name_forces_replacement() {
        assert_eq!(
            name_of_arn("arn:aws:cloudwatch:eu-west-1:1:alarm:a:b c"),
            Some("a:b c")
        );
        assert_eq!(
            name_of_arn("arn:aws:cloudwatch:eu-west-1:1:insight-rule/x"),
            None
        );
        let s = schema();
        let forced: Vec<&str> = s
            .fields
            .iter()
            .filter(|(_, f)| f.force_new)
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(forced, ["alarm_name"]);
        assert_eq!(
            number(0.25),
            Value::Number(serde_json::Number::from_f64(0.25).unwrap())
        );
    }
}
