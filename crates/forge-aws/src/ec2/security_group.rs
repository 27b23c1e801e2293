//! `aws.ec2.security_group`: a security group and its rules.
//!
//! Rules are modelled one per source, like DescribeSecurityGroupRules, and
//! reconciled one by one against the live rules: an update authorizes the
//! new rules, revokes the removed ones by rule id, and updates changed
//! descriptions in place. AWS's default allow-all egress rule is revoked at
//! create unless the spec's `egress` lists it. Observe cost: one
//! DescribeSecurityGroups plus one DescribeSecurityGroupRules (filter
//! `group-id`) per 200 groups, plus pages.

use super::common::prelude::*;
use super::sg_rules::{self, Rule, RulePlan};
use crate::error::{has_code, ignore_not_found, ok_on};
use crate::paging::{MAX_FILTER_VALUES, collect_pages, for_chunks};
use aws_sdk_ec2::types::{IpPermission, SecurityGroup, SecurityGroupRule};
use forge_core::Value;
use forge_engine::ResourceCtx;
use std::collections::BTreeMap;

ec2_kind!(SecurityGroupKind: "aws.ec2.security_group", SecurityGroupFields, ResourceType::SecurityGroup,
    "A VPC security group with its ingress and egress rules.",
    describes SecurityGroup, "group-id",
    describe_security_groups.set_filters -> security_groups, group_id, paged);

/// The fields of `aws.ec2.security_group`.
#[derive(Debug, Clone, Default, Fields)]
pub struct SecurityGroupFields {
    /// The group's name, unique in the VPC.
    #[field(force_new)]
    pub group_name: String,
    /// What the group is for (cannot be changed after create).
    #[field(force_new, default = DEFAULT_DESCRIPTION)]
    pub description: Option<String>,
    /// The VPC of the group.
    #[field(force_new)]
    pub vpc_id: String,
    /// Inbound rules, one per source (order does not matter).
    #[field(default = Value::List(Vec::new()), normalize = sg_rules::normalize_rules)]
    pub ingress: Option<Vec<Rule>>,
    /// Outbound rules, one per destination; empty means no outbound traffic.
    #[field(default = Value::List(Vec::new()), normalize = sg_rules::normalize_rules)]
    pub egress: Option<Vec<Rule>>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The group's ARN.
    pub arn: Computed<String>,
    /// The owning AWS account.
    pub owner_id: Computed<String>,
}

/// The description AWS requires when the spec gives none.
pub const DEFAULT_DESCRIPTION: &str = "Managed by forge";

/// DescribeSecurityGroupRules for the given groups: one request per 200
/// groups, plus pages.
async fn describe_rules(
    client: &Client,
    group_ids: &[String],
) -> Result<Vec<SecurityGroupRule>, ProviderError> {
    for_chunks(group_ids, MAX_FILTER_VALUES, |chunk| {
        let filters = vec![filter("group-id", chunk)];
        collect_pages(move |token| {
            let call = client
                .describe_security_group_rules()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token);
            async move {
                let out = call.send().await.map_err(ec2_err)?;
                Ok((out.security_group_rules.unwrap_or_default(), out.next_token))
            }
        })
    })
    .await
}

/// Live rules of each group: group id -> (ingress, egress), each rule with
/// its id.
type LiveRules = BTreeMap<String, GroupRules>;

/// One group's live (ingress, egress) rules with their ids.
type GroupRules = (Vec<(String, Rule)>, Vec<(String, Rule)>);

fn group_rules(rules: &[SecurityGroupRule]) -> LiveRules {
    let mut out = LiveRules::new();
    for r in rules {
        let (Some(group), Some(id), Some(rule)) =
            (r.group_id(), r.security_group_rule_id(), Rule::from_sdk(r))
        else {
            continue;
        };
        let entry = out.entry(group.to_string()).or_default();
        let list = if r.is_egress() == Some(true) {
            &mut entry.1
        } else {
            &mut entry.0
        };
        list.push((id.to_string(), rule));
    }
    out
}

/// Rules as a set: sorted, without duplicates.
fn rule_set(rules: impl IntoIterator<Item = Rule>) -> Vec<Rule> {
    let mut rules: Vec<Rule> = rules.into_iter().collect();
    rules.sort();
    rules.dedup();
    rules
}

