//! `aws.ecs.task_definition`: one revision of an ECS task definition
//! (Fargate: cpu, memory, awsvpc, roles, container definitions).
//!
//! Task definitions are immutable: every field but `tags` forces a
//! replacement, which for this kind means registering a new revision of
//! the family (create) and deregistering the old revision (delete) once
//! the services using it have moved. The provider asks the engine to
//! always do that create-before-destroy
//! ([`Provider::always_create_before_destroy`]). The id is the revision's
//! ARN (`...:task-definition/family:3`).
//!
//! Observe cost: one DescribeTaskDefinition (tags included) per revision,
//! run 8 at a time: ECS has no batched describe for task definitions. An
//! `INACTIVE` (deregistered) revision counts as gone.
//!
//! Revisions carry the ownership tags; `find_orphan` and `list_tagged`
//! read them one DescribeTaskDefinition per active revision (ECS lists
//! revisions without tags, and the tagging index does not map them).

use super::common::{self, CONCURRENCY, EcsBase, ecs_err, is_gone, observed_tags};
use super::container::{
    container_schema, from_sdk_container, normalize_containers, to_sdk_container,
};
use crate::attrs::attrs;
use crate::attrs::{normalize_set, opt_str, req_str, str_list, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::elbv2::common::text_value;
use crate::normalize::normalize_common;
use crate::paging::collect_pages;
use crate::tags::{ADDRESS_TAG, tags_field};
use async_trait::async_trait;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    Compatibility, CpuArchitecture, NetworkMode, OsFamily, RuntimePlatform, SortOrder, Tag,
    TaskDefinition, TaskDefinitionField, TaskDefinitionStatus,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Owner, Provider, ProviderError, ResourceCtx};
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::BTreeMap;
use std::sync::Arc;

/// DescribeTaskDefinition calls in flight during one observe.
const PARALLEL_DESCRIBES: usize = 8;

/// The `aws.ecs.task_definition` provider.
pub struct TaskDefinitionProvider {
    base: EcsBase,
    schema: KindSchema,
}

