//! The route model of `aws.ec2.route_table`: parsing routes from specs and
//! from DescribeRouteTables, normalizing them, and diffing them into the
//! minimal CreateRoute / ReplaceRoute / DeleteRoute calls.
//!
//! A route is keyed by its destination: the same destination with another
//! target is a ReplaceRoute (no window without a route), a new destination a
//! CreateRoute, a vanished one a DeleteRoute.

use crate::normalize::cidr;
use aws_sdk_ec2::types::{Route as SdkRoute, RouteOrigin};
use forge_core::{FieldSchema, FieldType, Value};
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// Fields naming a route's destination (exactly one is set).
pub const DESTINATION_FIELDS: &[&str] = &[
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "destination_prefix_list_id",
];

/// Fields naming a route's target (exactly one is set).
pub const TARGET_FIELDS: &[&str] = &[
    "gateway_id",
    "nat_gateway_id",
    "vpc_endpoint_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "network_interface_id",
    "egress_only_internet_gateway_id",
];

/// The object schema of one route.
pub fn route_schema() -> FieldType {
    let s = |d: &'static str| FieldSchema::optional(FieldType::String).describe(d);
    FieldType::object([
        (
            "destination_cidr_block",
            s("IPv4 destination, e.g. 0.0.0.0/0."),
        ),
        (
            "destination_ipv6_cidr_block",
            s("IPv6 destination, e.g. ::/0."),
        ),
        (
            "destination_prefix_list_id",
            s("A managed prefix list as destination."),
        ),
        ("gateway_id", s("An internet or virtual private gateway.")),
        ("nat_gateway_id", s("A NAT gateway.")),
        ("vpc_endpoint_id", s("A Gateway Load Balancer endpoint.")),
        ("transit_gateway_id", s("A transit gateway.")),
        ("vpc_peering_connection_id", s("A VPC peering connection.")),
        (
            "network_interface_id",
            s("A network interface (appliance)."),
        ),
        (
            "egress_only_internet_gateway_id",
            s("An egress-only internet gateway (IPv6)."),
        ),
    ])
}

/// A route as a typed field: the object schema, read and written as
/// [`Route`] does.
impl forge_core::fields::FieldValue for Route {
    fn field_type() -> FieldType {
        route_schema()
    }

    fn from_value(value: &Value) -> Result<Self, forge_core::fields::FieldError> {
        Route::from_value(value).map_err(|e| match e {
            ProviderError::Invalid(reason) => forge_core::fields::FieldError::invalid(reason),
            other => forge_core::fields::FieldError::invalid(other.to_string()),
        })
    }

    fn to_value(&self) -> Value {
        Route::to_value(self)
    }
}

