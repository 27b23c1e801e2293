//! `aws.ec2.route_table`: a route table with its routes and subnet
//! associations.
//!
//! Routes and associations are reconciled one by one against the live
//! table (described once at update), so a change to one route is one API
//! call and never a window without the others. Observe cost: one
//! DescribeRouteTables per 200 tables (plus pages).

use super::common::{
    self, Describe, Ec2Base, attrs, by_id, describe, describe_ids, ec2_err, filter,
    normalize_common, set_diff, tags_field,
};
use super::routes::{self, Route, RouteOp};
use crate::attrs::{normalize_set, req_str, str_list, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::error::{delete_result, ignore_not_found};
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, ResourceType, RouteTable, RouteTableAssociationStateCode, Tag};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// DescribeRouteTables.
pub struct RouteTableApi;

impl Describe for RouteTableApi {
    type Item = RouteTable;
    const ID_FILTER: &'static str = "route-table-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> Result<(Vec<RouteTable>, Option<String>), ProviderError> {
        let out = client
            .describe_route_tables()
            .set_filters(Some(filters))
            .set_next_token(token)
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.route_tables.unwrap_or_default(), out.next_token))
    }

    fn id(item: &RouteTable) -> Option<&str> {
        item.route_table_id()
    }

    fn tags(item: &RouteTable) -> &[Tag] {
        item.tags()
    }
}

/// The `aws.ec2.route_table` provider.
pub struct RouteTableProvider {
    base: Ec2Base,
    schema: KindSchema,
}

