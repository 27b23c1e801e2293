//! The `--json` event stream of `forge apply` and `forge destroy` (and of
//! run-all): one JSON object a line, for CI systems and log pipelines
//! that follow an apply by machine (schema: docs/ci.md).
//!
//! Every line has a `type` and an RFC 3339 `timestamp`; resource events
//! carry the `address` and the plan's `action`; run-all adds the `stack`
//! and `environment` of the unit. No value of a resource or a variable is
//! ever written, and error texts (which come from the cloud and might echo
//! a request) have every sensitive string of the plan masked, so the stream
//! can be kept as a build log.

use chrono::{DateTime, SecondsFormat, Utc};
use forge_core::Value;
use forge_core::spec::Config;
use forge_engine::{ApplyReport, ChangeAction, Event, Operation, Plan};
use serde_json::{Map, Value as Json, json};

/// The shortest sensitive string masked in error texts: masking every
/// occurrence of a one- or two-character secret would garble the message
/// (and such a secret is no secret).
const MIN_MASKED: usize = 4;

/// Writes events as JSON lines: knows the unit (for run-all), the secrets
/// to mask, and the clock (fixed in tests).
#[derive(Clone)]
pub struct EventStream {
    stack: Option<String>,
    environment: Option<String>,
    secrets: Vec<String>,
    clock: fn() -> DateTime<Utc>,
}

impl Default for EventStream {
    fn default() -> Self {
        EventStream {
            stack: None,
            environment: None,
            secrets: Vec::new(),
            clock: Utc::now,
        }
    }
}

impl EventStream {
    /// A stream for one stack's apply (no unit fields).
    pub fn new() -> Self {
        Self::default()
    }

    /// Tags every line with the run-all unit it belongs to.
    pub fn for_unit(mut self, stack: &str, environment: Option<&str>) -> Self {
        self.stack = Some(stack.to_string());
        self.environment = environment.map(str::to_string);
        self
    }

    /// Masks the sensitive strings of `plan` (its variables, literals,
    /// attributes and outputs) in the error texts written from now on.
    pub fn masking(mut self, plan: &Plan) -> Self {
        let mut found = Vec::new();
        for v in plan.config.vars.values() {
            secrets_of(v, false, &mut found);
        }
        for i in &plan.config.instances {
            for c in i.fields.values() {
                config_secrets(c, &mut found);
            }
        }
        for c in &plan.changes {
            for attrs in [&c.before, &c.after].into_iter().flatten() {
                for v in attrs.values() {
                    secrets_of(v, false, &mut found);
                }
            }
        }
        for o in &plan.output_changes {
            for v in [&o.before, &o.after].into_iter().flatten() {
                secrets_of(v, o.sensitive, &mut found);
            }
        }
        found.retain(|s| s.chars().count() >= MIN_MASKED);
        // Longest first, so a secret containing another is masked whole.
        found.sort_by_key(|s| std::cmp::Reverse(s.len()));
        found.dedup();
        self.secrets.extend(found);
        self
    }

    /// Uses `clock` for the timestamps (tests pin them).
    pub fn with_clock(mut self, clock: fn() -> DateTime<Utc>) -> Self {
        self.clock = clock;
        self
    }

