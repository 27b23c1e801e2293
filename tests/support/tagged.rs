//! Every object carrying forge's ownership tags, listed through each
//! service's own API (never through forge's state): what a duplicate check
//! or a "destroy left nothing" check must look at, since a duplicate is by
//! definition an object the state does not know.
//!
//! Covers the kinds the fault tests create: EC2 VPCs, subnets, internet
//! gateways, Elastic IPs, route tables and security groups, KMS keys (not
//! those already pending deletion) and CloudWatch Logs log groups.

use aws_sdk_ec2::types::{Filter, Tag};
use forge_aws::tags::ADDRESS_TAG;
use std::collections::BTreeMap;

/// One object tagged `forge:address`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tagged {
    /// What it is (`vpc`, `subnet`, `kms key`, ...).
    pub kind: &'static str,
    /// Its `forge:address` tag.
    pub address: String,
    /// Its id (or name, for log groups).
    pub id: String,
}

/// The clients to list with (reaching the emulator directly, not through a
/// fault proxy).
pub struct Listers {
    pub ec2: aws_sdk_ec2::Client,
    pub kms: aws_sdk_kms::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Listers {
    /// Clients from `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Listers {
            ec2: aws_sdk_ec2::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
        }
    }

    /// Every live object tagged `forge:address`, sorted.
    pub async fn all(&self) -> Result<Vec<Tagged>, String> {
        let mut out = self.ec2_objects().await?;
        out.extend(self.kms_keys().await?);
        out.extend(self.log_groups().await?);
        out.sort();
        Ok(out)
    }

    async fn ec2_objects(&self) -> Result<Vec<Tagged>, String> {
        let ec2 = &self.ec2;
        let f = || {
            Filter::builder()
                .name("tag-key")
                .values(ADDRESS_TAG)
                .build()
        };
        let err = |what: &str, e: &dyn std::fmt::Debug| format!("{what} failed: {e:?}");
        let mut out = Vec::new();
        let mut add = |kind: &'static str, id: Option<&str>, tags: &[Tag]| {
            if let Some(address) = address_of(tags.iter().map(|t| (t.key(), t.value()))) {
                out.push(Tagged {
                    kind,
                    address,
                    id: id.unwrap_or_default().to_string(),
                });
            }
        };
        let r = ec2.describe_vpcs().filters(f()).send().await;
        for v in r.map_err(|e| err("DescribeVpcs", &e))?.vpcs() {
            add("vpc", v.vpc_id(), v.tags());
        }
        let r = ec2.describe_subnets().filters(f()).send().await;
        for s in r.map_err(|e| err("DescribeSubnets", &e))?.subnets() {
            add("subnet", s.subnet_id(), s.tags());
        }
        let r = ec2.describe_internet_gateways().filters(f()).send().await;
        for g in r
            .map_err(|e| err("DescribeInternetGateways", &e))?
            .internet_gateways()
        {
            add("internet gateway", g.internet_gateway_id(), g.tags());
        }
        let r = ec2.describe_addresses().filters(f()).send().await;
        for a in r.map_err(|e| err("DescribeAddresses", &e))?.addresses() {
            add("elastic ip", a.allocation_id(), a.tags());
        }
        let r = ec2.describe_route_tables().filters(f()).send().await;
        for t in r
            .map_err(|e| err("DescribeRouteTables", &e))?
            .route_tables()
        {
            add("route table", t.route_table_id(), t.tags());
        }
        let r = ec2.describe_security_groups().filters(f()).send().await;
        for g in r
            .map_err(|e| err("DescribeSecurityGroups", &e))?
            .security_groups()
        {
            add("security group", g.group_id(), g.tags());
        }
        Ok(out)
    }

    async fn kms_keys(&self) -> Result<Vec<Tagged>, String> {
        let mut out = Vec::new();
        let keys = self
            .kms
            .list_keys()
            .send()
            .await
            .map_err(|e| format!("ListKeys failed: {e:?}"))?;
        for key in keys.keys() {
            let Some(id) = key.key_id() else { continue };
            let meta = self
                .kms
                .describe_key()
                .key_id(id)
                .send()
                .await
                .map_err(|e| format!("DescribeKey {id} failed: {e:?}"))?;
            let pending = meta
                .key_metadata()
                .and_then(|m| m.key_state())
                .is_some_and(|s| {
                    matches!(
                        s,
                        aws_sdk_kms::types::KeyState::PendingDeletion
                            | aws_sdk_kms::types::KeyState::PendingReplicaDeletion
                    )
                });
            if pending {
                continue;
            }
            let tags = self
                .kms
                .list_resource_tags()
                .key_id(id)
                .send()
                .await
                .map_err(|e| format!("ListResourceTags {id} failed: {e:?}"))?;
            let pairs = tags
                .tags()
                .iter()
                .map(|t| (Some(t.tag_key()), Some(t.tag_value())));
            if let Some(address) = address_of(pairs) {
                out.push(Tagged {
                    kind: "kms key",
                    address,
                    id: id.to_string(),
                });
            }
        }
        Ok(out)
    }

    async fn log_groups(&self) -> Result<Vec<Tagged>, String> {
        let mut out = Vec::new();
        let groups = self
            .logs
            .describe_log_groups()
            .send()
            .await
            .map_err(|e| format!("DescribeLogGroups failed: {e:?}"))?;
        for g in groups.log_groups() {
            // Tags are on the bare ARN (`arn` ends in `:*`).
            let Some(arn) = g
                .log_group_arn()
                .or_else(|| g.arn().map(|a| a.trim_end_matches(":*")))
            else {
                continue;
            };
            let tags = self
                .logs
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(|e| format!("ListTagsForResource {arn} failed: {e:?}"))?;
            let pairs = tags
                .tags()
                .into_iter()
                .flatten()
                .map(|(k, v)| (Some(k.as_str()), Some(v.as_str())));
            if let Some(address) = address_of(pairs) {
                out.push(Tagged {
                    kind: "log group",
                    address,
                    id: g.log_group_name().unwrap_or_default().to_string(),
                });
            }
        }
        Ok(out)
    }
}

fn address_of<'a>(
    mut tags: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> Option<String> {
    tags.find(|(k, _)| *k == Some(ADDRESS_TAG))
        .and_then(|(_, v)| v.map(str::to_string))
}

/// The addresses with more than one object, with those objects.
pub fn duplicates(objects: &[Tagged]) -> BTreeMap<(&'static str, String), Vec<String>> {
    let mut by_address: BTreeMap<(&'static str, String), Vec<String>> = BTreeMap::new();
    for o in objects {
        by_address
            .entry((o.kind, o.address.clone()))
            .or_default()
            .push(o.id.clone());
    }
    by_address.retain(|_, ids| ids.len() > 1);
    by_address
}
