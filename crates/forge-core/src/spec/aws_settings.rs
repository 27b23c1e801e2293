//! `aws:` blocks: which AWS credentials a stack (or an environment of it, or
//! its state backend) works with — a named profile, a role to assume, and
//! the accounts it may touch.
//!
//! Like Terraform's `provider "aws" { profile, assume_role, allowed_account_ids }`:
//! an environment's `aws:` is merged key by key over the stack's, so a
//! stack can name the profile once and each environment its role. Values
//! may be `${ ... }` expressions over vars, `env` and `stack` (they are
//! settled at load, before anything talks to AWS).

use super::loader::{Loader, check_keys, mapping};
use super::yaml::node_kind;
use crate::expr::Scope;
use marked_yaml::types::{MarkedMappingNode, Node};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The keys of an `aws:` block (of `state:`, or of one alias).
const AWS_KEYS: &[&str] = &["profile", "assume_role", "allowed_account_ids"];
/// The keys of the stack's (an environment's) `aws:` block: those of any
/// `aws:` block, and the named credential sets resources pick with
/// `aws: NAME` (Terraform's provider aliases).
const STACK_AWS_KEYS: &[&str] = &["profile", "assume_role", "allowed_account_ids", "aliases"];
/// The keys of `aws.assume_role`.
const ROLE_KEYS: &[&str] = &["role_arn", "external_id", "session_name", "duration"];
/// STS's bounds on a role session (`DurationSeconds`): 15 minutes to 12
/// hours; the role's own maximum may be lower, which STS reports.
pub const SESSION_SECONDS: std::ops::RangeInclusive<u64> = 900..=43_200;

/// The credentials of a stack, an environment or a state backend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsCredentials {
    /// A named profile of the shared AWS config files (`~/.aws/config`);
    /// unset: the process's chain (`AWS_PROFILE`, env vars, SSO, IMDS ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A role assumed on top of the profile (or the process's chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role: Option<AssumeRole>,
    /// The only accounts these credentials may act in; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_account_ids: Vec<String>,
}

/// `aws.assume_role`: an STS `AssumeRole` call's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssumeRole {
    /// `arn:aws:iam::ACCOUNT:role/NAME`.
    pub role_arn: String,
    /// The external id the role's trust policy asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The session's name (in CloudTrail); default `forge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// The session's length in seconds (900..43200); default STS's (1 hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
}

impl AwsCredentials {
    /// The account a role ARN names (`arn:aws:iam::ACCOUNT:role/...`).
    pub fn role_account(&self) -> Option<&str> {
        self.assume_role
            .as_ref()
            .and_then(|r| r.role_arn.split(':').nth(4))
    }

    /// A short description for messages: the role, else the profile, else
    /// the process's credentials.
    pub fn describe(&self) -> String {
        match (&self.assume_role, &self.profile) {
            (Some(role), Some(p)) => format!("role {} via profile `{p}`", role.role_arn),
            (Some(role), None) => format!("role {}", role.role_arn),
            (None, Some(p)) => format!("profile `{p}`"),
            (None, None) => "the process's credentials".into(),
        }
    }
}

/// The stack's credentials: its default set and its named ones (aliases).
pub(crate) type StackAws = (Option<AwsCredentials>, BTreeMap<String, AwsCredentials>);

