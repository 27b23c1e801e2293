//! `aws.ecs.task_definition`: one revision of an ECS task definition
//! (Fargate: cpu, memory, awsvpc, roles, container definitions).
//!
//! Task definitions are immutable: every field but `tags` forces a
//! replacement, which for this kind means registering a new revision of
//! the family (create) and deregistering the old revision (delete) once
//! the services using it have moved. The provider asks the engine to
//! always do that create-before-destroy
//! ([`Kind::always_create_before_destroy`]). The id is the revision's
//! ARN (`...:task-definition/family:3`).
//!
//! Observe cost: one DescribeTaskDefinition (tags included) per revision,
//! run 8 at a time: ECS has no batched describe for task definitions. An
//! `INACTIVE` (deregistered) revision counts as gone.
//!
//! Revisions carry the ownership tags; `find_orphan` and `list_tagged`
//! read them one DescribeTaskDefinition per active revision (ECS lists
//! revisions without tags, and the tagging index does not map them).

use super::Ecs;
use super::common::{create_tags, delete_result, is_gone, tag_pairs};
use super::container::{Container, from_sdk_container, normalize_containers, to_sdk_container};
use crate::error::{none_if, returned_id};
use crate::kind::prelude::*;
use crate::normalize::text_value;
use crate::paging::{collect_pages, concurrent};
use crate::tags;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    Compatibility, CpuArchitecture, NetworkMode, OsFamily, RuntimePlatform, SortOrder, Tag,
    TaskDefinition, TaskDefinitionField, TaskDefinitionStatus,
};
use forge_core::{Attrs, Value};

/// DescribeTaskDefinition calls in flight during one observe.
const PARALLEL_DESCRIBES: usize = 8;

crate::kind::declare_kind!(TaskDefinitionKind: "aws.ecs.task_definition", Ecs, TaskDefinitionFields,
    "A revision of an ECS task definition; any change registers a new revision.");

/// The fields of `aws.ecs.task_definition`.
#[derive(Debug, Clone, Fields)]
pub struct TaskDefinitionFields {
    /// Family name; revisions are numbered within it.
    #[field(force_new)]
    pub family: String,
    /// Task CPU units (256, 512, 1024, ...).
    #[field(force_new, normalize = text_value)]
    pub cpu: Option<String>,
    /// Task memory in MiB (512, 1024, ...).
    #[field(force_new, normalize = text_value)]
    pub memory: Option<String>,
    /// awsvpc (required by Fargate), bridge, host.
    #[field(optional_computed, force_new)]
    pub network_mode: Option<String>,
    /// Launch types it must run on: [FARGATE].
    #[field(force_new, default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub requires_compatibilities: Option<Vec<String>>,
    /// Role ECS uses to pull images, write logs, read secrets.
    #[field(force_new)]
    pub execution_role_arn: Option<String>,
    /// Role the containers run as.
    #[field(force_new)]
    pub task_role_arn: Option<String>,
    /// CPU architecture and OS.
    #[field(force_new, normalize = without_nulls)]
    pub runtime_platform: Option<Platform>,
    /// The containers of the task.
    #[field(force_new)]
    pub container_definitions: Vec<Container>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The revision's ARN (= id).
    pub arn: Computed<String>,
    /// The revision number.
    pub revision: Computed<i64>,
    /// The family's ARN without `:revision`.
    pub arn_without_revision: Computed<String>,
}

/// A task's CPU architecture and OS.
#[derive(Debug, Clone, Fields)]
pub struct Platform {
    /// X86_64 or ARM64.
    pub cpu_architecture: Option<String>,
    /// LINUX, WINDOWS_SERVER_2022_CORE, ...
    pub operating_system_family: Option<String>,
}

/// An object without its null entries (unset is absent).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether containers get awsvpc's port defaults (Fargate implies awsvpc).
fn is_awsvpc(network_mode: Option<&str>, compatibilities: &[String]) -> bool {
    network_mode == Some("awsvpc") || compatibilities.iter().any(|c| c == "FARGATE")
}

fn fields(td: &TaskDefinition, tags: &[Tag]) -> TaskDefinitionFields {
    let arn = td.task_definition_arn().unwrap_or_default();
    let mut compat: Vec<String> = td
        .requires_compatibilities()
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    compat.sort();
    compat.dedup();
    let network_mode = td.network_mode().map(|n| n.as_str().to_string());
    let awsvpc = is_awsvpc(network_mode.as_deref(), &compat);
    let platform = td.runtime_platform().map(|r| Platform {
        cpu_architecture: r.cpu_architecture().map(|a| a.as_str().to_string()),
        operating_system_family: r.operating_system_family().map(|o| o.as_str().to_string()),
    });
    let text = |s: Option<&str>| s.map(str::to_string);
    TaskDefinitionFields {
        family: td.family().unwrap_or_default().to_string(),
        cpu: text(td.cpu()),
        memory: text(td.memory()),
        network_mode,
        requires_compatibilities: Some(compat),
        execution_role_arn: text(td.execution_role_arn()),
        task_role_arn: text(td.task_role_arn()),
        runtime_platform: platform
            .filter(|p| p.cpu_architecture.is_some() || p.operating_system_family.is_some()),
        container_definitions: td
            .container_definitions()
            .iter()
            .map(|c| Container(from_sdk_container(c, awsvpc)))
            .collect(),
        tags: tags::observed_map(tag_pairs(tags)),
        arn: Some(arn.to_string()),
        revision: Some(i64::from(td.revision())),
        arn_without_revision: arn.rsplit_once(':').map(|(head, _)| head.to_string()),
    }
}