impl TaskDefinitionProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        TaskDefinitionProvider {
            base: EcsBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ecs.task_definition`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ecs.task_definition",
        "A revision of an ECS task definition; any change registers a new revision.",
        [
            (
                "family",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("Family name; revisions are numbered within it."),
            ),
            (
                "cpu",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .describe("Task CPU units (256, 512, 1024, ...)."),
            ),
            (
                "memory",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .describe("Task memory in MiB (512, 1024, ...)."),
            ),
            (
                "network_mode",
                FieldSchema::optional_computed(FieldType::String)
                    .force_new()
                    .describe("awsvpc (required by Fargate), bridge, host."),
            ),
            (
                "requires_compatibilities",
                FieldSchema::optional(FieldType::list(FieldType::String))
                    .default(Value::List(Vec::new()))
                    .force_new()
                    .describe("Launch types it must run on: [FARGATE]."),
            ),
            (
                "execution_role_arn",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .describe("Role ECS uses to pull images, write logs, read secrets."),
            ),
            (
                "task_role_arn",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .describe("Role the containers run as."),
            ),
            (
                "runtime_platform",
                FieldSchema::optional(FieldType::object([
                    (
                        "cpu_architecture",
                        FieldSchema::optional(FieldType::String).describe("X86_64 or ARM64."),
                    ),
                    (
                        "operating_system_family",
                        FieldSchema::optional(FieldType::String)
                            .describe("LINUX, WINDOWS_SERVER_2022_CORE, ..."),
                    ),
                ]))
                .force_new()
                .describe("CPU architecture and OS."),
            ),
            (
                "container_definitions",
                FieldSchema::required(FieldType::list(container_schema()))
                    .force_new()
                    .describe("The containers of the task."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The revision's ARN (= id)."),
            ),
            (
                "revision",
                FieldSchema::computed(FieldType::Number).describe("The revision number."),
            ),
            (
                "arn_without_revision",
                FieldSchema::computed(FieldType::String)
                    .describe("The family's ARN without `:revision`."),
            ),
        ],
    )
}

/// Whether containers of these attributes get awsvpc's port defaults
/// (Fargate implies awsvpc).
fn is_awsvpc(attrs: &Attrs) -> bool {
    opt_str(attrs, "network_mode") == Some("awsvpc")
        || str_list(attrs, "requires_compatibilities")
            .iter()
            .any(|c| c == "FARGATE")
}

fn runtime_value(r: Option<&RuntimePlatform>) -> Value {
    let Some(r) = r else { return Value::Null };
    let mut m = BTreeMap::new();
    if let Some(a) = r.cpu_architecture() {
        m.insert("cpu_architecture".to_string(), Value::from(a.as_str()));
    }
    if let Some(o) = r.operating_system_family() {
        m.insert(
            "operating_system_family".to_string(),
            Value::from(o.as_str()),
        );
    }
    if m.is_empty() {
        Value::Null
    } else {
        Value::Map(m)
    }
}

fn td_attrs(td: &TaskDefinition, tags: &[Tag]) -> Attrs {
    let arn = td.task_definition_arn().unwrap_or_default();
    let mut a = attrs([
        ("id", arn.into()),
        ("arn", arn.into()),
        ("family", str_or_null(td.family())),
        ("cpu", str_or_null(td.cpu())),
        ("memory", str_or_null(td.memory())),
        (
            "network_mode",
            str_or_null(td.network_mode().map(|n| n.as_str())),
        ),
        (
            "requires_compatibilities",
            str_set(td.requires_compatibilities().iter().map(|c| c.as_str())),
        ),
        ("execution_role_arn", str_or_null(td.execution_role_arn())),
        ("task_role_arn", str_or_null(td.task_role_arn())),
        ("runtime_platform", runtime_value(td.runtime_platform())),
        ("tags", observed_tags(tags)),
        ("revision", Value::int(i64::from(td.revision()))),
        (
            "arn_without_revision",
            arn.rsplit_once(':')
                .map_or(Value::Null, |(head, _)| Value::from(head)),
        ),
    ]);
    let awsvpc = is_awsvpc(&a);
    a.insert(
        "container_definitions".into(),
        Value::List(
            td.container_definitions()
                .iter()
                .map(|c| from_sdk_container(c, awsvpc))
                .collect(),
        ),
    );
    a
}

/// One revision with its tags; `None` when it does not exist or is
/// deregistered.
async fn describe_one(
    client: &Client,
    arn: &str,
) -> Result<Option<(TaskDefinition, Vec<Tag>)>, ProviderError> {
    let out = match client
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let e = ecs_err(e);
            return if is_gone(&e) { Ok(None) } else { Err(e) };
        }
    };
    let tags = out.tags.clone().unwrap_or_default();
    Ok(out
        .task_definition
        .filter(|td| td.status() != Some(&TaskDefinitionStatus::Inactive))
        .map(|td| (td, tags)))
}

async fn observe_tds(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let found: Vec<(String, Option<Attrs>)> = stream::iter(arns.iter().cloned())
        .map(|arn| async move {
            let td = describe_one(client, &arn).await?;
            Ok::<_, ProviderError>((arn, td.map(|(td, tags)| td_attrs(&td, &tags))))
        })
        .buffer_unordered(PARALLEL_DESCRIBES)
        .try_collect()
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|(arn, a)| Some((arn, a?)))
        .collect())
}

fn runtime_platform(desired: &Attrs) -> Option<RuntimePlatform> {
    let r = desired.get("runtime_platform")?.as_map()?;
    let get = |k: &str| r.get(k).and_then(Value::as_str);
    Some(
        RuntimePlatform::builder()
            .set_cpu_architecture(get("cpu_architecture").map(CpuArchitecture::from))
            .set_operating_system_family(get("operating_system_family").map(OsFamily::from))
            .build(),
    )
}

#[async_trait]
impl Provider for TaskDefinitionProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn always_create_before_destroy(&self) -> bool {
        true
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        for key in ["cpu", "memory"] {
            if let Some(v) = attrs.get_mut(key) {
                *v = text_value(v);
            }
        }
        normalize_set(&mut attrs, "requires_compatibilities");
        if attrs
            .get("requires_compatibilities")
            .is_none_or(Value::is_null)
        {
            attrs.insert("requires_compatibilities".into(), Value::List(Vec::new()));
        }
        if let Some(Value::Map(r)) = attrs.get_mut("runtime_platform") {
            r.retain(|_, v| !v.is_null());
        }
        let awsvpc = is_awsvpc(&attrs);
        if let Some(defs) = attrs.get("container_definitions") {
            let defs = normalize_containers(defs, awsvpc);
            attrs.insert("container_definitions".into(), defs);
        }
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_tds(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let containers = desired
            .get("container_definitions")
            .and_then(Value::as_list)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| {
                ProviderError::Invalid(
                    "`container_definitions` must list at least one container".into(),
                )
            })?
            .iter()
            .map(to_sdk_container)
            .collect::<Result<Vec<_>, _>>()?;
        let compat: Vec<Compatibility> = str_list(desired, "requires_compatibilities")
            .iter()
            .map(|c| Compatibility::from(c.as_str()))
            .collect();
        let out = client
            .register_task_definition()
            .family(req_str(desired, "family")?)
            .set_cpu(opt_str(desired, "cpu").map(str::to_string))
            .set_memory(opt_str(desired, "memory").map(str::to_string))
            .set_network_mode(opt_str(desired, "network_mode").map(NetworkMode::from))
            .set_requires_compatibilities(if compat.is_empty() {
                None
            } else {
                Some(compat)
            })
            .set_execution_role_arn(opt_str(desired, "execution_role_arn").map(str::to_string))
            .set_task_role_arn(opt_str(desired, "task_role_arn").map(str::to_string))
            .set_runtime_platform(runtime_platform(desired))
            .set_container_definitions(Some(containers))
            .set_tags(Some(common::create_tags(desired, ctx)))
            .send()
            .await
            .map_err(ecs_err)?;
        let td = out
            .task_definition
            .ok_or_else(|| ProviderError::Transient {
                message: "RegisterTaskDefinition returned nothing".into(),
            })?;
        let arn = td
            .task_definition_arn()
            .ok_or_else(|| ProviderError::Transient {
                message: "RegisterTaskDefinition returned no ARN".into(),
            })?
            .to_string();
        // Read back rather than trusting the response's tags: not every
        // endpoint echoes them.
        let attrs = match describe_one(&client, &arn).await? {
            Some((td, tags)) => td_attrs(&td, &tags),
            None => td_attrs(&td, &out.tags.unwrap_or_default()),
        };
        Ok(Created { id: arn, attrs })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        // Everything else forces a new revision; only tags reach here.
        let client = self.base.client(&ctx.region).await?;
        common::sync_tags(&client, id, prior, desired).await?;
        observe_tds(&client, &[id.to_string()])
            .await?
            .remove(id)
            .ok_or_else(|| ProviderError::Transient {
                message: format!("task definition {id} not visible"),
            })
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::delete_result(
            client
                .deregister_task_definition()
                .task_definition(id)
                .send()
                .await
                .map(|_| ())
                .map_err(ecs_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let found = owned_revisions(&client, &ctx.owner, Some(&address), true).await?;
        Ok(found.into_iter().next().map(|(arn, td, tags)| Created {
            attrs: td_attrs(&td, &tags),
            id: arn,
        }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let found = owned_revisions(&client, &ctx.owner, None, false).await?;
        Ok(found
            .into_iter()
            .map(|(arn, _, tags)| {
                let address = common::tag_value(&tags, ADDRESS_TAG).map(str::to_string);
                (arn, address)
            })
            .collect())
    }
}

/// The active revisions `owner` owns (as `address`, if given), newest
/// first, with their tags; only the newest when `first_only`. ECS lists
/// revisions without their tags, so each listed revision costs one
/// DescribeTaskDefinition: the one way find_orphan (which usually stops at
/// the newest, registered moments before a crash) and drift's orphan
/// search (which reads them all) can tell forge's revisions apart.
async fn owned_revisions(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
    first_only: bool,
) -> Result<Vec<(String, TaskDefinition, Vec<Tag>)>, ProviderError> {
    let arns = collect_pages(|token| {
        let call = client
            .list_task_definitions()
            .status(TaskDefinitionStatus::Active)
            .sort(SortOrder::Desc)
            .max_results(100)
            .set_next_token(token);
        async move {
            let out = call.send().await.map_err(ecs_err)?;
            Ok((out.task_definition_arns.unwrap_or_default(), out.next_token))
        }
    })
    .await?;
    let mut found = Vec::new();
    for arn in arns {
        if let Some((td, tags)) = describe_one(client, &arn).await?
            && common::owned_by(&tags, owner, address)
        {
            found.push((arn, td, tags));
            if first_only {
                break;
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> TaskDefinitionProvider {
        TaskDefinitionProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(image: &str) -> Attrs {
        let j = json!({
            "family": "api", "cpu": 256, "memory": "512", "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "execution_role_arn": "arn:aws:iam::1:role/exec",
            "container_definitions": [{
                "name": "api", "image": image, "port_mappings": [{"container_port": 8080}],
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                "log_configuration": {"log_driver": "awslogs", "options": {"awslogs-group": "/ecs/api"}}
            }],
            "tags": {"team": "core"}
        });
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&schema(), &mut a);
        provider().normalize(a)
    }

    fn registered(d: &Attrs) -> TaskDefinition {
        let containers = d["container_definitions"]
            .as_list()
            .unwrap()
            .iter()
            .map(|c| to_sdk_container(c).unwrap());
        TaskDefinition::builder()
            .task_definition_arn("arn:aws:ecs:eu-west-1:1:task-definition/api:3")
            .family("api")
            .revision(3)
            .cpu("256")
            .memory("512")
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .compatibilities(Compatibility::Ec2)
            .compatibilities(Compatibility::Fargate)
            .execution_role_arn("arn:aws:iam::1:role/exec")
            .status(TaskDefinitionStatus::Active)
            .set_container_definitions(Some(containers.collect()))
            .build()
    }

    #[test]
    fn registered_revision_is_a_no_op_and_image_change_replaces() {
        let d = desired("nginx:1.27");
        let tags = vec![
            Tag::builder().key("team").value("core").build(),
            Tag::builder().key("forge:stack").value("s").build(),
        ];
        let raw = td_attrs(&registered(&d), &tags);
        for field in schema().fields.keys() {
            assert!(raw.contains_key(field), "missing {field}");
        }
        let observed = provider().normalize(raw);
        assert_eq!(
            observed["arn_without_revision"],
            Value::from("arn:aws:ecs:eu-west-1:1:task-definition/api")
        );
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        let plan = provider().plan(Some(&observed), &desired("nginx:1.28"));
        assert_eq!(plan.action, PlannedAction::Replace);
        assert!(provider().always_create_before_destroy());
        let mut retagged = d.clone();
        retagged.insert("tags".into(), Value::from_json(&json!({"team": "edge"})));
        assert_eq!(
            provider().plan(Some(&observed), &retagged).action,
            PlannedAction::Update
        );
    }
}