impl RouteTableProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        RouteTableProvider {
            base: Ec2Base::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ec2.route_table`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ec2.route_table",
        "A route table: routes to gateways and the subnets that use it.",
        [
            ("vpc_id", FieldSchema::required(FieldType::String).force_new().describe("The VPC of the table.")),
            (
                "routes",
                FieldSchema::optional(FieldType::list(routes::route_schema()))
                    .default(Value::List(Vec::new()))
                    .describe("Routes, each one destination and one target (the local route is implicit)."),
            ),
            (
                "subnet_ids",
                FieldSchema::optional(FieldType::list(FieldType::String))
                    .default(Value::List(Vec::new()))
                    .describe("Subnets associated with the table (an unordered set)."),
            ),
            ("tags", tags_field()),
            ("arn", FieldSchema::computed(FieldType::String).describe("The route table's ARN.")),
            ("owner_id", FieldSchema::computed(FieldType::String).describe("The owning AWS account.")),
        ],
    )
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

fn table_attrs(region: &str, t: &RouteTable) -> Attrs {
    let id = t.route_table_id().unwrap_or_default();
    attrs([
        ("id", id.into()),
        ("vpc_id", str_or_null(t.vpc_id())),
        (
            "routes",
            Value::List(live_routes(t).iter().map(Route::to_value).collect()),
        ),
        ("subnet_ids", str_set(live_associations(t).into_keys())),
        ("tags", common::observed_tags(t.tags())),
        ("arn", common::arn(region, t.owner_id(), "route-table", id)),
        ("owner_id", str_or_null(t.owner_id())),
    ])
}

fn desired_routes(desired: &Attrs) -> Result<Vec<Route>, ProviderError> {
    desired
        .get("routes")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .map(Route::from_value)
        .collect()
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
                describe::<RouteTableApi>(client, vec![filter("association.subnet-id", [subnet])])
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

/// Brings routes and associations of the live table to `desired`.
async fn reconcile(
    client: &Client,
    live: &RouteTable,
    desired: &Attrs,
) -> Result<(), ProviderError> {
    let table = live.route_table_id().unwrap_or_default();
    for op in routes::diff_routes(&live_routes(live), &desired_routes(desired)?) {
        apply_route(client, table, &op).await?;
    }
    let assoc = live_associations(live);
    let live_subnets: Vec<String> = assoc.keys().cloned().collect();
    let (add, remove) = set_diff(&live_subnets, &str_list(desired, "subnet_ids"));
    for subnet in &remove {
        if let Some(id) = assoc.get(subnet) {
            let r = client
                .disassociate_route_table()
                .association_id(id)
                .send()
                .await;
            ignore_not_found(r.map(|_| ()).map_err(ec2_err))?;
        }
    }
    for subnet in &add {
        associate(client, table, subnet).await?;
    }
    Ok(())
}

async fn describe_table(client: &Client, id: &str) -> Result<Option<RouteTable>, ProviderError> {
    Ok(describe_ids::<RouteTableApi>(client, &[id.to_string()])
        .await?
        .into_iter()
        .next())
}

#[async_trait]
impl Provider for RouteTableProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(common::CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        let routes = routes::normalize_routes(attrs.get("routes").unwrap_or(&Value::Null));
        attrs.insert("routes".into(), routes);
        if attrs.get("subnet_ids").is_none_or(Value::is_null) {
            attrs.insert("subnet_ids".into(), Value::List(Vec::new()));
        }
        normalize_set(&mut attrs, "subnet_ids");
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let items = describe_ids::<RouteTableApi>(&client, ids).await?;
        Ok(by_id::<RouteTableApi>(items, |t| {
            table_attrs(&ctx.region, t)
        }))
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        // Validate routes before creating anything.
        desired_routes(desired)?;
        // The intent's token makes a CreateRouteTable sent again after a
        // lost answer return the first table instead of a second one.
        let out = client
            .create_route_table()
            .vpc_id(req_str(desired, "vpc_id")?)
            .client_token(common::client_token(token))
            .tag_specifications(common::tag_spec(ResourceType::RouteTable, desired, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let table = out.route_table.ok_or_else(|| ProviderError::Transient {
            message: "CreateRouteTable returned nothing".into(),
        })?;
        let id = table.route_table_id().unwrap_or_default().to_string();
        reconcile(&client, &table, desired).await?;
        let attrs = match describe_table(&client, &id).await? {
            Some(t) => table_attrs(&ctx.region, &t),
            None => {
                let mut a = table_attrs(&ctx.region, &table);
                a.insert(
                    "routes".into(),
                    routes::normalize_routes(desired.get("routes").unwrap_or(&Value::Null)),
                );
                a.insert(
                    "subnet_ids".into(),
                    str_set(str_list(desired, "subnet_ids")),
                );
                a
            }
        };
        Ok(Created { id, attrs })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let live = describe_table(&client, id)
            .await?
            .ok_or_else(|| ProviderError::Api {
                code: "InvalidRouteTableID.NotFound".into(),
                message: id.into(),
            })?;
        reconcile(&client, &live, desired).await?;
        common::sync_tags(&client, id, prior, desired).await?;
        describe_table(&client, id)
            .await?
            .map(|t| table_attrs(&ctx.region, &t))
            .ok_or_else(|| ProviderError::Transient {
                message: format!("route table {id} not visible after update"),
            })
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let Some(live) = describe_table(&client, id).await? else {
            return Ok(());
        };
        // A table with subnet associations cannot be deleted.
        for assoc in live_associations(&live).values() {
            let r = client
                .disassociate_route_table()
                .association_id(assoc)
                .send()
                .await;
            ignore_not_found(r.map(|_| ()).map_err(ec2_err))?;
        }
        delete_result(
            client
                .delete_route_table()
                .route_table_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(ec2_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let Some(id) = common::orphan_id::<RouteTableApi>(&client, ctx).await? else {
            return Ok(None);
        };
        Ok(describe_table(&client, &id).await?.map(|t| Created {
            id,
            attrs: table_attrs(&ctx.region, &t),
        }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::list_tagged::<RouteTableApi>(&client, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{
        Route as SdkRoute, RouteOrigin, RouteTableAssociation, RouteTableAssociationState,
    };

    fn provider() -> RouteTableProvider {
        RouteTableProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

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
        let p = provider();
        let observed = p.normalize(table_attrs("us-east-1", &table));
        let desired = p.normalize(Attrs::from([
            ("vpc_id".to_string(), Value::from("vpc-1")),
            (
                "routes".to_string(),
                Value::List(vec![Value::Map(BTreeMap::from([
                    (
                        "destination_cidr_block".to_string(),
                        Value::from("0.0.0.0/0"),
                    ),
                    ("gateway_id".to_string(), Value::from("igw-1")),
                ]))]),
            ),
            (
                "subnet_ids".to_string(),
                Value::List(vec![Value::from("subnet-b"), Value::from("subnet-a")]),
            ),
        ]));
        for field in ["vpc_id", "routes", "subnet_ids", "tags"] {
            assert_eq!(observed.get(field), desired.get(field), "{field}");
        }
        assert_eq!(live_associations(&table).len(), 2);
    }
}
