//! Independent verification, through the EC2 API, of the getting-started
//! network (`examples/getting-started`): what must exist in the emulator
//! after an apply, with which values and tags — read from AWS, never from
//! forge's state.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, Tag, VpcAttributeName};
use std::collections::{BTreeMap, BTreeSet};

/// The ownership tag every forge-created resource carries.
pub const STACK_TAG: &str = "forge:stack";
pub const ADDRESS_TAG: &str = "forge:address";

/// A security group rule, normalized for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rule {
    pub egress: bool,
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    /// `cidr:<block>` or `sg:<symbolic group name>` (`alb`, `app`).
    pub peer: String,
    pub description: Option<String>,
}

impl Rule {
    pub fn ingress_tcp(port: i32, peer: &str, description: &str) -> Rule {
        Rule {
            egress: false,
            protocol: "tcp".into(),
            from_port: port,
            to_port: port,
            peer: peer.into(),
            description: Some(description.into()),
        }
    }

    pub fn egress_all() -> Rule {
        Rule {
            egress: true,
            protocol: "-1".into(),
            from_port: -1,
            to_port: -1,
            peer: "cidr:0.0.0.0/0".into(),
            description: None,
        }
    }
}

/// What the getting-started stack must have produced for one environment.
#[derive(Debug, Clone)]
pub struct Expected {
    pub stack: String,
    pub env: String,
    /// `10.10` for dev, `10.40` for prod.
    pub cidr_prefix: String,
    pub azs: Vec<String>,
    /// One NAT per AZ (prod) or one shared (dev).
    pub nat_per_az: bool,
    /// Third octet of the first private subnet (`10 + index` in the spec).
    pub private_offset: u8,
    /// The VPC's `Name` tag.
    pub vpc_name: String,
    pub alb_rules: BTreeSet<Rule>,
    pub app_rules: BTreeSet<Rule>,
    /// Look only at objects whose `forge:stack` tag is this stack (a real
    /// account holds other stacks and parallel tests'); `None`: at
    /// everything tagged `forge:stack` (an emulator holds one test's).
    pub scope: Option<String>,
}

impl Expected {
    /// The stack as shipped, for `dev` or `prod`.
    pub fn getting_started(env: &str) -> Expected {
        let (prefix, nat_per_az) = match env {
            "prod" => ("10.40", true),
            _ => ("10.10", false),
        };
        Expected {
            stack: "getting-started".into(),
            env: env.into(),
            cidr_prefix: prefix.into(),
            azs: ["us-east-1a", "us-east-1b", "us-east-1c"]
                .map(String::from)
                .to_vec(),
            nat_per_az,
            private_offset: 10,
            vpc_name: format!("getting-started-{env}"),
            alb_rules: BTreeSet::from([
                Rule::ingress_tcp(80, "cidr:0.0.0.0/0", "HTTP"),
                Rule::ingress_tcp(443, "cidr:0.0.0.0/0", "HTTPS"),
                Rule::egress_all(),
            ]),
            app_rules: BTreeSet::from([
                Rule::ingress_tcp(8080, "sg:alb", "From the ALB"),
                Rule::egress_all(),
            ]),
            scope: None,
        }
    }

    /// The same stack deployed under another stack name (a real-account
    /// run's unique one): names derived from `${stack}` follow, and the
    /// checks look at that stack's objects only.
    pub fn named(mut self, stack: &str) -> Expected {
        self.vpc_name = format!("{stack}-{}", self.env);
        self.stack = stack.to_string();
        self.scope = Some(stack.to_string());
        self
    }

    pub fn vpc_cidr(&self) -> String {
        format!("{}.0.0/16", self.cidr_prefix)
    }

    pub fn public_cidr(&self, i: usize) -> String {
        format!("{}.{i}.0/24", self.cidr_prefix)
    }

    pub fn private_cidr(&self, i: usize) -> String {
        format!(
            "{}.{}.0/24",
            self.cidr_prefix,
            self.private_offset as usize + i
        )
    }

    fn common_tags(&self) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("Project", "getting-started".to_string()),
            ("Environment", self.env.clone()),
            ("ManagedBy", "forge".to_string()),
        ])
    }
}

/// Ids of what was found, for comparisons across applies (in-place update
/// keeps ids, replacement changes them).
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub vpc_id: String,
    /// `public-us-east-1a` / `private-us-east-1a` -> subnet id.
    pub subnets: BTreeMap<String, String>,
    pub nat_ids: BTreeSet<String>,
    /// `alb` / `app` -> group id.
    pub groups: BTreeMap<String, String>,
    /// (`alb`|`app`, rule) -> security group rule id.
    pub rule_ids: BTreeMap<(String, Rule), String>,
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

