//! What a destroy left of a stack, found through each service's own API
//! (never through forge's state): EC2 objects by forge's ownership tag
//! (with NAT gateway states, `network::leftovers`), whatever the Resource
//! Groups Tagging API lists with the stack's tag (`tag_sweep`), IAM roles
//! named for the stack and ECS autoscaling targets.

use crate::emulator::Emulator;
use crate::network::{self, STACK_TAG};
use crate::tag_sweep::live_tagged;

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
        let tagged = live_tagged(&config, STACK_TAG, &[stack])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        left.extend(
            tagged
                .into_iter()
                // EC2 is covered (with NAT states) by network::leftovers.
                .filter(|t| !t.arn.contains(":ec2:"))
                .map(|t| format!("{region}: {}", t.arn)),
        );
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
