//! `aws.rds.db_subnet_group`: the subnets (of one VPC, in at least two
//! Availability Zones) an RDS cluster or instance may be placed in.
//!
//! The group's name is its id (RDS stores it lower case).
//!
//! Observe cost: DescribeDBSubnetGroups takes one name or none and ignores
//! `Filters` ("not currently supported"), so observe lists the region's
//! groups once (paged with `Marker`) and keeps the wanted names, then reads
//! each found group's tags with ListTagsForResource (the describe returns
//! none), at most eight at once: 1 + N requests for N groups.

use super::Rds;
use super::common::{
    DEFAULT_DESCRIPTION, Settings, arn_tags, by_id, create_tags, owned, sorted, text, user_tags,
};
use crate::kind::prelude::*;
use crate::paging::{concurrent, marker_pages};
use aws_sdk_rds::Client;
use aws_sdk_rds::types::{DbSubnetGroup, Tag};

/// Tag reads in flight at once.
const TAG_CONCURRENCY: usize = 8;

crate::kind::declare_kind!(DbSubnetGroupKind: "aws.rds.db_subnet_group", Rds, DbSubnetGroupFields,
    "A DB subnet group: where RDS places a cluster's or instance's network interfaces.");

/// The fields of `aws.rds.db_subnet_group`.
#[derive(Debug, Clone, Fields)]
pub struct DbSubnetGroupFields {
    /// The group's name (stored lower case).
    #[field(force_new, normalize = crate::normalize::lower_value)]
    pub db_subnet_group_name: String,
    /// What the group is for.
    #[field(default = DEFAULT_DESCRIPTION)]
    pub db_subnet_group_description: Option<String>,
    /// Subnets of one VPC covering at least two Availability Zones.
    #[field(normalize = crate::attrs::set_value)]
    pub subnet_ids: Vec<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The group's ARN.
    pub arn: Computed<String>,
    /// The VPC of the subnets.
    pub vpc_id: Computed<String>,
}

fn group_fields(g: &DbSubnetGroup, tags: &[Tag]) -> DbSubnetGroupFields {
    DbSubnetGroupFields {
        db_subnet_group_name: g.db_subnet_group_name().unwrap_or_default().to_lowercase(),
        db_subnet_group_description: text(g.db_subnet_group_description()),
        subnet_ids: sorted(g.subnets().iter().filter_map(|s| s.subnet_identifier())),
        tags: user_tags(tags),
        arn: text(g.db_subnet_group_arn()),
        vpc_id: text(g.vpc_id()),
    }
}

/// Every subnet group of the region (one paged DescribeDBSubnetGroups).
async fn list_groups(client: &Client) -> Result<Vec<DbSubnetGroup>, ProviderError> {
    let request = || client.describe_db_subnet_groups();
    marker_pages!(request(), db_subnet_groups, Rds::err)
}

/// The groups with their tags (one tag read per group).
async fn groups_tagged(
    client: &Client,
    groups: Vec<DbSubnetGroup>,
) -> Result<Vec<(DbSubnetGroup, Vec<Tag>)>, ProviderError> {
    concurrent(groups, TAG_CONCURRENCY, |g| async move {
        let tags = arn_tags(client, g.db_subnet_group_arn()).await?;
        Ok((g, tags))
    })
    .await
}

#[async_trait]
impl Kind for DbSubnetGroupKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("rds", "subgrp:")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let all = list_groups(ctx.client).await?;
        let wanted = |g: &DbSubnetGroup| {
            let name = g.db_subnet_group_name().unwrap_or_default();
            ids.iter().any(|i| i.eq_ignore_ascii_case(name))
        };
        let found = groups_tagged(ctx.client, all.into_iter().filter(wanted).collect()).await?;
        let fields = |(g, t): &(DbSubnetGroup, Vec<Tag>)| group_fields(g, t);
        Ok(by_id(
            &found,
            ids,
            |(g, _)| g.db_subnet_group_name(),
            fields,
        ))
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let name = desired.db_subnet_group_name.to_lowercase();
        let description = desired.db_subnet_group_description.as_deref();
        ctx.client
            .create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description(description.unwrap_or(DEFAULT_DESCRIPTION))
            .set_subnet_ids(Some(desired.subnet_ids.clone()))
            .set_tags(Some(create_tags(&desired.tags, ctx, &Settings::default())))
            .send()
            .await
            .map_err(Rds::err)?;
        let fields = Self::read_back(ctx, &name).await?;
        Ok(Made { id: name, fields })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let description = desired.db_subnet_group_description.as_deref();
        if prior.subnet_ids != desired.subnet_ids
            || prior.db_subnet_group_description.as_deref() != description
        {
            ctx.client
                .modify_db_subnet_group()
                .db_subnet_group_name(id)
                .db_subnet_group_description(description.unwrap_or(DEFAULT_DESCRIPTION))
                .set_subnet_ids(Some(desired.subnet_ids.clone()))
                .send()
                .await
                .map_err(Rds::err)?;
        }
        retag_and_read(ctx, id, prior.arn.as_deref(), &prior.tags, &desired.tags).await
    }

    delete_by!(Rds::deleted: delete_db_subnet_group.db_subnet_group_name);

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let tagged = groups_tagged(ctx.client, list_groups(ctx.client).await?).await?;
        Ok(owned(
            &tagged,
            &ctx.owner,
            address,
            |(g, _)| g.db_subnet_group_name(),
            |(_, t)| t.as_slice(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{desired, provider};
    use aws_sdk_rds::types::Subnet;
    use forge_core::fields::Fields;
    use forge_engine::Provider;

    #[test]
    fn observed_group_covers_the_fields_and_compares_to_the_spec() {
        let g = DbSubnetGroup::builder()
            .db_subnet_group_name("db")
            .db_subnet_group_description("d")
            .vpc_id("vpc-1")
            .db_subnet_group_arn("arn:aws:rds:us-east-1:1:subgrp:db")
            .subnets(Subnet::builder().subnet_identifier("subnet-b").build())
            .subnets(Subnet::builder().subnet_identifier("subnet-a").build())
            .build();
        let tags = vec![
            Tag::builder().key("env").value("dev").build(),
            Tag::builder().key("forge:stack").value("s").build(),
        ];
        let f = group_fields(&g, &tags);
        assert_eq!(f.subnet_ids, ["subnet-a", "subnet-b"]);
        assert_eq!(f.tags.0.len(), 1);
        assert_eq!(f.vpc_id.as_deref(), Some("vpc-1"));
        let want = desired::<DbSubnetGroupKind>(serde_json::json!({
            "db_subnet_group_name": "DB",
            "db_subnet_group_description": "d",
            "subnet_ids": ["subnet-b", "subnet-a"],
            "tags": {"env": "dev"}
        }));
        let plan = provider::<DbSubnetGroupKind>().plan(Some(&f.to_attrs()), &want);
        assert_eq!(
            plan.action,
            forge_engine::PlannedAction::NoOp,
            "{:?}",
            plan.changes
        );
    }
}