fn stack_filter(scope: Option<&str>) -> Filter {
    match scope {
        None => Filter::builder().name("tag-key").values(STACK_TAG).build(),
        Some(stack) => Filter::builder()
            .name(format!("tag:{STACK_TAG}"))
            .values(stack)
            .build(),
    }
}

fn vpc_filter(vpc_id: &str) -> Filter {
    Filter::builder().name("vpc-id").values(vpc_id).build()
}

/// Collects every mismatch instead of stopping at the first.
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    fn tags(
        &mut self,
        what: &str,
        tags: &BTreeMap<String, String>,
        exp: &Expected,
        name: Option<&str>,
        address: &str,
    ) {
        for (k, v) in exp.common_tags() {
            self.check(tags.get(k) == Some(&v), || {
                format!("{what}: tag {k} should be {v:?}, tags are {tags:?}")
            });
        }
        if let Some(name) = name {
            self.check(tags.get("Name").map(String::as_str) == Some(name), || {
                format!("{what}: tag Name should be {name:?}, tags are {tags:?}")
            });
        }
        self.check(
            tags.get(STACK_TAG)
                .is_some_and(|v| v.starts_with(&exp.stack)),
            || {
                format!(
                    "{what}: tag {STACK_TAG} should name stack {}, tags are {tags:?}",
                    exp.stack
                )
            },
        );
        self.check(
            tags.get(ADDRESS_TAG).map(String::as_str) == Some(address),
            || format!("{what}: tag {ADDRESS_TAG} should be {address:?}, tags are {tags:?}"),
        );
    }
}

fn sdk<E: std::fmt::Debug>(what: &str, e: E) -> Vec<String> {
    vec![format!("{what} failed: {e:?}")]
}

