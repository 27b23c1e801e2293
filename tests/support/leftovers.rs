//! What a destroy left of a stack, found through each service's own API
//! (never through forge's state): EC2 objects by forge's ownership tag
//! (with NAT gateway states, `network::leftovers`), whatever the Resource
//! Groups Tagging API lists with the stack's tag, IAM roles named for the
//! stack and ECS autoscaling targets.

use crate::emulator::Emulator;
use crate::network::{self, STACK_TAG};

/// Whether an ECS cluster, service or task definition ARN is INACTIVE:
/// ECS keeps deleted ones describable (and tagged) for a while.
async fn ecs_inactive(ecs: &aws_sdk_ecs::Client, arn: &str) -> bool {
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

/// Everything of the stack still alive, in every service and region:
/// EC2 (by the ownership tag), whatever the Resource Groups Tagging API
/// lists with the stack's tag (KMS keys pending deletion and secrets
/// scheduled for deletion are gone as far as a user is concerned), IAM
/// roles and autoscaling targets (which the tagging API does not list).
pub async fn of_stack(emulator: &Emulator, stack: &str, regions: &[&str]) -> Vec<String> {
    let mut left = Vec::new();
    for region in regions {
        let config = emulator.sdk_config(region).await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        match network::leftovers(&ec2).await {
            Ok(l) => left.extend(l.into_iter().map(|x| format!("{region}: {x}"))),
            Err(e) => left.push(format!("{region}: {e}")),
        }
        let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
        let kms = aws_sdk_kms::Client::new(&config);
        let secrets = aws_sdk_secretsmanager::Client::new(&config);
        let ecs = aws_sdk_ecs::Client::new(&config);
        let mut token: Option<String> = None;
        loop {
            let out = tagging
                .get_resources()
                .tag_filters(
                    aws_sdk_resourcegroupstagging::types::TagFilter::builder()
                        .key(STACK_TAG)
                        .values(stack)
                        .build(),
                )
                .set_pagination_token(token.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("GetResources: {e:?}"));
            for r in out.resource_tag_mapping_list() {
                let arn = r.resource_arn().unwrap_or_default();
                if arn.contains(":kms:") {
                    let key = kms.describe_key().key_id(arn).send().await;
                    let state = key
                        .ok()
                        .and_then(|k| k.key_metadata().and_then(|m| m.key_state().cloned()));
                    if state.as_ref().map(|s| s.as_str()) == Some("PendingDeletion") {
                        continue;
                    }
                } else if arn.contains(":secretsmanager:") {
                    let s = secrets.describe_secret().secret_id(arn).send().await;
                    if s.map_or(true, |s| s.deleted_date().is_some()) {
                        continue;
                    }
                } else if arn.contains(":ecs:") {
                    if ecs_inactive(&ecs, arn).await {
                        continue;
                    }
                } else if arn.contains(":ec2:") {
                    // Covered (with NAT states) by network::leftovers.
                    continue;
                }
                left.push(format!("{region}: {arn}"));
            }
            token = out
                .pagination_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let aas = aws_sdk_applicationautoscaling::Client::new(&config);
        let targets = aas
            .describe_scalable_targets()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DescribeScalableTargets: {e:?}"));
        left.extend(
            targets
                .scalable_targets()
                .iter()
                .map(|t| format!("{region}: scalable target {}", t.resource_id())),
        );
    }
    let iam = aws_sdk_iam::Client::new(&emulator.sdk_config("us-east-1").await);
    let roles = iam
        .list_roles()
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListRoles: {e:?}"));
    left.extend(
        roles
            .roles()
            .iter()
            .filter(|r| r.role_name().starts_with(stack))
            .map(|r| format!("IAM role {}", r.role_name())),
    );
    left
}
