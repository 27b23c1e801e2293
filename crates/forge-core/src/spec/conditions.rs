//! Custom conditions, as Terraform has them: `{condition, error_message}`
//! rules that fail with the author's message.
//!
//! - `validation:` on a var, checked when the stack loads, once every
//!   source of the var's value has been applied;
//! - `precondition` / `postcondition` under a resource's `lifecycle:`, and
//!   `precondition` on an output, kept as [`Condition`]s and checked by the
//!   engine (preconditions before the resource's call, at plan when their
//!   values are known; postconditions after it, reading `self`).

use super::loader::Loader;
use super::model::{Config, Instance, ResourceValues, SerdePos, Stack};
use super::vars::VarDecl;
use super::yaml::{Sources, node_kind};
use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::expr::{Scope, did_you_mean};
use crate::value::{Attrs, Value};
use indexmap::IndexMap;
use marked_yaml::types::{MarkedScalarNode, Node};
use serde::{Deserialize, Serialize};

const RULE_KEYS: &[&str] = &["condition", "error_message"];

/// One rule as written: its two nodes and where it starts.
#[derive(Debug, Clone)]
pub(crate) struct RuleNodes {
    pub condition: Node,
    pub error_message: Node,
}

/// Reads `node`: one `{condition, error_message}` map or a list of them.
/// `what` names the owner in errors (`validation of var `x``).
pub(crate) fn rule_nodes(
    node: &Node,
    what: &str,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> Vec<RuleNodes> {
    let items: Vec<&Node> = match node {
        Node::Sequence(s) => s.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        let Node::Mapping(m) = item else {
            diags.push(
                sources
                    .diag(
                        item.span(),
                        format!("{what} must be a map of `condition` and `error_message`, got {}", node_kind(item)),
                    )
                    .with_hint("{condition: \"${length(vars.name) <= 32}\", error_message: \"name is too long\"}"),
            );
            continue;
        };
        for k in m.keys() {
            if !RULE_KEYS.contains(&k.as_str()) {
                let hint = did_you_mean(k.as_str(), RULE_KEYS.iter().copied()).map_or_else(
                    || "keys: condition, error_message".to_string(),
                    |s| format!("did you mean `{s}`?"),
                );
                diags.push(
                    sources
                        .diag(k.span(), format!("unknown key `{}` in {what}", k.as_str()))
                        .with_hint(hint),
                );
            }
        }
        match (m.get_node("condition"), m.get_node("error_message")) {
            (Some(c), Some(e)) => out.push(RuleNodes {
                condition: c.clone(),
                error_message: e.clone(),
            }),
            (c, _) => {
                let missing = if c.is_none() {
                    "condition"
                } else {
                    "error_message"
                };
                diags.push(
                    sources
                        .diag(m.span(), format!("{what} has no `{missing}`"))
                        .with_hint("a rule is {condition: \"${...}\", error_message: \"...\"}"),
                );
            }
        }
    }
    out
}

/// Checks every var's `validation:` rules against its value, in `scope`
/// (vars, env, stack, region). A rule whose value is not known (an unset
/// var of a read-only command) is skipped.
pub(crate) fn validate_vars(
    l: &mut Loader<'_>,
    decls: &IndexMap<String, VarDecl>,
    scope: &Scope<'_>,
) {
    for (name, decl) in decls {
        if !scope.vars.get(name).is_some_and(Value::is_known) {
            continue;
        }
        for rule in &decl.validations {
            let what = format!("validation of var `{name}`");
            let Some(ok) = eval_condition(l, &rule.condition, scope, &what) else {
                continue;
            };
            if ok {
                continue;
            }
            let message = eval_message(l, &rule.error_message, scope, &what);
            let span = *rule.condition.span();
            let d = l.error(&span, format!("invalid value for var `{name}`: {message}"));
            d.hint = Some(format!(
                "the value failed this `validation` rule of var `{name}`; it is checked after every source of the value (default, environment, FORGE_VAR_{name}, var files, --var)"
            ));
        }
    }
}

/// A condition evaluated at load: `Some(bool)`, or `None` when it is
/// unknown or broken (an error is then reported).
fn eval_condition(l: &mut Loader<'_>, node: &Node, scope: &Scope<'_>, what: &str) -> Option<bool> {
    let Node::Scalar(s) = node else {
        l.error(
            node.span(),
            format!(
                "the condition of {what} must be a `${{...}}` expression, got {}",
                node_kind(node)
            ),
        );
        return None;
    };
    let v = l.load_time_value(s, scope, &format!("the condition of {what}"))?;
    match v.unmarked() {
        Value::Bool(b) => Some(b),
        Value::Unknown => None,
        other => {
            let d = l.error(
                s.span(),
                format!(
                    "the condition of {what} must be true or false, got {}",
                    other.type_name()
                ),
            );
            d.snippet = Some(s.as_str().to_string());
            None
        }
    }
}

fn eval_message(l: &mut Loader<'_>, node: &Node, scope: &Scope<'_>, what: &str) -> String {
    let Node::Scalar(s) = node else {
        return format!("(the error_message of {what} is not a string)");
    };
    message_text(
        l.load_time_value(s, scope, &format!("the error_message of {what}")),
        s,
    )
}

fn message_text(v: Option<Value>, s: &MarkedScalarNode) -> String {
    match v {
        Some(Value::String(m)) => m,
        Some(Value::Sensitive(_)) => {
            "(the error message is hidden: it reads a sensitive value)".into()
        }
        Some(Value::Number(n)) => n.to_string(),
        _ => s.as_str().to_string(),
    }
}

/// A `precondition` / `postcondition` rule kept for the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// The condition: a `${...}` that must be true.
    pub condition: Config,
    /// The message when it is not (may be a template).
    pub error_message: Config,
    /// Where the condition is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<SerdePos>,
}