/// One direction's live rules as a field.
fn rules_field(rules: &[(String, Rule)]) -> Option<Vec<Rule>> {
    Some(rule_set(rules.iter().map(|(_, r)| r.clone())))
}

fn group_fields(region: &str, g: &SecurityGroup, live: Option<&GroupRules>) -> SecurityGroupFields {
    let id = g.group_id().unwrap_or_default();
    let arn = match g.security_group_arn() {
        Some(a) => Some(a.to_string()),
        None => common::arn_text(region, g.owner_id(), "security-group", id),
    };
    SecurityGroupFields {
        group_name: g.group_name().unwrap_or_default().to_string(),
        description: g.description().map(str::to_string),
        vpc_id: g.vpc_id().unwrap_or_default().to_string(),
        ingress: live.map_or(Some(Vec::new()), |l| rules_field(&l.0)),
        egress: live.map_or(Some(Vec::new()), |l| rules_field(&l.1)),
        tags: common::observed_tag_map(g.tags()),
        arn,
        owner_id: g.owner_id().map(str::to_string),
    }
}

async fn observe_groups(
    client: &Client,
    region: &str,
    ids: &[String],
) -> Result<BTreeMap<String, SecurityGroupFields>, ProviderError> {
    let groups = describe_ids::<SecurityGroupKind>(client, ids).await?;
    let found: Vec<String> = groups
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    let live = if found.is_empty() {
        LiveRules::new()
    } else {
        group_rules(&describe_rules(client, &found).await?)
    };
    Ok(common::keyed::<SecurityGroupKind, _>(groups, |g| {
        group_fields(region, g, g.group_id().and_then(|id| live.get(id)))
    }))
}

/// Which way a set of rules points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

/// One call in the rules' direction: the `$ingress` or the `$egress` API,
/// with the same setters.
macro_rules! by_direction {
    ($dir:expr, $client:expr, $ingress:ident | $egress:ident, $($set:ident($arg:expr)).*) => {
        match $dir {
            Direction::Ingress => {
                let call = $client.$ingress()$(.$set($arg))*;
                call.send().await.map(drop).map_err(ec2_err)
            }
            Direction::Egress => {
                let call = $client.$egress()$(.$set($arg))*;
                call.send().await.map(drop).map_err(ec2_err)
            }
        }
    };
}

async fn authorize(
    client: &Client,
    group: &str,
    dir: Direction,
    perms: Vec<IpPermission>,
) -> Res<()> {
    by_direction!(
        dir,
        client,
        authorize_security_group_ingress | authorize_security_group_egress,
        group_id(group).set_ip_permissions(Some(perms))
    )
}

/// Authorizes rules in one call; if one of them already exists (a retry
/// after a lost response), falls back to one call per rule, skipping the
/// duplicates, because EC2 rejects the whole batch.
async fn authorize_all(client: &Client, group: &str, dir: Direction, rules: &[Rule]) -> Res<()> {
    const DUPLICATE: &str = "InvalidPermission.Duplicate";
    if rules.is_empty() {
        return Ok(());
    }
    let perms = rules.iter().map(Rule::to_permission).collect();
    match authorize(client, group, dir, perms).await {
        Err(e) if has_code(&e, DUPLICATE) && rules.len() > 1 => {
            for r in rules {
                let one = authorize(client, group, dir, vec![r.to_permission()]).await;
                ok_on(one, &[DUPLICATE])?;
            }
            Ok(())
        }
        other => ok_on(other, &[DUPLICATE]),
    }
}

/// Applies one direction's plan. New rules go in before old ones go out,
/// so replacing a rule never leaves a moment without either.
async fn apply_plan(client: &Client, group: &str, dir: Direction, plan: RulePlan) -> Res<()> {
    authorize_all(client, group, dir, &plan.authorize).await?;
    if !plan.describe.is_empty() {
        let perms: Vec<IpPermission> = plan.describe.iter().map(Rule::to_permission).collect();
        by_direction!(
            dir,
            client,
            update_security_group_rule_descriptions_ingress
                | update_security_group_rule_descriptions_egress,
            group_id(group).set_ip_permissions(Some(perms))
        )?;
    }
    if plan.revoke.is_empty() {
        return Ok(());
    }
    ignore_not_found(by_direction!(
        dir,
        client,
        revoke_security_group_ingress | revoke_security_group_egress,
        group_id(group).set_security_group_rule_ids(Some(plan.revoke))
    ))
}

