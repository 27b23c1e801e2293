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

use super::{Clients, CloudWatch, tagged_resources};
use crate::error::found;
use crate::kind::prelude::*;
use crate::paging::{collect_pages, concurrent, for_chunks};
use crate::tags;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricAlarm, StandardUnit, Statistic,
};
use forge_core::fields::{FieldError, FieldValue, Tags};
use forge_core::{FieldType, Value};
use std::collections::BTreeMap;

/// Names per DescribeAlarms request (the API's cap on AlarmNames).
const NAMES_PER_CALL: usize = 100;
/// Tag reads in flight at once.
const TAG_CONCURRENCY: usize = 8;
/// What CloudWatch does with missing data points when not told.
const DEFAULT_MISSING: &str = "missing";
/// The Tagging API's resource type of alarms.
const RESOURCE_TYPE: &str = "cloudwatch:alarm";

crate::kind::declare_kind!(MetricAlarmKind: "aws.cloudwatch.metric_alarm", CloudWatch, MetricAlarmFields,
    "A CloudWatch alarm watching one metric.");

/// The fields of `aws.cloudwatch.metric_alarm`. The action lists (ARNs of
/// SNS topics, Auto Scaling policies, ...) are compared as sets.
#[derive(Debug, Clone, PartialEq, Fields)]
pub struct MetricAlarmFields {
    /// The alarm's name, unique in the account and region.
    #[field(force_new)]
    pub alarm_name: String,
    /// What the alarm means.
    pub alarm_description: Option<String>,
    /// The metric's namespace: AWS/ECS, AWS/ApplicationELB, AWS/RDS, AWS/ElastiCache, ...
    pub namespace: String,
    /// The metric: CPUUtilization, HTTPCode_ELB_5XX_Count, DatabaseConnections, ...
    pub metric_name: String,
    /// Dimension name -> value, e.g. {ClusterName: ..., ServiceName: ...}.
    #[field(default = Value::Map(BTreeMap::new()))]
    pub dimensions: Option<BTreeMap<String, String>>,
    /// SampleCount, Average, Sum, Minimum or Maximum (or set extended_statistic).
    pub statistic: Option<String>,
    /// A percentile such as p99 (instead of statistic).
    pub extended_statistic: Option<String>,
    /// Seconds per evaluated data point (10, 30 or a multiple of 60).
    pub period: i32,
    /// Periods compared with the threshold.
    pub evaluation_periods: i32,
    /// Breaching data points among evaluation_periods that trigger (M of N); unset: all.
    pub datapoints_to_alarm: Option<i32>,
    /// The value compared with the statistic.
    #[field(normalize = integral)]
    pub threshold: Threshold,
    /// GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold.
    pub comparison_operator: String,
    /// breaching, notBreaching, ignore or missing.
    #[field(default = DEFAULT_MISSING)]
    pub treat_missing_data: Option<String>,
    /// Whether state changes run the actions.
    #[field(default = true)]
    pub actions_enabled: Option<bool>,
    /// ARNs run on entering ALARM (SNS topics, scaling policies); order does not matter.
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub alarm_actions: Option<Vec<String>>,
    /// ARNs run on entering OK.
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub ok_actions: Option<Vec<String>>,
    /// ARNs run on entering INSUFFICIENT_DATA.
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub insufficient_data_actions: Option<Vec<String>>,
    /// The metric's unit (Percent, Count, Seconds, ...); unset: any.
    pub unit: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The alarm's ARN.
    pub arn: Computed<String>,
}

/// The threshold: a number written as an integer when integral
/// (CloudWatch answers 80.0 for a threshold of 80; both must print and
/// compare alike).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold(pub f64);

impl FieldValue for Threshold {
    fn field_type() -> FieldType {
        FieldType::Number
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        f64::from_value(value).map(Threshold)
    }
    fn to_value(&self) -> Value {
        number(self.0)
    }
}

/// An integral number as an integer.
fn number(f: f64) -> Value {
    // The range check keeps the cast exact.
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Value::int(f as i64);
    }
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The field normalizer of the threshold.
fn integral(v: &Value) -> Value {
    v.as_f64().map_or_else(|| v.clone(), number)
}

/// What observe learns about an alarm.
#[derive(Debug, Clone)]
struct AlarmView {
    alarm: MetricAlarm,
    tags: Vec<(String, String)>,
}