/// A resource's (or an output's) custom conditions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    /// Checked before the resource's call (at plan when known).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre: Vec<Condition>,
    /// Checked after the resource's call, reading `self`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post: Vec<Condition>,
}

impl Conditions {
    /// No conditions.
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty() && self.post.is_empty()
    }
}

/// The outcome of checking one condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    /// It holds.
    Passed,
    /// It reads values not known yet: check it again later.
    Unknown,
    /// It does not hold: the error to report.
    Failed(Diagnostic),
}

/// Builds the error of a failed condition. `kind` is `precondition` or
/// `postcondition`, `owner` the resource's address or `output `x``.
pub fn condition_failed(
    kind: &str,
    owner: &str,
    message: &str,
    pos: Option<&SerdePos>,
    source: Option<&str>,
) -> Diagnostic {
    let text = format!("{kind} of {owner} failed: {message}");
    let d = match pos {
        Some(p) => Diagnostic::at(SourcePos::from(p), text),
        None => Diagnostic::general(text),
    };
    let d = match source {
        Some(s) => d.with_snippet(s),
        None => d,
    };
    d.with_hint(match kind {
        "postcondition" => "the object was created or updated, then failed the check: forge kept it in state; fix the condition or the configuration and apply again",
        _ if owner.starts_with("output ") => "fix the configuration (or the condition) and plan again",
        _ => "nothing was done for this resource and the resources that depend on it; fix the configuration (or the condition) and plan again",
    })
}

/// The resource values a postcondition sees: `self` is the resource's own
/// attributes, every other name as usual.
struct WithSelf<'a> {
    inner: &'a dyn ResourceValues,
    me: &'a Value,
}

impl ResourceValues for WithSelf<'_> {
    fn resource(&self, name: &str) -> Option<Value> {
        if name == "self" {
            return Some(self.me.clone());
        }
        self.inner.resource(name)
    }
}

impl Stack {
    /// Checks one condition of `instance` (`None` for an output's) against
    /// `resources`; `self_attrs` are the object's attributes, for a
    /// postcondition. `kind` (`precondition` / `postcondition`) and
    /// `owner` (an address, `output `x``) name it in the error.
    pub fn check_condition(
        &self,
        c: &Condition,
        (kind, owner): (&str, &str),
        instance: Option<&Instance>,
        resources: &dyn ResourceValues,
        self_attrs: Option<&Attrs>,
    ) -> Checked {
        let me = self_attrs.map(|a| Value::Map(a.clone()));
        let with_self;
        let resources: &dyn ResourceValues = match &me {
            Some(me) => {
                with_self = WithSelf {
                    inner: resources,
                    me,
                };
                &with_self
            }
            None => resources,
        };
        let (each, at) = instance.map_or((None, ("", self.region.as_str())), |i| {
            (i.each.as_ref(), (i.module.as_str(), i.region.as_str()))
        });
        let source = match &c.condition {
            Config::Template { source, .. } => Some(source.as_str()),
            _ => None,
        };
        let fail = |message: String| {
            let text = format!("{kind} of {owner}: {message}");
            let d = match &c.pos {
                Some(p) => Diagnostic::at(SourcePos::from(p), text),
                None => Diagnostic::general(text),
            };
            Checked::Failed(match source {
                Some(s) => d.with_snippet(s),
                None => d,
            })
        };
        match self.evaluate_in(&c.condition, each, at, resources) {
            Err(d) => {
                let message =
                    d.0.first()
                        .map_or_else(|| "the condition failed".into(), |d| d.message.clone());
                fail(message)
            }
            Ok(v) => match v.unmarked() {
                Value::Bool(true) => Checked::Passed,
                Value::Unknown => Checked::Unknown,
                Value::Bool(false) => {
                    let message = match self.evaluate_in(&c.error_message, each, at, resources) {
                        Ok(Value::String(m)) => m,
                        Ok(Value::Sensitive(_)) => {
                            "(the error message is hidden: it reads a sensitive value)".into()
                        }
                        Ok(Value::Unknown) => "(the error message is not known yet)".into(),
                        Ok(other) => other.to_string(),
                        Err(d) => d.to_string(),
                    };
                    Checked::Failed(condition_failed(
                        kind,
                        owner,
                        &message,
                        c.pos.as_ref(),
                        source,
                    ))
                }
                other => fail(format!(
                    "the condition must be true or false, got {}",
                    other.type_name()
                )),
            },
        }
    }
}