/// Brings the group's live rules to the desired ones (one Describe of its
/// rules, then only the calls that change something).
async fn reconcile(client: &Client, group: &str, desired: &SecurityGroupFields) -> Res<()> {
    let mut live = group_rules(&describe_rules(client, &[group.to_string()]).await?);
    let (live_in, live_out) = live.remove(group).unwrap_or_default();
    for (dir, live, want) in [
        (Direction::Ingress, live_in, &desired.ingress),
        (Direction::Egress, live_out, &desired.egress),
    ] {
        let want = rule_set(want.iter().flatten().cloned());
        apply_plan(client, group, dir, sg_rules::diff_rules(&live, &want)).await?;
    }
    Ok(())
}

/// After `InvalidGroup.Duplicate`: the existing group of that name in that
/// VPC, if this very address of this stack created it (a create retried
/// after its response was lost).
async fn own_duplicate(
    client: &Client,
    ctx: &ResourceCtx,
    vpc: &str,
    name: &str,
) -> Result<Option<String>, ProviderError> {
    let groups = describe::<SecurityGroupKind>(
        client,
        vec![filter("vpc-id", [vpc]), filter("group-name", [name])],
    )
    .await?;
    let address = ctx.address.to_string();
    let ours = groups
        .iter()
        .find(|g| common::owned::<SecurityGroupKind>(g, &ctx.owner, Some(address.as_str())));
    Ok(ours.and_then(|g| g.group_id().map(str::to_string)))
}

#[async_trait]
impl Kind for SecurityGroupKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "security-group/")];

    // Group names are unique in a VPC.
    const UNIQUE_FIELDS: &'static [&'static str] = &["group_name", "vpc_id"];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        observe_groups(ctx.client, &ctx.region, ids).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let (name, vpc) = (desired.group_name.as_str(), desired.vpc_id.as_str());
        let result = ctx
            .client
            .create_security_group()
            .group_name(name)
            .description(
                desired
                    .description
                    .as_deref()
                    .unwrap_or(DEFAULT_DESCRIPTION),
            )
            .vpc_id(vpc)
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err);
        let id = match result {
            Ok(out) => returned(out.group_id, "CreateSecurityGroup returned no id")?,
            Err(e) if has_code(&e, "InvalidGroup.Duplicate") => {
                match own_duplicate(ctx.client, ctx, vpc, name).await? {
                    Some(id) => id,
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        reconcile(ctx.client, &id, desired).await?;
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        reconcile(ctx.client, id, desired).await?;
        common::retag_and_read(ctx, id, &prior.tags, &desired.tags).await
    }

    tagged_methods!(delete_security_group.group_id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{desired, observed};
    use aws_sdk_ec2::types::ReferencedSecurityGroup;

    #[test]
    fn described_rules_split_by_direction() {
        let rules = vec![
            SecurityGroupRule::builder()
                .group_id("sg-1")
                .security_group_rule_id("sgr-1")
                .is_egress(false)
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .cidr_ipv4("0.0.0.0/0")
                .build(),
            SecurityGroupRule::builder()
                .group_id("sg-1")
                .security_group_rule_id("sgr-2")
                .is_egress(true)
                .ip_protocol("-1")
                .from_port(-1)
                .to_port(-1)
                .referenced_group_info(ReferencedSecurityGroup::builder().group_id("sg-2").build())
                .build(),
        ];
        let live = group_rules(&rules);
        let (ingress, egress) = &live["sg-1"];
        assert_eq!(ingress.len(), 1);
        assert_eq!(egress[0].0, "sgr-2");
        let g = SecurityGroup::builder()
            .group_id("sg-1")
            .group_name("web")
            .vpc_id("vpc-1")
            .owner_id("1")
            .build();
        let a = observed::<SecurityGroupKind>(&group_fields("us-east-1", &g, live.get("sg-1")));
        let desired = desired::<SecurityGroupKind>(serde_json::json!({
            "egress": [{"ip_protocol": "all", "referenced_group_id": "sg-2"}]
        }));
        assert_eq!(desired["egress"], a["egress"]);
        assert_eq!(desired["ingress"], Value::List(vec![]));
    }
}