impl AlarmView {
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn fields(v: &AlarmView) -> MetricAlarmFields {
    let a = &v.alarm;
    let set = |items: &[String]| {
        let mut items = items.to_vec();
        items.sort();
        items.dedup();
        Some(items)
    };
    let text = |s: Option<&str>| s.map(str::to_string);
    MetricAlarmFields {
        alarm_name: a.alarm_name().unwrap_or_default().to_string(),
        alarm_description: text(a.alarm_description().filter(|d| !d.is_empty())),
        namespace: a.namespace().unwrap_or_default().to_string(),
        metric_name: a.metric_name().unwrap_or_default().to_string(),
        dimensions: Some(
            a.dimensions()
                .iter()
                .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                .collect(),
        ),
        statistic: text(a.statistic().map(Statistic::as_str)),
        extended_statistic: text(a.extended_statistic()),
        period: a.period().unwrap_or_default(),
        evaluation_periods: a.evaluation_periods().unwrap_or_default(),
        datapoints_to_alarm: a.datapoints_to_alarm(),
        threshold: Threshold(a.threshold().unwrap_or_default()),
        comparison_operator: a
            .comparison_operator()
            .map(ComparisonOperator::as_str)
            .unwrap_or_default()
            .to_string(),
        treat_missing_data: Some(
            a.treat_missing_data()
                .unwrap_or(DEFAULT_MISSING)
                .to_string(),
        ),
        actions_enabled: Some(a.actions_enabled().unwrap_or(true)),
        alarm_actions: set(a.alarm_actions()),
        ok_actions: set(a.ok_actions()),
        insufficient_data_actions: set(a.insufficient_data_actions()),
        unit: text(a.unit().map(StandardUnit::as_str)),
        tags: tags::observed_map(v.pairs()),
        arn: text(a.alarm_arn()),
    }
}

async fn alarm_tags(
    client: &Clients,
    arn: Option<&str>,
) -> Result<Vec<(String, String)>, ProviderError> {
    let Some(arn) = arn else {
        return Ok(Vec::new());
    };
    let call = client.cw.list_tags_for_resource().resource_arn(arn);
    // Not found: deleted between the describe and the tag read.
    let out = found(call.send().await.map_err(CloudWatch::err))?;
    let tags = out.iter().flat_map(|out| out.tags());
    Ok(tags
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// The alarms of these names with their tags: DescribeAlarms per
/// [`NAMES_PER_CALL`] names (every page), then a tag read per alarm.
async fn fetch_alarms(client: &Clients, ids: &[String]) -> Result<Vec<AlarmView>, ProviderError> {
    let found = for_chunks(ids, NAMES_PER_CALL, |chunk| async move {
        let names = &chunk;
        let alarms = collect_pages(|token| async move {
            let out = client
                .cw
                .describe_alarms()
                .set_alarm_names(Some(names.clone()))
                .set_next_token(token)
                .send()
                .await
                .map_err(CloudWatch::err)?;
            Ok((out.metric_alarms.unwrap_or_default(), out.next_token))
        })
        .await?;
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

/// Whether the definition PutMetricAlarm sends differs: a change to any of
/// it is one PutMetricAlarm with the whole definition (tags go apart).
pub fn definition_differs(prior: &MetricAlarmFields, desired: &MetricAlarmFields) -> bool {
    let definition = |f: &MetricAlarmFields| MetricAlarmFields {
        dimensions: Some(f.dimensions.clone().unwrap_or_default()),
        alarm_actions: Some(f.alarm_actions.clone().unwrap_or_default()),
        ok_actions: Some(f.ok_actions.clone().unwrap_or_default()),
        insufficient_data_actions: Some(f.insufficient_data_actions.clone().unwrap_or_default()),
        tags: Tags::default(),
        arn: None,
        ..f.clone()
    };
    definition(prior) != definition(desired)
}

/// The statistic settings, checked: exactly one of `statistic` and
/// `extended_statistic` (PutMetricAlarm refuses both and neither).
fn statistics(f: &MetricAlarmFields) -> Result<(Option<&str>, Option<&str>), ProviderError> {
    match (f.statistic.as_deref(), f.extended_statistic.as_deref()) {
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
    client: &Clients,
    d: &MetricAlarmFields,
    tags: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let (statistic, extended) = statistics(d)?;
    let dimensions = d.dimensions.iter().flatten();
    client
        .cw
        .put_metric_alarm()
        .alarm_name(&d.alarm_name)
        .set_alarm_description(d.alarm_description.clone())
        .namespace(&d.namespace)
        .metric_name(&d.metric_name)
        .set_dimensions(Some(
            dimensions
                .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                .collect(),
        ))
        .set_statistic(statistic.map(Statistic::from))
        .set_extended_statistic(extended.map(str::to_string))
        .period(d.period)
        .evaluation_periods(d.evaluation_periods)
        .set_datapoints_to_alarm(d.datapoints_to_alarm)
        .threshold(d.threshold.0)
        .comparison_operator(ComparisonOperator::from(d.comparison_operator.as_str()))
        .treat_missing_data(d.treat_missing_data.as_deref().unwrap_or(DEFAULT_MISSING))
        .actions_enabled(d.actions_enabled.unwrap_or(true))
        .set_alarm_actions(Some(d.alarm_actions.clone().unwrap_or_default()))
        .set_ok_actions(Some(d.ok_actions.clone().unwrap_or_default()))
        .set_insufficient_data_actions(Some(
            d.insufficient_data_actions.clone().unwrap_or_default(),
        ))
        .set_unit(d.unit.as_deref().map(StandardUnit::from))
        .set_tags(Some(super::cw_tags(tags)))
        .send()
        .await
        .map_err(CloudWatch::err)?;
    Ok(())
}

/// The alarm name in an alarm ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`;
/// names may themselves hold colons).
fn name_of_arn(arn: &str) -> Option<&str> {
    arn.split_once(":alarm:").map(|(_, name)| name)
}

#[async_trait]
impl Kind for MetricAlarmKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("cloudwatch", "alarm:")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        Ok(fetch_alarms(ctx.client, ids)
            .await?
            .iter()
            .filter_map(|v| Some((v.alarm.alarm_name()?.to_string(), fields(v))))
            .collect())
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let name = &desired.alarm_name;
        statistics(desired)?;
        let all_tags = tags::with_system(&desired.tags, &ctx.system_tags);
        let existing = fetch_alarms(ctx.client, std::slice::from_ref(name)).await?;
        if let Some(v) = existing.first() {
            // PutMetricAlarm would overwrite it: only an alarm of ours (a
            // retried create whose answer was lost) may be taken over.
            tags::ensure_ours(ctx, &format!("alarm {name}"), v.pairs(), true)?;
        }
        put_alarm(ctx.client, desired, &all_tags).await?;
        if let Some(arn) = existing.first().and_then(|v| v.alarm.alarm_arn()) {
            // The tags of the Put are ignored on an existing alarm.
            CloudWatch::tag(ctx.client, arn, &all_tags).await?;
        }
        Self::made(ctx, name.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let live = || async { Ok(Self::read_back(ctx, id).await?.arn) };
        let arn = crate::arn::recorded_or_live(&prior.arn, live).await?;
        if definition_differs(prior, desired) {
            let all_tags = tags::with_system(&desired.tags, &ctx.system_tags);
            put_alarm(ctx.client, desired, &all_tags).await?;
        }
        retag_and_read(ctx, id, Some(arn.as_str()), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let call = ctx.client.cw.delete_alarms().alarm_names(id);
        crate::error::ignore_not_found(call.send().await.map(drop).map_err(CloudWatch::err))
    }

    /// Alarms tagged as owned, through the Tagging API (see the module).
    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let listed = tagged_resources(ctx.client, ctx, RESOURCE_TYPE, address).await?;
        Ok(listed
            .into_iter()
            .filter_map(|(arn, addr)| Some((name_of_arn(&arn)?.to_string(), addr)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use forge_core::fields::Fields;

    fn attrs_of(v: serde_json::Value) -> MetricAlarmFields {
        crate::kind::testing::spec_fields::<MetricAlarmKind>(v)
    }

    fn schema() -> forge_core::KindSchema {
        crate::kind::schema_of::<MetricAlarmKind>()
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
        let observed = fields(&v).to_attrs();
        for field in schema().fields.keys() {
            let optional_unset = [
                "alarm_description",
                "extended_statistic",
                "datapoints_to_alarm",
                "unit",
            ];
            assert!(
                !observed[field].is_null() || optional_unset.contains(&field.as_str()),
                "missing {field}"
            );
        }
        let want = attrs_of(cpu_alarm());
        let got = fields(&v);
        assert!(!definition_differs(&got, &want), "{got:?}\n{want:?}");
        assert_eq!(got.tags, want.tags);
        assert_eq!(observed["threshold"], Value::int(80));
        assert_eq!(observed["treat_missing_data"], Value::from("missing"));
    }

    #[test]
    fn definition_changes_are_one_put_and_tags_are_separate() {
        let prior = attrs_of(cpu_alarm());
        let mut spec = cpu_alarm();
        spec["threshold"] = serde_json::json!(90.5);
        assert!(definition_differs(&prior, &attrs_of(spec)));
        let mut spec = cpu_alarm();
        spec["tags"] = serde_json::json!({"owner": "ops"});
        assert!(!definition_differs(&prior, &attrs_of(spec)));
        let mut spec = cpu_alarm();
        spec["treat_missing_data"] = serde_json::json!("breaching");
        assert!(definition_differs(&prior, &attrs_of(spec)));
        let mut spec = cpu_alarm();
        spec["alarm_actions"] =
            serde_json::json!(["arn:aws:sns:eu-west-1:1:a", "arn:aws:sns:eu-west-1:1:b"]);
        assert!(!definition_differs(&prior, &attrs_of(spec)));
        let mut spec = cpu_alarm();
        spec["threshold"] = serde_json::json!(80.0);
        assert!(!definition_differs(&prior, &attrs_of(spec)));
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