/// Checks the whole network; `Err` lists every mismatch found.
pub async fn verify(ec2: &Client, exp: &Expected) -> Result<Observed, Vec<String>> {
    let mut p = Problems(Vec::new());
    let mut obs = Observed::default();

    // VPC
    let vpcs = ec2
        .describe_vpcs()
        .filters(stack_filter(exp.scope.as_deref()))
        .send()
        .await
        .map_err(|e| sdk("DescribeVpcs", e))?;
    let vpcs = vpcs.vpcs();
    if vpcs.len() != 1 {
        return Err(vec![format!(
            "expected exactly 1 VPC tagged {STACK_TAG}, found {}: {:?}",
            vpcs.len(),
            vpcs.iter().map(|v| v.vpc_id()).collect::<Vec<_>>()
        )]);
    }
    let vpc = &vpcs[0];
    let vpc_id = vpc.vpc_id().unwrap_or_default().to_string();
    obs.vpc_id = vpc_id.clone();
    p.check(vpc.cidr_block() == Some(exp.vpc_cidr().as_str()), || {
        format!(
            "VPC cidr {:?}, expected {}",
            vpc.cidr_block(),
            exp.vpc_cidr()
        )
    });
    p.tags("VPC", &tag_map(vpc.tags()), exp, Some(&exp.vpc_name), "vpc");
    let hostnames = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .map_err(|e| sdk("DescribeVpcAttribute", e))?;
    p.check(
        hostnames.enable_dns_hostnames().and_then(|a| a.value()) == Some(true),
        || "VPC enable_dns_hostnames should be true".into(),
    );

    // Subnets
    let subnets = ec2
        .describe_subnets()
        .filters(vpc_filter(&vpc_id))
        .send()
        .await
        .map_err(|e| sdk("DescribeSubnets", e))?;
    let mut by_cidr = BTreeMap::new();
    for s in subnets.subnets() {
        by_cidr.insert(s.cidr_block().unwrap_or_default().to_string(), s);
    }
    p.check(by_cidr.len() == 2 * exp.azs.len(), || {
        format!(
            "expected {} subnets in the VPC, found {:?}",
            2 * exp.azs.len(),
            by_cidr.keys().collect::<Vec<_>>()
        )
    });
    let mut public_subnet_by_az = BTreeMap::new();
    for (i, az) in exp.azs.iter().enumerate() {
        for (tier, cidr) in [
            ("public", exp.public_cidr(i)),
            ("private", exp.private_cidr(i)),
        ] {
            let name = format!("{tier}-{az}");
            let Some(s) = by_cidr.get(&cidr) else {
                p.0.push(format!("subnet {name} ({cidr}) missing"));
                continue;
            };
            let id = s.subnet_id().unwrap_or_default().to_string();
            p.check(s.availability_zone() == Some(az.as_str()), || {
                format!("subnet {name}: AZ {:?}", s.availability_zone())
            });
            let public = tier == "public";
            p.check(s.map_public_ip_on_launch() == Some(public), || {
                format!(
                    "subnet {name}: map_public_ip_on_launch {:?}, expected {public}",
                    s.map_public_ip_on_launch()
                )
            });
            let tags = tag_map(s.tags());
            let tier_tag = tags.get("Tier").cloned();
            p.check(tier_tag.as_deref() == Some(tier), || {
                format!("subnet {name}: Tier tag {tier_tag:?}")
            });
            p.tags(
                &format!("subnet {name}"),
                &tags,
                exp,
                Some(&name),
                &format!("{tier}_subnet[{az:?}]"),
            );
            if public {
                public_subnet_by_az.insert(az.clone(), id.clone());
            }
            obs.subnets.insert(name, id);
        }
    }

    // Internet gateway
    let igws = ec2
        .describe_internet_gateways()
        .filters(stack_filter(exp.scope.as_deref()))
        .send()
        .await
        .map_err(|e| sdk("DescribeInternetGateways", e))?;
    let igws = igws.internet_gateways();
    p.check(igws.len() == 1, || {
        format!("expected 1 internet gateway, found {}", igws.len())
    });
    let igw_id = igws
        .first()
        .and_then(|g| g.internet_gateway_id())
        .unwrap_or_default()
        .to_string();
    if let Some(igw) = igws.first() {
        p.check(
            igw.attachments()
                .iter()
                .any(|a| a.vpc_id() == Some(vpc_id.as_str())),
            || format!("internet gateway {igw_id} not attached to {vpc_id}"),
        );
        p.tags(
            "internet gateway",
            &tag_map(igw.tags()),
            exp,
            Some(&format!("{}-igw", exp.stack)),
            "igw",
        );
    }

    // Elastic IPs and NAT gateways
    let nat_count = if exp.nat_per_az { exp.azs.len() } else { 1 };
    let eips = ec2
        .describe_addresses()
        .filters(stack_filter(exp.scope.as_deref()))
        .send()
        .await
        .map_err(|e| sdk("DescribeAddresses", e))?;
    let eip_allocs: BTreeSet<String> = eips
        .addresses()
        .iter()
        .filter_map(|a| a.allocation_id().map(str::to_string))
        .collect();
    p.check(eip_allocs.len() == nat_count, || {
        format!(
            "expected {nat_count} Elastic IPs, found {}",
            eip_allocs.len()
        )
    });
    let nats = ec2
        .describe_nat_gateways()
        .filter(vpc_filter(&vpc_id))
        .filter(
            Filter::builder()
                .name("state")
                .values("available")
                .values("pending")
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk("DescribeNatGateways", e))?;
    let nats = nats.nat_gateways();
    p.check(nats.len() == nat_count, || {
        format!("expected {nat_count} NAT gateways, found {}", nats.len())
    });
    // AZ -> NAT id, through the public subnet each NAT sits in.
    let mut nat_by_az = BTreeMap::new();
    for (i, nat) in nats.iter().enumerate() {
        let id = nat.nat_gateway_id().unwrap_or_default().to_string();
        let subnet = nat.subnet_id().unwrap_or_default();
        let az = public_subnet_by_az
            .iter()
            .find(|(_, s)| s.as_str() == subnet)
            .map(|(az, _)| az.clone());
        p.check(az.is_some(), || {
            format!("NAT {id} is not in a public subnet ({subnet})")
        });
        let alloc_ok = nat
            .nat_gateway_addresses()
            .iter()
            .any(|a| a.allocation_id().is_some_and(|x| eip_allocs.contains(x)));
        p.check(alloc_ok, || {
            format!("NAT {id} does not use one of the stack's Elastic IPs")
        });
        let tags = tag_map(nat.tags());
        if let Some(az) = &az {
            let index = if exp.nat_per_az {
                exp.azs.iter().position(|a| a == az).unwrap_or(i)
            } else {
                0
            };
            p.tags(
                &format!("NAT {id}"),
                &tags,
                exp,
                Some(&format!("nat-{az}")),
                &format!("nat[{index}]"),
            );
            nat_by_az.insert(az.clone(), id.clone());
        }
        obs.nat_ids.insert(id);
    }
    if !exp.nat_per_az {
        p.check(nat_by_az.contains_key(&exp.azs[0]), || {
            format!("the single NAT should be in {}", exp.azs[0])
        });
    }

    // Route tables
    let tables = ec2
        .describe_route_tables()
        .filters(vpc_filter(&vpc_id))
        .send()
        .await
        .map_err(|e| sdk("DescribeRouteTables", e))?;
    let mut table_by_name = BTreeMap::new();
    for t in tables.route_tables() {
        let tags = tag_map(t.tags());
        if tags.contains_key(STACK_TAG) {
            let name = tags.get("Name").cloned().unwrap_or_default();
            table_by_name.insert(name, (t, tags));
        }
    }
    let default_route = |t: &aws_sdk_ec2::types::RouteTable| {
        t.routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .map(|r| {
                (
                    r.gateway_id().map(str::to_string),
                    r.nat_gateway_id().map(str::to_string),
                )
            })
    };
    let associated = |t: &aws_sdk_ec2::types::RouteTable| -> BTreeSet<String> {
        t.associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(str::to_string))
            .collect()
    };
    p.check(table_by_name.len() == 1 + exp.azs.len(), || {
        format!(
            "expected {} stack route tables, found {:?}",
            1 + exp.azs.len(),
            table_by_name.keys().collect::<Vec<_>>()
        )
    });
    match table_by_name.get("public") {
        None => p.0.push("public route table missing".into()),
        Some((t, tags)) => {
            p.tags(
                "route table public",
                tags,
                exp,
                Some("public"),
                "public_routes",
            );
            p.check(
                default_route(t) == Some((Some(igw_id.clone()), None)),
                || {
                    format!(
                        "public route table: 0.0.0.0/0 should go to {igw_id}, routes {:?}",
                        t.routes()
                    )
                },
            );
            let want: BTreeSet<String> = public_subnet_by_az.values().cloned().collect();
            p.check(associated(t) == want, || {
                format!(
                    "public route table associations {:?}, expected {want:?}",
                    associated(t)
                )
            });
        }
    }
    for az in &exp.azs {
        let name = format!("private-{az}");
        let Some((t, tags)) = table_by_name.get(&name) else {
            p.0.push(format!("route table {name} missing"));
            continue;
        };
        p.tags(
            &format!("route table {name}"),
            tags,
            exp,
            Some(&name),
            &format!("private_routes[{az:?}]"),
        );
        let nat = if exp.nat_per_az {
            nat_by_az.get(az)
        } else {
            nat_by_az.get(&exp.azs[0])
        };
        let route = default_route(t);
        p.check(
            nat.is_some() && route.as_ref().and_then(|r| r.1.as_ref()) == nat,
            || format!("route table {name}: 0.0.0.0/0 should go to NAT {nat:?}, got {route:?}"),
        );
        let want: BTreeSet<String> = obs.subnets.get(&name).cloned().into_iter().collect();
        p.check(associated(t) == want, || {
            format!(
                "route table {name}: associations {:?}, expected {want:?}",
                associated(t)
            )
        });
    }

    // Security groups and their rules
    let groups = ec2
        .describe_security_groups()
        .filters(vpc_filter(&vpc_id))
        .filters(stack_filter(exp.scope.as_deref()))
        .send()
        .await
        .map_err(|e| sdk("DescribeSecurityGroups", e))?;
    let groups = groups.security_groups();
    p.check(groups.len() == 2, || {
        format!("expected 2 stack security groups, found {}", groups.len())
    });
    for g in groups {
        let gname = g.group_name().unwrap_or_default();
        let symbolic = gname.rsplit('-').next().unwrap_or_default().to_string();
        p.check(
            gname == format!("{}-{}-{symbolic}", exp.stack, exp.env),
            || format!("unexpected security group name {gname}"),
        );
        p.tags(
            &format!("security group {gname}"),
            &tag_map(g.tags()),
            exp,
            None,
            &format!("{symbolic}_sg"),
        );
        obs.groups
            .insert(symbolic, g.group_id().unwrap_or_default().to_string());
    }
    let symbolic_of: BTreeMap<String, String> = obs
        .groups
        .iter()
        .map(|(k, v)| (v.clone(), k.clone()))
        .collect();
    for (symbolic, expected_rules) in [("alb", &exp.alb_rules), ("app", &exp.app_rules)] {
        let Some(group_id) = obs.groups.get(symbolic).cloned() else {
            p.0.push(format!("security group {symbolic} missing"));
            continue;
        };
        let rules = ec2
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(&group_id).build())
            .send()
            .await
            .map_err(|e| sdk("DescribeSecurityGroupRules", e))?;
        let mut found = BTreeSet::new();
        for r in rules.security_group_rules() {
            let peer = if let Some(c) = r.cidr_ipv4() {
                format!("cidr:{c}")
            } else if let Some(g) = r.referenced_group_info().and_then(|g| g.group_id()) {
                format!(
                    "sg:{}",
                    symbolic_of.get(g).cloned().unwrap_or_else(|| g.to_string())
                )
            } else {
                "other".to_string()
            };
            let rule = Rule {
                egress: r.is_egress().unwrap_or(false),
                protocol: r.ip_protocol().unwrap_or_default().to_string(),
                from_port: r.from_port().unwrap_or(-1),
                to_port: r.to_port().unwrap_or(-1),
                peer,
                description: r
                    .description()
                    .filter(|d| !d.is_empty())
                    .map(str::to_string),
            };
            if let Some(id) = r.security_group_rule_id() {
                obs.rule_ids
                    .insert((symbolic.to_string(), rule.clone()), id.to_string());
            }
            found.insert(rule);
        }
        p.check(&found == expected_rules, || {
            format!("security group {symbolic} rules:\n  found    {found:?}\n  expected {expected_rules:?}")
        });
    }

    if p.0.is_empty() { Ok(obs) } else { Err(p.0) }
}

