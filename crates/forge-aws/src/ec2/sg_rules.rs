//! The rule model of `aws.ec2.security_group`: one rule per source, as
//! AWS's DescribeSecurityGroupRules has it; normalization so a spec and
//! what AWS returns compare equal; and the diff into the minimal
//! authorize / revoke / description-update calls.

use crate::normalize::cidr;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, SecurityGroupRule, UserIdGroupPair,
};
use forge_core::{FieldSchema, FieldType, Value};
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// The object schema of one rule.
pub fn rule_schema() -> FieldType {
    let of = |t: FieldType, d: &'static str| FieldSchema::optional(t).describe(d);
    let text = |d: &'static str| of(FieldType::String, d);
    FieldType::object([
        (
            "ip_protocol",
            FieldSchema::required(FieldType::String).describe(
                "tcp, udp, icmp, icmpv6, a protocol number, or -1 (all; `all` is accepted).",
            ),
        ),
        (
            "from_port",
            of(FieldType::Number, "First port (ICMP type); not for -1."),
        ),
        (
            "to_port",
            of(FieldType::Number, "Last port (ICMP code); not for -1."),
        ),
        ("cidr_ipv4", text("Source/destination IPv4 range.")),
        ("cidr_ipv6", text("Source/destination IPv6 range.")),
        (
            "referenced_group_id",
            text("Source/destination security group."),
        ),
        ("prefix_list_id", text("Source/destination prefix list.")),
        ("description", text("What the rule is for.")),
    ])
}

/// Where traffic comes from (ingress) or goes to (egress): exactly one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// An IPv4 range.
    Ipv4(String),
    /// An IPv6 range.
    Ipv6(String),
    /// Another security group.
    Group(String),
    /// A managed prefix list.
    PrefixList(String),
}

/// One security group rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rule {
    /// Normalized protocol: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a number.
    pub ip_protocol: String,
    /// Port range (ICMP type/code); `None` when the protocol has none.
    pub ports: Option<(i64, i64)>,
    /// The peer.
    pub peer: Peer,
    /// The description (empty means none).
    pub description: Option<String>,
}

/// The canonical protocol text: names for tcp/udp/icmp/icmpv6 (AWS answers
/// names for these even when given numbers), `-1` for all.
pub fn protocol(text: &str) -> String {
    match text.trim().to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "58" | "icmpv6" => "icmpv6".into(),
        other => other.into(),
    }
}

fn has_ports(protocol: &str) -> bool {
    matches!(protocol, "tcp" | "udp" | "icmp" | "icmpv6")
}

impl Rule {
    /// The identity used to match desired rules with live ones: everything
    /// but the description (which is updated in place).
    pub fn key(&self) -> (&str, Option<(i64, i64)>, &Peer) {
        (&self.ip_protocol, self.ports, &self.peer)
    }