/// The stack's `aws:` with the environment's merged over it, key by key
/// (an environment naming only `assume_role` keeps the stack's profile;
/// an environment's `aliases.NAME` is merged over the stack's the same
/// way). The default set is `None` when no key but `aliases` is given, so
/// such a stack's other resources use the process's chain as before.
pub(crate) fn load_aws(
    l: &mut Loader<'_>,
    top: Option<&Node>,
    env: Option<&Node>,
    scope: &Scope<'_>,
) -> StackAws {
    let merged = match (top, env) {
        (None, None) => return (None, BTreeMap::new()),
        (Some(Node::Mapping(a)), Some(Node::Mapping(b))) => {
            super::include::merge_mappings(a.clone(), b.clone())
        }
        (_, Some(n)) | (Some(n), None) => match mapping(l, n, "`aws`") {
            Some(m) => m.clone(),
            None => return (None, BTreeMap::new()),
        },
    };
    check_keys(l, &merged, STACK_AWS_KEYS, "`aws`");
    let aliases = merged
        .get_node("aliases")
        .map(|n| load_aliases(l, n, scope))
        .unwrap_or_default();
    // Unknown keys were reported above: the default set is read from the
    // known ones only, so none is reported twice.
    let mut defaults = merged.clone();
    let other: Vec<String> = defaults
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| !AWS_KEYS.contains(&k.as_str()))
        .collect();
    for k in other {
        defaults.remove(k.as_str());
    }
    let default = (!defaults.is_empty())
        .then(|| parse_aws(l, &defaults, scope, "aws"))
        .flatten();
    (default, aliases)
}

/// `aws.aliases`: named credential sets, each an `aws:` block of its own.
fn load_aliases(
    l: &mut Loader<'_>,
    node: &Node,
    scope: &Scope<'_>,
) -> BTreeMap<String, AwsCredentials> {
    let Some(map) = mapping(l, node, "`aws.aliases`") else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (name, body) in map.iter() {
        let what = format!("aws.aliases.{}", name.as_str());
        if !is_alias_name(name.as_str()) {
            l.error(
                name.span(),
                format!("`{what}`: `{}` is not a valid alias name", name.as_str()),
            )
            .hint = Some("letters, digits, `_` and `-`, starting with a letter".into());
            continue;
        }
        let Some(body) = mapping(l, body, &format!("`{what}`")) else {
            continue;
        };
        if let Some(set) = parse_aws(l, body, scope, &what) {
            out.insert(name.as_str().to_string(), set);
        }
    }
    out
}

/// An alias's name: an identifier, as a resource's `aws: NAME` spells it.
fn is_alias_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// One `aws:` map (of the stack, or of `state:`), checked; `what` is its
/// path for messages (`aws`, `state.aws`).
pub(crate) fn parse_aws(
    l: &mut Loader<'_>,
    map: &MarkedMappingNode,
    scope: &Scope<'_>,
    what: &str,
) -> Option<AwsCredentials> {
    check_keys(l, map, AWS_KEYS, &format!("`{what}`"));
    let profile = map
        .get_node("profile")
        .and_then(|n| l.load_time_string(n, scope, &format!("`{what}.profile`")));
    let assume_role = map
        .get_node("assume_role")
        .and_then(|n| parse_role(l, n, scope, &format!("{what}.assume_role")));
    let allowed_account_ids = map
        .get_node("allowed_account_ids")
        .map(|n| account_ids(l, n, scope, &format!("{what}.allowed_account_ids")))
        .unwrap_or_default();
    Some(AwsCredentials {
        profile,
        assume_role,
        allowed_account_ids,
    })
}