    /// `text` with every known sensitive string replaced by `(sensitive)`.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "(sensitive)");
            }
        }
        out
    }

    /// The line of an engine event.
    pub fn event(&self, e: &Event) -> String {
        let (kind, fields) = match e {
            Event::Started {
                address,
                action,
                operation,
            } => (
                "started",
                json!({"address": address.to_string(), "action": action.as_str(),
                       "operation": operation_str(*operation)}),
            ),
            Event::Waiting {
                address,
                status,
                elapsed,
            } => (
                "waiting",
                json!({"address": address.to_string(), "status": self.mask(status),
                       "elapsed_ms": millis(*elapsed)}),
            ),
            Event::Interrupted {
                address,
                action,
                status,
                elapsed,
            } => (
                "interrupted",
                json!({"address": address.to_string(), "action": action.as_str(),
                       "status": self.mask(status), "elapsed_ms": millis(*elapsed)}),
            ),
            Event::Retrying {
                address,
                attempt,
                error,
                delay,
            } => (
                "retrying",
                json!({"address": address.to_string(), "attempt": attempt,
                       "error": self.mask(error), "delay_ms": millis(*delay)}),
            ),
            Event::Finished {
                address,
                action,
                operation,
                elapsed,
            } => (
                "finished",
                json!({"address": address.to_string(), "action": action.as_str(),
                       "operation": operation_str(*operation), "elapsed_ms": millis(*elapsed)}),
            ),
            Event::Failed {
                address,
                action,
                error,
            } => (
                "failed",
                json!({"address": address.to_string(), "action": action.as_str(),
                       "error": self.mask(error)}),
            ),
            Event::Skipped {
                address,
                action,
                reason,
            } => (
                "skipped",
                json!({"address": address.to_string(), "action": action.as_str(),
                       "reason": self.mask(reason)}),
            ),
        };
        self.line(kind, fields)
    }

    /// The line that opens an apply: what the plan will do.
    pub fn planned(&self, plan: &Plan) -> String {
        let s = plan.summary();
        self.line(
            "planned",
            json!({"operation": if plan.destroy { "destroy" } else { "apply" },
                   "add": s.add, "change": s.change, "destroy": s.destroy,
                   "import": s.import, "forget": s.forget}),
        )
    }

    /// The line that ends an apply: counts, success, and the outputs
    /// (sensitive ones as `"(sensitive)"`).
    pub fn summary(&self, report: &ApplyReport) -> String {
        let count = |a: ChangeAction| report.succeeded.iter().filter(|(_, x)| *x == a).count();
        let outputs: Map<String, Json> = report
            .outputs
            .iter()
            .map(|(name, o)| {
                let v = if o.sensitive {
                    Json::String("(sensitive)".into())
                } else {
                    o.value.clone()
                };
                (name.clone(), v)
            })
            .collect();
        self.line(
            "summary",
            json!({
                "operation": if report.destroy { "destroy" } else { "apply" },
                "success": report.is_success(),
                "succeeded": report.succeeded.len(),
                "failed": report.failed.len(),
                "skipped": report.skipped.len(),
                "interrupted": report.interrupted.len(),
                "created": count(ChangeAction::Create),
                "updated": count(ChangeAction::Update),
                "replaced": count(ChangeAction::Replace),
                "deleted": count(ChangeAction::Delete),
                "state_error": report.state_error.as_deref().map(|e| self.mask(e)),
                "elapsed_ms": millis(report.elapsed),
                "outputs": outputs,
            }),
        )
    }

    /// A line of another `type` (run-all's unit events, a command's
    /// error): `fields` is a JSON object.
    pub fn line(&self, kind: &str, fields: Json) -> String {
        let mut object = Map::new();
        object.insert("type".into(), kind.into());
        object.insert(
            "timestamp".into(),
            (self.clock)()
                .to_rfc3339_opts(SecondsFormat::Millis, true)
                .into(),
        );
        if let Some(stack) = &self.stack {
            object.insert("stack".into(), stack.clone().into());
            object.insert("environment".into(), self.environment.clone().into());
        }
        if let Json::Object(fields) = fields {
            object.extend(fields);
        }
        Json::Object(object).to_string()
    }
}

fn operation_str(op: Operation) -> &'static str {
    match op {
        Operation::Create => "create",
        Operation::Update => "update",
        Operation::Delete => "delete",
        Operation::Adopt => "adopt",
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Collects the strings under a sensitive mark (or all of `v`'s when
/// `inside` already is).
fn secrets_of(v: &Value, inside: bool, out: &mut Vec<String>) {
    match v {
        Value::String(s) if inside => out.push(s.clone()),
        Value::Number(n) if inside => out.push(n.to_string()),
        Value::List(items) => items.iter().for_each(|i| secrets_of(i, inside, out)),
        Value::Map(map) => map.values().for_each(|i| secrets_of(i, inside, out)),
        Value::Sensitive(inner) => secrets_of(inner, true, out),
        _ => {}
    }
}

fn config_secrets(c: &Config, out: &mut Vec<String>) {
    match c {
        Config::Literal(v) => secrets_of(v, false, out),
        Config::Template { .. } => {}
        Config::List(items) => items.iter().for_each(|i| config_secrets(i, out)),
        Config::Map(map) => map.values().for_each(|i| config_secrets(i, out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::Address;
    use std::time::Duration;

    fn fixed() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn an_event_is_one_line_with_its_type_first() {
        let stream = EventStream::new()
            .for_unit("network", Some("dev"))
            .with_clock(fixed);
        let line = stream.event(&Event::Finished {
            address: Address::single("vpc"),
            action: ChangeAction::Create,
            operation: Operation::Create,
            elapsed: Duration::from_millis(1500),
        });
        assert_eq!(
            line,
            r#"{"type":"finished","timestamp":"2023-11-14T22:13:20.000Z","stack":"network","environment":"dev","address":"vpc","action":"create","operation":"create","elapsed_ms":1500}"#
        );
    }

    #[test]
    fn errors_have_secrets_masked() {
        let mut stream = EventStream::new();
        stream.secrets = vec!["hunter2-long".into(), "hunter2".into()];
        assert_eq!(
            stream.mask("bad password hunter2-long (was hunter2)"),
            "bad password (sensitive) (was (sensitive))"
        );
    }

    #[test]
    fn secrets_are_found_under_marks_only() {
        let mut out = Vec::new();
        let v = Value::Map(
            [
                ("a".to_string(), Value::from("plain")),
                (
                    "b".to_string(),
                    Value::List(vec![Value::from("s3cret")]).sensitive(),
                ),
            ]
            .into(),
        );
        secrets_of(&v, false, &mut out);
        assert_eq!(out, ["s3cret"]);
    }
}