    /// Reads a rule from an attribute value (a map). `None` when part of it
    /// is still unknown.
    pub fn from_value(v: &Value) -> Result<Option<Rule>, ProviderError> {
        if !v.is_known() {
            return Ok(None);
        }
        let map = v
            .as_map()
            .ok_or_else(|| ProviderError::Invalid(format!("a rule must be a map, got {v}")))?;
        let text = |k: &str| {
            map.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let number = |k: &str| -> Result<Option<i64>, ProviderError> {
            match map.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                {
                    Some(n) => Ok(Some(n)),
                    None => Err(ProviderError::Invalid(format!(
                        "`{k}` of rule {v} must be a whole number"
                    ))),
                },
            }
        };
        let proto = match map.get("ip_protocol") {
            Some(Value::Number(n)) => protocol(&n.to_string()),
            Some(Value::String(s)) => protocol(s),
            _ => {
                return Err(ProviderError::Invalid(format!(
                    "rule {v} needs `ip_protocol`"
                )));
            }
        };
        let ports = if has_ports(&proto) {
            match (number("from_port")?, number("to_port")?) {
                (Some(f), Some(t)) => Some((f, t)),
                (Some(p), None) | (None, Some(p)) => Some((p, p)),
                // AWS's "all types and codes" for ICMP.
                (None, None) if proto.starts_with("icmp") => Some((-1, -1)),
                (None, None) => {
                    return Err(ProviderError::Invalid(format!(
                        "{proto} rule {v} needs `from_port` and `to_port`"
                    )));
                }
            }
        } else {
            None
        };
        let peers: Vec<Peer> = [
            text("cidr_ipv4").map(|c| Peer::Ipv4(cidr(&c))),
            text("cidr_ipv6").map(|c| Peer::Ipv6(cidr(&c))),
            text("referenced_group_id").map(Peer::Group),
            text("prefix_list_id").map(Peer::PrefixList),
        ]
        .into_iter()
        .flatten()
        .collect();
        let peer = match <[Peer; 1]>::try_from(peers) {
            Ok([p]) => p,
            Err(p) if p.is_empty() => {
                return Err(ProviderError::Invalid(format!(
                    "rule {v} needs one of cidr_ipv4, cidr_ipv6, referenced_group_id, prefix_list_id"
                )));
            }
            Err(_) => {
                return Err(ProviderError::Invalid(format!(
                    "rule {v} has several sources; write one rule per source"
                )));
            }
        };
        Ok(Some(Rule {
            ip_protocol: proto,
            ports,
            peer,
            description: text("description"),
        }))
    }

    /// The rule as an attribute value (only the keys that are set).
    pub fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert(
            "ip_protocol".to_string(),
            Value::from(self.ip_protocol.as_str()),
        );
        if let Some((f, t)) = self.ports {
            m.insert("from_port".into(), Value::int(f));
            m.insert("to_port".into(), Value::int(t));
        }
        let (k, v) = match &self.peer {
            Peer::Ipv4(c) => ("cidr_ipv4", c),
            Peer::Ipv6(c) => ("cidr_ipv6", c),
            Peer::Group(g) => ("referenced_group_id", g),
            Peer::PrefixList(p) => ("prefix_list_id", p),
        };
        m.insert(k.into(), Value::from(v.as_str()));
        if let Some(d) = &self.description {
            m.insert("description".into(), Value::from(d.as_str()));
        }
        Value::Map(m)
    }

    /// A described rule (None if it has no peer forge understands).
    pub fn from_sdk(r: &SecurityGroupRule) -> Option<Rule> {
        let proto = protocol(r.ip_protocol()?);
        let ports = has_ports(&proto).then(|| {
            (
                i64::from(r.from_port().unwrap_or(-1)),
                i64::from(r.to_port().unwrap_or(-1)),
            )
        });
        let peer = if let Some(c) = r.cidr_ipv4() {
            Peer::Ipv4(cidr(c))
        } else if let Some(c) = r.cidr_ipv6() {
            Peer::Ipv6(cidr(c))
        } else if let Some(g) = r.referenced_group_info().and_then(|g| g.group_id()) {
            Peer::Group(g.to_string())
        } else {
            Peer::PrefixList(r.prefix_list_id()?.to_string())
        };
        let description = r
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        Some(Rule {
            ip_protocol: proto,
            ports,
            peer,
            description,
        })
    }

    /// The rule as the IpPermission of an authorize/update call.
    pub fn to_permission(&self) -> IpPermission {
        let mut p = IpPermission::builder().ip_protocol(&self.ip_protocol);
        if let Some((f, t)) = self.ports {
            // Ports are validated by AWS; out-of-range values are sent as -1
            // rather than wrapped, so AWS rejects them with its own message.
            p = p
                .from_port(i32::try_from(f).unwrap_or(-1))
                .to_port(i32::try_from(t).unwrap_or(-1));
        }
        let d = self.description.clone();
        match &self.peer {
            Peer::Ipv4(c) => p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build()),
            Peer::Ipv6(c) => {
                p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build())
            }
            Peer::Group(g) => p.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(d)
                    .build(),
            ),
            Peer::PrefixList(l) => p.prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(l)
                    .set_description(d)
                    .build(),
            ),
        }
        .build()
    }
}