/// Everything still tagged `forge:stack` (live NATs only: deleted ones stay
/// listed for a while on AWS). Empty after a destroy.
pub async fn leftovers(ec2: &Client) -> Result<Vec<String>, String> {
    leftovers_in(ec2, None).await
}

/// [`leftovers`] of one stack (`scope`, see [`Expected::scope`]).
pub async fn leftovers_in(ec2: &Client, scope: Option<&str>) -> Result<Vec<String>, String> {
    let mut left = Vec::new();
    let err = |what: &str, e: &dyn std::fmt::Debug| format!("{what} failed: {e:?}");
    let f = || stack_filter(scope);
    let vpcs = ec2
        .describe_vpcs()
        .filters(f())
        .send()
        .await
        .map_err(|e| err("DescribeVpcs", &e))?;
    left.extend(vpcs.vpcs().iter().map(|v| format!("vpc {:?}", v.vpc_id())));
    let subnets = ec2
        .describe_subnets()
        .filters(f())
        .send()
        .await
        .map_err(|e| err("DescribeSubnets", &e))?;
    left.extend(
        subnets
            .subnets()
            .iter()
            .map(|s| format!("subnet {:?}", s.subnet_id())),
    );
    let igws = ec2
        .describe_internet_gateways()
        .filters(f())
        .send()
        .await
        .map_err(|e| err("DescribeInternetGateways", &e))?;
    left.extend(
        igws.internet_gateways()
            .iter()
            .map(|g| format!("igw {:?}", g.internet_gateway_id())),
    );
    let eips = ec2
        .describe_addresses()
        .filters(f())
        .send()
        .await
        .map_err(|e| err("DescribeAddresses", &e))?;
    left.extend(
        eips.addresses()
            .iter()
            .map(|a| format!("eip {:?}", a.allocation_id())),
    );
    let nats = ec2
        .describe_nat_gateways()
        .filter(f())
        .send()
        .await
        .map_err(|e| err("DescribeNatGateways", &e))?;
    left.extend(
        nats.nat_gateways()
            .iter()
            .filter(|n| {
                !matches!(
                    n.state().map(|s| s.as_str()),
                    Some("deleted") | Some("deleting") | Some("failed")
                )
            })
            .map(|n| format!("nat {:?} ({:?})", n.nat_gateway_id(), n.state())),
    );
    let tables = ec2
        .describe_route_tables()
        .filters(f())
        .send()
        .await
        .map_err(|e| err("DescribeRouteTables", &e))?;
    left.extend(
        tables
            .route_tables()
            .iter()
            .map(|t| format!("route table {:?}", t.route_table_id())),
    );
    let groups = ec2
        .describe_security_groups()
        .filters(f())
        .send()
        .await
        .map_err(|e| err("DescribeSecurityGroups", &e))?;
    left.extend(
        groups
            .security_groups()
            .iter()
            .map(|g| format!("security group {:?}", g.group_id())),
    );
    Ok(left)
}

/// The filter on the `Name` tag.
fn named(name: &str) -> Filter {
    Filter::builder().name("tag:Name").values(name).build()
}

/// The id of the VPC tagged `Name=name`, if there is one.
pub async fn vpc_named(ec2: &Client, name: &str) -> Option<String> {
    let out = ec2
        .describe_vpcs()
        .filters(named(name))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeVpcs {name}: {e:?}"));
    out.vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_string)
}

/// The subnet tagged `Name=name`, if there is one.
pub async fn subnet_named(ec2: &Client, name: &str) -> Option<aws_sdk_ec2::types::Subnet> {
    let out = ec2
        .describe_subnets()
        .filters(named(name))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeSubnets {name}: {e:?}"));
    out.subnets().first().cloned()
}
