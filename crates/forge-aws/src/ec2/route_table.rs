//! `aws.ec2.route_table`: a route table with its routes and subnet
//! associations.
//!
//! Routes and associations are reconciled one by one against the live
//! table (described once at update), so a change to one route is one API
//! call and never a window without the others. Observe cost: one
//! DescribeRouteTables per 200 tables (plus pages).

use super::common::prelude::*;
use super::routes::{self, Route, RouteOp};
use crate::attrs::set_diff;
use crate::error::ignore_not_found;
use aws_sdk_ec2::types::{RouteTable, RouteTableAssociationStateCode};
use forge_core::Value;
use std::collections::BTreeMap;

ec2_kind!(RouteTableKind: "aws.ec2.route_table", RouteTableFields, ResourceType::RouteTable,
    "A route table: routes to gateways and the subnets that use it.",
    describes RouteTable, "route-table-id",
    describe_route_tables.set_filters -> route_tables, route_table_id, paged);

/// The fields of `aws.ec2.route_table`.
#[derive(Debug, Clone, Default, Fields)]
pub struct RouteTableFields {
    /// The VPC of the table.
    #[field(force_new)]
    pub vpc_id: String,
    /// Routes, each one destination and one target (the local route is implicit).
    #[field(default = Value::List(Vec::new()), normalize = routes::normalize_routes)]
    pub routes: Option<Vec<Route>>,
    /// Subnets associated with the table (an unordered set).
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub subnet_ids: Option<Vec<String>>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The route table's ARN.
    pub arn: Computed<String>,
    /// The owning AWS account.
    pub owner_id: Computed<String>,
}

/// Routes forge manages in a described table.
fn live_routes(t: &RouteTable) -> Vec<Route> {
    let mut r: Vec<Route> = t.routes().iter().filter_map(Route::from_sdk).collect();
    r.sort();
    r
}

/// Subnet associations of a described table: subnet id -> association id.
fn live_associations(t: &RouteTable) -> BTreeMap<String, String> {
    t.associations()
        .iter()
        .filter(|a| a.main() != Some(true))
        .filter(|a| {
            !matches!(
                a.association_state().and_then(|s| s.state()),
                Some(
                    RouteTableAssociationStateCode::Disassociated
                        | RouteTableAssociationStateCode::Disassociating
                )
            )
        })
        .filter_map(|a| {
            Some((
                a.subnet_id()?.to_string(),
                a.route_table_association_id()?.to_string(),
            ))
        })
        .collect()
}

fn table_fields(region: &str, t: &RouteTable) -> RouteTableFields {
    let id = t.route_table_id().unwrap_or_default();
    let mut subnets: Vec<String> = live_associations(t).into_keys().collect();
    subnets.sort();
    RouteTableFields {
        vpc_id: t.vpc_id().unwrap_or_default().to_string(),
        routes: Some(live_routes(t)),
        subnet_ids: Some(subnets),
        tags: common::observed_tag_map(t.tags()),
        arn: common::arn_text(region, t.owner_id(), "route-table", id),
        owner_id: t.owner_id().map(str::to_string),
    }
}

async fn apply_route(client: &Client, table: &str, op: &RouteOp) -> Result<(), ProviderError> {
    macro_rules! with_route {
        ($call:expr, $route:expr, targets) => {{
            let r = $route;
            let call = with_route!($call, r, destination);
            match r.target.0 {
                "gateway_id" => call.gateway_id(&r.target.1),
                "nat_gateway_id" => call.nat_gateway_id(&r.target.1),
                "vpc_endpoint_id" => call.vpc_endpoint_id(&r.target.1),
                "transit_gateway_id" => call.transit_gateway_id(&r.target.1),
                "vpc_peering_connection_id" => call.vpc_peering_connection_id(&r.target.1),
                "egress_only_internet_gateway_id" => {
                    call.egress_only_internet_gateway_id(&r.target.1)
                }
                _ => call.network_interface_id(&r.target.1),
            }
        }};
        ($call:expr, $route:expr, destination) => {{
            let call = $call.route_table_id(table);
            match $route.destination.0 {
                "destination_ipv6_cidr_block" => {
                    call.destination_ipv6_cidr_block(&$route.destination.1)
                }
                "destination_prefix_list_id" => {
                    call.destination_prefix_list_id(&$route.destination.1)
                }
                _ => call.destination_cidr_block(&$route.destination.1),
            }
        }};
    }
    match op {
        RouteOp::Create(r) => match with_route!(client.create_route(), r, targets)
            .send()
            .await
            .map_err(ec2_err)
        {
            Ok(_) => Ok(()),
            // A retry after a lost response, or a route someone added by
            // hand with the same destination: make it ours.
            Err(ProviderError::Api { code, .. }) if code == "RouteAlreadyExists" => {
                with_route!(client.replace_route(), r, targets)
                    .send()
                    .await
                    .map_err(ec2_err)
                    .map(|_| ())
            }
            Err(e) => Err(e),
        },
        RouteOp::Replace(r) => with_route!(client.replace_route(), r, targets)
            .send()
            .await
            .map_err(ec2_err)
            .map(|_| ()),
        RouteOp::Delete(r) => ignore_not_found(
            with_route!(client.delete_route(), r, destination)
                .send()
                .await
                .map(|_| ())
                .map_err(ec2_err),
        ),
    }
}