/// A rule as a typed field (read at apply, when it is fully known).
impl forge_core::fields::FieldValue for Rule {
    fn field_type() -> FieldType {
        rule_schema()
    }

    fn from_value(value: &Value) -> Result<Self, forge_core::fields::FieldError> {
        use forge_core::fields::FieldError;
        match Rule::from_value(value) {
            Ok(Some(rule)) => Ok(rule),
            Ok(None) => Err(FieldError::invalid(format!(
                "rule {value} is not fully known at apply"
            ))),
            Err(ProviderError::Invalid(reason)) => Err(FieldError::invalid(reason)),
            Err(other) => Err(FieldError::invalid(other.to_string())),
        }
    }

    fn to_value(&self) -> Value {
        Rule::to_value(self)
    }
}

/// Normalizes a list of rules: canonical form of each and sorted, so rule
/// order in the spec never makes a diff. Rules with unknown parts (a group
/// id known after apply) are kept as written, after the known ones.
pub fn normalize_rules(v: &Value) -> Value {
    let Some(items) = v.as_list() else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut known: Vec<Rule> = Vec::new();
    let mut rest: Vec<Value> = Vec::new();
    for item in items {
        match Rule::from_value(item) {
            Ok(Some(rule)) => known.push(rule),
            _ => rest.push(item.clone()),
        }
    }
    known.sort();
    known.dedup();
    Value::List(known.iter().map(Rule::to_value).chain(rest).collect())
}

/// Parses a desired list of rules (all known at apply).
pub fn desired_rules(v: Option<&Value>) -> Result<Vec<Rule>, ProviderError> {
    let items = v.and_then(Value::as_list).unwrap_or_default();
    let mut rules = Vec::with_capacity(items.len());
    for item in items {
        match Rule::from_value(item)? {
            Some(r) => rules.push(r),
            None => {
                return Err(ProviderError::Invalid(format!(
                    "rule {item} is not fully known at apply"
                )));
            }
        }
    }
    rules.sort();
    rules.dedup();
    Ok(rules)
}

/// The calls that bring one direction's live rules to the desired ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RulePlan {
    /// Rules to authorize.
    pub authorize: Vec<Rule>,
    /// Rule ids to revoke.
    pub revoke: Vec<String>,
    /// Rules whose description changes (matched by key).
    pub describe: Vec<Rule>,
}

impl RulePlan {
    /// Whether nothing needs doing.
    pub fn is_empty(&self) -> bool {
        self.authorize.is_empty() && self.revoke.is_empty() && self.describe.is_empty()
    }
}

