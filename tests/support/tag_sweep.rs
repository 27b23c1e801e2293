//! Everything still alive that carries a tag, found through the Resource
//! Groups Tagging API (`GetResources`, one region): what a "destroy left
//! nothing" check and a real-account cleanup look at.
//!
//! Objects AWS keeps listing after their deletion are gone as far as a user
//! is concerned and left out: KMS keys pending deletion, secrets scheduled
//! for deletion, INACTIVE ECS clusters, services and task definitions, and
//! NAT gateways that are deleting or deleted. IAM roles and autoscaling
//! targets are not listed by the tagging API at all.

use aws_sdk_resourcegroupstagging::types::TagFilter;
use std::collections::BTreeMap;

/// One object the tagging API lists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaggedArn {
    pub arn: String,
    pub tags: BTreeMap<String, String>,
}

impl std::fmt::Display for TaggedArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.arn)?;
        let forge: Vec<String> = self
            .tags
            .iter()
            .filter(|(k, _)| k.starts_with("forge:"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !forge.is_empty() {
            write!(f, " ({})", forge.join(", "))?;
        }
        Ok(())
    }
}

/// The live objects tagged `key` with one of `values` (any value when
/// `values` is empty), sorted.
pub async fn live_tagged(
    config: &aws_config::SdkConfig,
    key: &str,
    values: &[&str],
) -> Result<Vec<TaggedArn>, String> {
    let tagging = aws_sdk_resourcegroupstagging::Client::new(config);
    let mut filter = TagFilter::builder().key(key);
    for v in values {
        filter = filter.values(*v);
    }
    let filter = filter.build();
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = tagging
            .get_resources()
            .tag_filters(filter.clone())
            .set_pagination_token(token.clone())
            .send()
            .await
            .map_err(|e| format!("GetResources {key}={values:?}: {e:?}"))?;
        for r in out.resource_tag_mapping_list() {
            let tags = r
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            found.push(TaggedArn {
                arn: r.resource_arn().unwrap_or_default().to_string(),
                tags,
            });
        }
        token = out
            .pagination_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut live = Vec::new();
    for t in found {
        if !gone(config, &t.arn).await {
            live.push(t);
        }
    }
    live.sort();
    Ok(live)
}

/// Whether AWS still lists `arn` although it is deleted (or being deleted).
async fn gone(config: &aws_config::SdkConfig, arn: &str) -> bool {
    if arn.contains(":kms:") {
        let kms = aws_sdk_kms::Client::new(config);
        let state = kms
            .describe_key()
            .key_id(arn)
            .send()
            .await
            .ok()
            .and_then(|k| k.key_metadata().and_then(|m| m.key_state().cloned()));
        matches!(
            state,
            Some(
                aws_sdk_kms::types::KeyState::PendingDeletion
                    | aws_sdk_kms::types::KeyState::PendingReplicaDeletion
            )
        )
    } else if arn.contains(":secretsmanager:") {
        let secrets = aws_sdk_secretsmanager::Client::new(config);
        let s = secrets.describe_secret().secret_id(arn).send().await;
        s.map_or(true, |s| s.deleted_date().is_some())
    } else if arn.contains(":ecs:") {
        ecs_inactive(&aws_sdk_ecs::Client::new(config), arn).await
    } else if let Some(id) = arn.split(":natgateway/").nth(1) {
        let ec2 = aws_sdk_ec2::Client::new(config);
        let state = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .ok()
            .and_then(|o| o.nat_gateways().first()?.state().cloned());
        state.is_none_or(|s| matches!(s.as_str(), "deleting" | "deleted" | "failed"))
    } else {
        false
    }
}

/// Whether an ECS cluster, service or task definition is INACTIVE (or no
/// longer described).
pub async fn ecs_inactive(ecs: &aws_sdk_ecs::Client, arn: &str) -> bool {
    let status = if arn.contains(":task-definition/") {
        ecs.describe_task_definition()
            .task_definition(arn)
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.task_definition()?
                    .status()
                    .map(|s| s.as_str().to_string())
            })
    } else if let Some(rest) = arn.split(":service/").nth(1) {
        let cluster = rest.split('/').next().unwrap_or_default();
        ecs.describe_services()
            .cluster(cluster)
            .services(arn)
            .send()
            .await
            .ok()
            .and_then(|o| o.services().first()?.status().map(str::to_string))
    } else {
        ecs.describe_clusters()
            .clusters(arn)
            .send()
            .await
            .ok()
            .and_then(|o| o.clusters().first()?.status().map(str::to_string))
    };
    status.is_none_or(|s| s == "INACTIVE")
}