/// Associates `subnet` with `table`, moving it from another table if it is
/// associated elsewhere (as when a spec moves a subnet between tables).
async fn associate(client: &Client, table: &str, subnet: &str) -> Result<(), ProviderError> {
    let result = client
        .associate_route_table()
        .route_table_id(table)
        .subnet_id(subnet)
        .send()
        .await;
    match result.map_err(ec2_err) {
        Ok(_) => Ok(()),
        Err(ProviderError::Api { code, message }) if code == "Resource.AlreadyAssociated" => {
            let others =
                describe::<RouteTableKind>(client, vec![filter("association.subnet-id", [subnet])])
                    .await?;
            let existing = others.iter().find_map(|t| {
                live_associations(t)
                    .get(subnet)
                    .cloned()
                    .map(|a| (t.route_table_id() == Some(table), a))
            });
            match existing {
                Some((true, _)) => Ok(()),
                Some((false, assoc)) => client
                    .replace_route_table_association()
                    .association_id(assoc)
                    .route_table_id(table)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(ec2_err),
                None => Err(ProviderError::Api { code, message }),
            }
        }
        Err(e) => Err(e),
    }
}

/// Ends one subnet association (already ended is success).
async fn disassociate(client: &Client, association: &str) -> Res<()> {
    let call = client
        .disassociate_route_table()
        .association_id(association);
    ignore_not_found(call.send().await.map(drop).map_err(ec2_err))
}

/// Before a delete: takes the table off its subnets (a table with subnet
/// associations cannot be deleted); false when it is gone already.
async fn disassociate_all(client: &Client, id: &str) -> Res<bool> {
    let Some(live) = describe_table(client, id).await? else {
        return Ok(false);
    };
    for assoc in live_associations(&live).values() {
        disassociate(client, assoc).await?;
    }
    Ok(true)
}

/// Brings routes and associations of the live table to `desired`.
async fn reconcile(
    client: &Client,
    live: &RouteTable,
    desired: &RouteTableFields,
) -> Result<(), ProviderError> {
    let table = live.route_table_id().unwrap_or_default();
    let want = desired.routes.clone().unwrap_or_default();
    for op in routes::diff_routes(&live_routes(live), &want) {
        apply_route(client, table, &op).await?;
    }
    let assoc = live_associations(live);
    let live_subnets: Vec<String> = assoc.keys().cloned().collect();
    let (add, remove) = set_diff(
        &live_subnets,
        &desired.subnet_ids.clone().unwrap_or_default(),
    );
    for id in remove.iter().filter_map(|subnet| assoc.get(subnet)) {
        disassociate(client, id).await?;
    }
    for subnet in &add {
        associate(client, table, subnet).await?;
    }
    Ok(())
}

async fn describe_table(client: &Client, id: &str) -> Result<Option<RouteTable>, ProviderError> {
    Ok(describe_ids::<RouteTableKind>(client, &[id.to_string()])
        .await?
        .into_iter()
        .next())
}

#[async_trait]
impl Kind for RouteTableKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "route-table/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        common::describe_fields::<Self, _>(ctx.client, ids, |t| table_fields(&ctx.region, t)).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, token: &str) -> Created<Self> {
        // The intent's token makes a CreateRouteTable sent again after a
        // lost answer return the first table instead of a second one.
        let out = ctx
            .client
            .create_route_table()
            .vpc_id(&desired.vpc_id)
            .client_token(common::client_token(token))
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let (id, table) =
            common::created::<Self>(out.route_table, "CreateRouteTable returned nothing")?;
        reconcile(ctx.client, &table, desired).await?;
        // Routes and associations as the engine's batched read-back finds
        // them, with the kind's other tables created together.
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let live = describe_table(ctx.client, id)
            .await?
            .ok_or_else(|| ProviderError::Api {
                code: "InvalidRouteTableID.NotFound".into(),
                message: id.into(),
            })?;
        reconcile(ctx.client, &live, desired).await?;
        common::retag_and_read(ctx, id, &prior.tags, &desired.tags).await
    }

    tagged_methods!(delete_route_table.route_table_id, after disassociate_all);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{desired, observed};
    use aws_sdk_ec2::types::{
        Route as SdkRoute, RouteOrigin, RouteTableAssociation, RouteTableAssociationState,
    };

    #[test]
    fn observed_and_desired_normalize_alike() {
        let table = RouteTable::builder()
            .route_table_id("rtb-1")
            .vpc_id("vpc-1")
            .routes(
                SdkRoute::builder()
                    .destination_cidr_block("10.0.0.0/16")
                    .gateway_id("local")
                    .origin(RouteOrigin::CreateRouteTable)
                    .build(),
            )
            .routes(
                SdkRoute::builder()
                    .destination_cidr_block("0.0.0.0/0")
                    .gateway_id("igw-1")
                    .build(),
            )
            .associations(
                RouteTableAssociation::builder()
                    .main(true)
                    .route_table_association_id("a-0")
                    .build(),
            )
            .associations(
                RouteTableAssociation::builder()
                    .subnet_id("subnet-b")
                    .route_table_association_id("a-2")
                    .build(),
            )
            .associations(
                RouteTableAssociation::builder()
                    .subnet_id("subnet-a")
                    .route_table_association_id("a-1")
                    .association_state(
                        RouteTableAssociationState::builder()
                            .state(RouteTableAssociationStateCode::Associated)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let observed = observed::<RouteTableKind>(&table_fields("us-east-1", &table));
        let desired = desired::<RouteTableKind>(serde_json::json!({
            "vpc_id": "vpc-1",
            "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"}],
            "subnet_ids": ["subnet-b", "subnet-a"],
        }));
        for field in ["vpc_id", "routes", "subnet_ids", "tags"] {
            assert_eq!(observed.get(field), desired.get(field), "{field}");
        }
        assert_eq!(live_associations(&table).len(), 2);
    }
}