fn parse_role(
    l: &mut Loader<'_>,
    node: &Node,
    scope: &Scope<'_>,
    what: &str,
) -> Option<AssumeRole> {
    let map = mapping(l, node, &format!("`{what}`"))?;
    check_keys(l, map, ROLE_KEYS, &format!("`{what}`"));
    // Every field is checked even when an earlier one is bad, so one run
    // reports every mistake.
    let role_arn = match map.get_node("role_arn") {
        None => {
            l.error(map.span(), format!("`{what}` has no `role_arn`"))
                .hint = Some("role_arn: arn:aws:iam::111111111111:role/deploy".into());
            None
        }
        Some(n) => match l.load_time_string(n, scope, &format!("`{what}.role_arn`")) {
            Some(arn) if is_role_arn(&arn) => Some(arn),
            Some(arn) => {
                l.error(
                    n.span(),
                    format!("`{what}.role_arn`: `{arn}` is not an IAM role ARN"),
                )
                .hint = Some(
                    "write it as arn:aws:iam::ACCOUNT_ID:role/NAME (a 12-digit account id)".into(),
                );
                None
            }
            None => None,
        },
    };
    let external_id = map
        .get_node("external_id")
        .and_then(|n| l.load_time_string(n, scope, &format!("`{what}.external_id`")));
    let session_name = map.get_node("session_name").and_then(|n| {
        let name = l.load_time_string(n, scope, &format!("`{what}.session_name`"))?;
        if is_session_name(&name) {
            return Some(name);
        }
        l.error(
            n.span(),
            format!("`{what}.session_name`: `{name}` is not a valid role session name"),
        )
        .hint = Some("2 to 64 characters: letters, digits and _ + = , . @ -".into());
        None
    });
    let duration = map.get_node("duration").and_then(|n| {
        let text = l.load_time_string(n, scope, &format!("`{what}.duration`"))?;
        let parsed = super::model::parse_duration_secs(&text);
        if let Some(secs) = parsed.filter(|s| SESSION_SECONDS.contains(s)) {
            return Some(secs);
        }
        let why = match parsed {
            Some(secs) => format!("{secs} seconds is outside 900..43200"),
            None => "not a duration".into(),
        };
        l.error(n.span(), format!("`{what}.duration`: `{text}`: {why}"))
            .hint =
            Some("a role session lasts 15m to 12h: write e.g. `1h`, `90m` or `3600`".into());
        None
    });
    Some(AssumeRole {
        role_arn: role_arn?,
        external_id,
        session_name,
        duration,
    })
}

fn account_ids(l: &mut Loader<'_>, node: &Node, scope: &Scope<'_>, what: &str) -> Vec<String> {
    let Node::Sequence(items) = node else {
        l.error(
            node.span(),
            format!(
                "`{what}` must be a list of account ids, got {}",
                node_kind(node)
            ),
        )
        .hint = Some("allowed_account_ids: [\"111111111111\"]".into());
        return Vec::new();
    };
    let mut ids = Vec::new();
    for item in items.iter() {
        // The text as written: an unquoted `012345678901` must keep its
        // leading zero, which reading it as a number would drop.
        let id = match item {
            Node::Scalar(s) if !crate::expr::is_template(s.as_str()) => s.as_str().to_string(),
            other => match l.load_time_string(other, scope, &format!("`{what}`")) {
                Some(id) => id,
                None => continue,
            },
        };
        if is_account_id(&id) {
            ids.push(id);
        } else {
            l.error(
                item.span(),
                format!("`{what}`: `{id}` is not an AWS account id"),
            )
            .hint = Some("an account id is 12 digits, e.g. \"111111111111\"".into());
        }
    }
    ids
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && is_account_id(account)
                && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty())
    )
}

/// STS's `RoleSessionName`: `[\w+=,.@-]{2,64}`.
fn is_session_name(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        for ok in [
            "arn:aws:iam::111111111111:role/deploy",
            "arn:aws-us-gov:iam::111111111111:role/path/to/deploy",
        ] {
            assert!(is_role_arn(ok), "{ok}");
        }
        for bad in [
            "",
            "deploy",
            "arn:aws:iam::1111:role/deploy",
            "arn:aws:iam::111111111111:user/deploy",
            "arn:aws:iam::111111111111:role/",
            "arn:aws:sts::111111111111:role/deploy",
            "arn:aws:iam:eu-west-1:111111111111:role/deploy",
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
    }

    #[test]
    fn session_names() {
        assert!(is_session_name("forge-app.dev@ci"));
        assert!(!is_session_name("x"));
        assert!(!is_session_name("has space"));
        assert!(!is_session_name(&"a".repeat(65)));
    }

    #[test]
    fn role_account_and_description() {
        let c = AwsCredentials {
            profile: Some("ops".into()),
            assume_role: Some(AssumeRole {
                role_arn: "arn:aws:iam::222222222222:role/deploy".into(),
                ..AssumeRole::default()
            }),
            allowed_account_ids: Vec::new(),
        };
        assert_eq!(c.role_account(), Some("222222222222"));
        assert_eq!(
            c.describe(),
            "role arn:aws:iam::222222222222:role/deploy via profile `ops`"
        );
        assert_eq!(
            AwsCredentials::default().describe(),
            "the process's credentials"
        );
    }
}