/// Diffs live rules (with their ids) against desired ones. A rule that
/// only changes its description is updated in place, never revoked and
/// re-added (which would drop traffic for a moment).
pub fn diff_rules(live: &[(String, Rule)], desired: &[Rule]) -> RulePlan {
    let mut plan = RulePlan::default();
    let mut matched = vec![false; live.len()];
    for want in desired {
        match live.iter().position(|(_, have)| have.key() == want.key()) {
            Some(i) => {
                matched[i] = true;
                if live[i].1.description != want.description {
                    plan.describe.push(want.clone());
                }
            }
            None => plan.authorize.push(want.clone()),
        }
    }
    for ((id, _), used) in live.iter().zip(&matched) {
        if !used {
            plan.revoke.push(id.clone());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(v: serde_json::Value) -> Rule {
        Rule::from_value(&Value::from_json(&v)).unwrap().unwrap()
    }

    #[test]
    fn protocols_are_named() {
        let names = [
            ("all", "-1"),
            ("6", "tcp"),
            ("UDP", "udp"),
            ("1", "icmp"),
            ("50", "50"),
        ];
        for (given, name) in names {
            assert_eq!(protocol(given), name, "{given}");
        }
        let r = rule(
            serde_json::json!({"ip_protocol": 6, "from_port": 443, "to_port": 443, "cidr_ipv4": "10.0.0.5/16"}),
        );
        assert_eq!(r.ip_protocol, "tcp");
        assert_eq!(r.peer, Peer::Ipv4("10.0.0.0/16".into()));
    }

    #[test]
    fn ports_follow_the_protocol() {
        let all = rule(
            serde_json::json!({"ip_protocol": "all", "from_port": 0, "to_port": 65535, "cidr_ipv4": "0.0.0.0/0"}),
        );
        assert_eq!(all.ports, None);
        let icmp = rule(serde_json::json!({"ip_protocol": "icmp", "cidr_ipv4": "0.0.0.0/0"}));
        assert_eq!(icmp.ports, Some((-1, -1)));
        let one = rule(
            serde_json::json!({"ip_protocol": "tcp", "from_port": "22", "cidr_ipv4": "0.0.0.0/0"}),
        );
        assert_eq!(one.ports, Some((22, 22)));
        let missing =
            Value::from_json(&serde_json::json!({"ip_protocol": "tcp", "cidr_ipv4": "0.0.0.0/0"}));
        assert!(Rule::from_value(&missing).is_err());
    }

    #[test]
    fn one_source_per_rule() {
        let two = Value::from_json(&serde_json::json!({
            "ip_protocol": "tcp", "from_port": 1, "to_port": 2, "cidr_ipv4": "0.0.0.0/0", "referenced_group_id": "sg-1"
        }));
        assert!(Rule::from_value(&two).is_err());
        let none = Value::from_json(
            &serde_json::json!({"ip_protocol": "tcp", "from_port": 1, "to_port": 2}),
        );
        assert!(Rule::from_value(&none).is_err());
    }

    #[test]
    fn normalized_lists_ignore_order_and_spelling() {
        let a = Value::from_json(&serde_json::json!([
            {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0", "description": ""},
            {"ip_protocol": "-1", "from_port": -1, "to_port": -1, "referenced_group_id": "sg-1"}
        ]));
        let b = Value::from_json(&serde_json::json!([
            {"ip_protocol": "all", "referenced_group_id": "sg-1"},
            {"ip_protocol": "6", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}
        ]));
        assert_eq!(normalize_rules(&a), normalize_rules(&b));
        let with_unknown = Value::List(vec![Value::Map(BTreeMap::from([
            ("ip_protocol".to_string(), Value::from("tcp")),
            ("from_port".to_string(), Value::int(5432)),
            ("to_port".to_string(), Value::int(5432)),
            ("referenced_group_id".to_string(), Value::Unknown),
        ]))]);
        assert_eq!(normalize_rules(&with_unknown), with_unknown);
    }

    #[test]
    fn diff_adds_and_revokes_only_changes() {
        let ssh = rule(
            serde_json::json!({"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "10.0.0.0/8"}),
        );
        let https = rule(
            serde_json::json!({"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}),
        );
        let pg = rule(
            serde_json::json!({"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_group_id": "sg-app"}),
        );
        let live = vec![
            ("sgr-1".to_string(), ssh.clone()),
            ("sgr-2".to_string(), https.clone()),
        ];
        let plan = diff_rules(&live, &[https.clone(), pg.clone()]);
        assert_eq!(plan.authorize, vec![pg]);
        assert_eq!(plan.revoke, vec!["sgr-1".to_string()]);
        assert!(plan.describe.is_empty());
        let mut described = https.clone();
        described.description = Some("web".into());
        let plan = diff_rules(&live, &[ssh, described.clone()]);
        assert_eq!(plan.describe, vec![described]);
        assert!(plan.authorize.is_empty() && plan.revoke.is_empty());
    }

    #[test]
    fn sdk_rules_round_trip() {
        let sdk = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-1")
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .cidr_ipv4("0.0.0.0/0")
            .is_egress(true)
            .build();
        let r = Rule::from_sdk(&sdk).unwrap();
        assert_eq!(
            r,
            rule(serde_json::json!({"ip_protocol": "all", "cidr_ipv4": "0.0.0.0/0"}))
        );
        let perm = r.to_permission();
        assert_eq!(perm.ip_protocol(), Some("-1"));
        assert_eq!(perm.from_port(), None);
        assert_eq!(perm.ip_ranges().len(), 1);
    }
}