/// One route: a destination and a target, each `(field, value)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// Which destination field and its (normalized) value.
    pub destination: (&'static str, String),
    /// Which target field and its value.
    pub target: (&'static str, String),
}

impl Route {
    /// The route as an attribute value (a map with two keys).
    pub fn to_value(&self) -> Value {
        Value::Map(BTreeMap::from([
            (
                self.destination.0.to_string(),
                Value::from(self.destination.1.as_str()),
            ),
            (
                self.target.0.to_string(),
                Value::from(self.target.1.as_str()),
            ),
        ]))
    }

    /// Reads a route from an attribute value (fully known).
    pub fn from_value(v: &Value) -> Result<Route, ProviderError> {
        let map = v
            .as_map()
            .ok_or_else(|| ProviderError::Invalid(format!("a route must be a map, got {v}")))?;
        let pick = |fields: &[&'static str],
                    what: &str|
         -> Result<(&'static str, String), ProviderError> {
            let set: Vec<(&'static str, &str)> = fields
                .iter()
                .filter_map(|f| {
                    map.get(*f)
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(|s| (*f, s))
                })
                .collect();
            match set.as_slice() {
                [(f, s)] => Ok((*f, s.to_string())),
                [] => Err(ProviderError::Invalid(format!(
                    "route {v} has no {what} (one of {})",
                    fields.join(", ")
                ))),
                _ => Err(ProviderError::Invalid(format!(
                    "route {v} has more than one {what}"
                ))),
            }
        };
        let (dest_field, dest) = pick(DESTINATION_FIELDS, "destination")?;
        let dest = if dest_field == "destination_prefix_list_id" {
            dest
        } else {
            cidr(&dest)
        };
        Ok(Route {
            destination: (dest_field, dest),
            target: pick(TARGET_FIELDS, "target")?,
        })
    }

    /// The route of a described route, unless it is one forge does not
    /// manage: the `local` route, routes propagated from a virtual private
    /// gateway, and the prefix-list routes gateway VPC endpoints maintain.
    pub fn from_sdk(r: &SdkRoute) -> Option<Route> {
        if matches!(
            r.origin(),
            Some(RouteOrigin::CreateRouteTable | RouteOrigin::EnableVgwRoutePropagation)
        ) || r.gateway_id() == Some("local")
        {
            return None;
        }
        if r.destination_prefix_list_id().is_some()
            && r.gateway_id().is_some_and(|g| g.starts_with("vpce-"))
        {
            return None;
        }
        let destination = if let Some(c) = r.destination_cidr_block() {
            ("destination_cidr_block", cidr(c))
        } else if let Some(c) = r.destination_ipv6_cidr_block() {
            ("destination_ipv6_cidr_block", cidr(c))
        } else {
            (
                "destination_prefix_list_id",
                r.destination_prefix_list_id()?.to_string(),
            )
        };
        // Gateway Load Balancer endpoints show up as gateway ids `vpce-...`.
        let target = match (r.gateway_id(), r.nat_gateway_id(), r.transit_gateway_id()) {
            (Some(g), _, _) if g.starts_with("vpce-") => ("vpc_endpoint_id", g),
            (Some(g), _, _) => ("gateway_id", g),
            (_, Some(n), _) => ("nat_gateway_id", n),
            (_, _, Some(t)) => ("transit_gateway_id", t),
            _ => {
                if let Some(p) = r.vpc_peering_connection_id() {
                    ("vpc_peering_connection_id", p)
                } else if let Some(e) = r.egress_only_internet_gateway_id() {
                    ("egress_only_internet_gateway_id", e)
                } else {
                    ("network_interface_id", r.network_interface_id()?)
                }
            }
        };
        Some(Route {
            destination,
            target: (target.0, target.1.to_string()),
        })
    }
}

/// Normalizes a `routes` list value: CIDRs canonical, empty keys dropped,
/// sorted by destination. Routes still holding unknowns are normalized as
/// far as possible and the list order kept when a destination is unknown.
pub fn normalize_routes(v: &Value) -> Value {
    let Some(items) = v.as_list() else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut items: Vec<Value> = items
        .iter()
        .map(|item| match item.as_map() {
            Some(map) => Value::Map(
                map.iter()
                    .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
                    .map(|(k, v)| match v {
                        Value::String(s) if k.ends_with("cidr_block") => {
                            (k.clone(), Value::String(cidr(s)))
                        }
                        other => (k.clone(), other.clone()),
                    })
                    .collect(),
            ),
            None => item.clone(),
        })
        .collect();
    let dest_key = |item: &Value| -> Option<String> {
        DESTINATION_FIELDS.iter().find_map(|f| {
            item.get(f)
                .and_then(Value::as_str)
                .map(|s| format!("{f}={s}"))
        })
    };
    if items.iter().all(|i| dest_key(i).is_some()) {
        items.sort_by_key(|i| dest_key(i).unwrap_or_default());
    }
    Value::List(items)
}

/// One route change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteOp {
    /// CreateRoute.
    Create(Route),
    /// ReplaceRoute (same destination, new target).
    Replace(Route),
    /// DeleteRoute.
    Delete(Route),
}

/// The minimal route calls to go from `live` to `desired`: deletes first
/// (frees destinations), then replacements, then creates.
pub fn diff_routes(live: &[Route], desired: &[Route]) -> Vec<RouteOp> {
    let live: BTreeMap<&(&str, String), &Route> =
        live.iter().map(|r| (&r.destination, r)).collect();
    let want: BTreeMap<&(&str, String), &Route> =
        desired.iter().map(|r| (&r.destination, r)).collect();
    let mut ops = Vec::new();
    for (dest, r) in &live {
        if !want.contains_key(dest) {
            ops.push(RouteOp::Delete((*r).clone()));
        }
    }
    for (dest, r) in &want {
        match live.get(dest) {
            Some(old) if old.target != r.target => ops.push(RouteOp::Replace((*r).clone())),
            Some(_) => {}
            None => ops.push(RouteOp::Create((*r).clone())),
        }
    }
    ops.sort_by_key(|op| match op {
        RouteOp::Delete(_) => 0,
        RouteOp::Replace(_) => 1,
        RouteOp::Create(_) => 2,
    });
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(dest: &str, target_field: &'static str, target: &str) -> Route {
        Route {
            destination: ("destination_cidr_block", dest.into()),
            target: (target_field, target.into()),
        }
    }

    #[test]
    fn parses_and_normalizes_spec_routes() {
        let v = Value::Map(BTreeMap::from([
            (
                "destination_cidr_block".to_string(),
                Value::from("10.1.2.3/16"),
            ),
            ("nat_gateway_id".to_string(), Value::from("nat-1")),
            ("gateway_id".to_string(), Value::Null),
        ]));
        let r = Route::from_value(&v).unwrap();
        assert_eq!(r, route("10.1.0.0/16", "nat_gateway_id", "nat-1"));
        assert_eq!(Route::from_value(&r.to_value()).unwrap(), r);
        let two_targets = Value::Map(BTreeMap::from([
            (
                "destination_cidr_block".to_string(),
                Value::from("0.0.0.0/0"),
            ),
            ("nat_gateway_id".to_string(), Value::from("nat-1")),
            ("gateway_id".to_string(), Value::from("igw-1")),
        ]));
        assert!(Route::from_value(&two_targets).is_err());
        let no_dest = Value::Map(BTreeMap::from([(
            "gateway_id".to_string(),
            Value::from("igw-1"),
        )]));
        assert!(Route::from_value(&no_dest).is_err());
    }

    #[test]
    fn skips_routes_aws_manages() {
        let cidr = |c: &str| SdkRoute::builder().destination_cidr_block(c);
        let (made_by_route, any) = (RouteOrigin::CreateRoute, "0.0.0.0/0");
        let cases = [
            (
                cidr("10.0.0.0/16")
                    .gateway_id("local")
                    .origin(RouteOrigin::CreateRouteTable),
                None,
            ),
            (
                SdkRoute::builder()
                    .destination_prefix_list_id("pl-1")
                    .gateway_id("vpce-1")
                    .origin(made_by_route.clone()),
                None,
            ),
            (
                cidr(any).gateway_id("igw-1").origin(made_by_route),
                Some(route(any, "gateway_id", "igw-1")),
            ),
            (
                cidr(any).nat_gateway_id("nat-1"),
                Some(route(any, "nat_gateway_id", "nat-1")),
            ),
        ];
        for (sdk, want) in cases {
            assert_eq!(Route::from_sdk(&sdk.build()), want);
        }
    }

    #[test]
    fn diff_touches_only_changed_routes() {
        let live = vec![
            route("0.0.0.0/0", "gateway_id", "igw-1"),
            route("10.1.0.0/16", "vpc_peering_connection_id", "pcx-1"),
            route("10.2.0.0/16", "transit_gateway_id", "tgw-1"),
        ];
        let desired = vec![
            route("0.0.0.0/0", "nat_gateway_id", "nat-1"),
            route("10.2.0.0/16", "transit_gateway_id", "tgw-1"),
            route("10.3.0.0/16", "transit_gateway_id", "tgw-1"),
        ];
        assert_eq!(
            diff_routes(&live, &desired),
            vec![
                RouteOp::Delete(route("10.1.0.0/16", "vpc_peering_connection_id", "pcx-1")),
                RouteOp::Replace(route("0.0.0.0/0", "nat_gateway_id", "nat-1")),
                RouteOp::Create(route("10.3.0.0/16", "transit_gateway_id", "tgw-1")),
            ]
        );
        assert!(diff_routes(&desired, &desired).is_empty());
    }

    #[test]
    fn route_lists_sort_by_destination() {
        let list = Value::List(vec![
            route("10.2.0.0/16", "gateway_id", "igw-1").to_value(),
            route("0.0.0.0/0", "gateway_id", "igw-1").to_value(),
        ]);
        let n = normalize_routes(&list);
        let first = n
            .as_list()
            .and_then(|l| l.first())
            .and_then(|r| r.get("destination_cidr_block"))
            .cloned();
        assert_eq!(first, Some(Value::from("0.0.0.0/0")));
        assert_eq!(normalize_routes(&Value::Null), Value::List(vec![]));
        let unknown = Value::List(vec![Value::Map(BTreeMap::from([
            (
                "destination_cidr_block".to_string(),
                Value::from("0.0.0.0/0"),
            ),
            ("nat_gateway_id".to_string(), Value::Unknown),
        ]))]);
        assert_eq!(normalize_routes(&unknown), unknown);
    }
}