/// One revision with its tags; `None` when it does not exist or is
/// deregistered.
async fn describe_one(
    client: &Client,
    arn: &str,
) -> Result<Option<(TaskDefinition, Vec<Tag>)>, ProviderError> {
    let call = client.describe_task_definition().task_definition(arn);
    let result = call.include(TaskDefinitionField::Tags).send().await;
    let Some(out) = none_if(result.map_err(Ecs::err), is_gone)? else {
        return Ok(None);
    };
    let tags = out.tags.clone().unwrap_or_default();
    Ok(out
        .task_definition
        .filter(|td| td.status() != Some(&TaskDefinitionStatus::Inactive))
        .map(|td| (td, tags)))
}

#[async_trait]
impl Kind for TaskDefinitionKind {
    const CREATE_BEFORE_DESTROY: bool = true;

    /// Container definitions get awsvpc's port defaults when the task's
    /// network mode (or Fargate) implies it.
    fn normalize(attrs: &mut Attrs) {
        let mode = attrs.get("network_mode").and_then(Value::as_str);
        let compat: Vec<String> = attrs
            .get("requires_compatibilities")
            .and_then(Value::as_list)
            .map(|l| {
                l.iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let awsvpc = is_awsvpc(mode, &compat);
        if let Some(defs) = attrs.get("container_definitions") {
            let defs = normalize_containers(defs, awsvpc);
            attrs.insert("container_definitions".into(), defs);
        }
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let found = concurrent(ids.to_vec(), PARALLEL_DESCRIBES, |arn| async move {
            let td = describe_one(ctx.client, &arn).await?;
            Ok(td.map(|(td, tags)| (arn, fields(&td, &tags))))
        })
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        if desired.container_definitions.is_empty() {
            return Err(ProviderError::Invalid(
                "`container_definitions` must list at least one container".into(),
            ));
        }
        let containers = desired
            .container_definitions
            .iter()
            .map(|c| to_sdk_container(&c.0))
            .collect::<Result<Vec<_>, _>>()?;
        let compat: Vec<Compatibility> = desired
            .requires_compatibilities
            .iter()
            .flatten()
            .map(|c| Compatibility::from(c.as_str()))
            .collect();
        let platform = desired.runtime_platform.as_ref().map(|r| {
            RuntimePlatform::builder()
                .set_cpu_architecture(r.cpu_architecture.as_deref().map(CpuArchitecture::from))
                .set_operating_system_family(
                    r.operating_system_family.as_deref().map(OsFamily::from),
                )
                .build()
        });
        let out = ctx
            .client
            .register_task_definition()
            .family(&desired.family)
            .set_cpu(desired.cpu.clone())
            .set_memory(desired.memory.clone())
            .set_network_mode(desired.network_mode.as_deref().map(NetworkMode::from))
            .set_requires_compatibilities((!compat.is_empty()).then_some(compat))
            .set_execution_role_arn(desired.execution_role_arn.clone())
            .set_task_role_arn(desired.task_role_arn.clone())
            .set_runtime_platform(platform)
            .set_container_definitions(Some(containers))
            .set_tags(create_tags(&desired.tags, ctx))
            .send()
            .await
            .map_err(Ecs::err)?;
        let td = returned(
            out.task_definition,
            "RegisterTaskDefinition returned nothing",
        )?;
        let arn = returned_id(td.task_definition_arn(), "RegisterTaskDefinition")?;
        // Read back rather than trusting the response's tags: not every
        // endpoint echoes them.
        let fields = match describe_one(ctx.client, &arn).await? {
            Some((td, tags)) => fields(&td, &tags),
            None => fields(&td, &out.tags.unwrap_or_default()),
        };
        Ok(Made { id: arn, fields })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        // Everything else forces a new revision; only tags reach here.
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        delete_result(
            ctx.client
                .deregister_task_definition()
                .task_definition(id)
                .send()
                .await
                .map(drop)
                .map_err(Ecs::err),
        )
    }

    /// The active revisions owned, newest first; given an address (the
    /// orphan search), only the newest, registered moments before a crash.
    /// ECS lists revisions without their tags, so each listed revision
    /// costs one DescribeTaskDefinition: the one way to tell forge's
    /// revisions apart (the tagging index does not map them).
    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let arns = collect_pages(|token| {
            let call = ctx
                .client
                .list_task_definitions()
                .status(TaskDefinitionStatus::Active)
                .sort(SortOrder::Desc)
                .max_results(100)
                .set_next_token(token);
            async move {
                let out = call.send().await.map_err(Ecs::err)?;
                Ok((out.task_definition_arns.unwrap_or_default(), out.next_token))
            }
        })
        .await?;
        let mut found = Vec::new();
        for arn in arns {
            if let Some((_, tags)) = describe_one(ctx.client, &arn).await?
                && let Some(entry) = tags::owned_entry(&ctx.owner, tag_pairs(&tags), &arn, address)
            {
                found.push(entry);
                if address.is_some() {
                    break;
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use forge_core::fields::Fields;
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

    fn provider() -> crate::kind::KindProvider<TaskDefinitionKind> {
        testing::provider()
    }

    fn desired(image: &str) -> Attrs {
        testing::desired::<TaskDefinitionKind>(json!({
            "family": "api", "cpu": 256, "memory": "512", "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "execution_role_arn": "arn:aws:iam::1:role/exec",
            "container_definitions": [{
                "name": "api", "image": image, "port_mappings": [{"container_port": 8080}],
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                "log_configuration": {"log_driver": "awslogs", "options": {"awslogs-group": "/ecs/api"}}
            }],
            "tags": {"team": "core"}
        }))
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
        let raw = fields(&registered(&d), &tags).to_attrs();
        for field in provider().schema().fields.keys() {
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
