//! After the data sources are read: a reference to a key that a data
//! source's map attribute does not have (`${data.net.outputs.vpc_idd}`,
//! another stack's output it does not record) is an error at the
//! reference, with the keys it has and a did-you-mean.
//!
//! A first load cannot tell (the keys are known only once read; a load
//! made with what was read checks them as it goes), and evaluation would
//! not: absent attributes of resources and data sources
//! read as null, so the mistake would reach the plan as an empty field.

use super::model::{Config, Stack};
use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::expr::{RefOp, Reference, analyze, did_you_mean, parse};
use crate::value::Value;
use hcl::expr::Expression;

impl Stack {
    /// The references of the stack's fields, data sources, locals and
    /// outputs (its modules' too, against their own data sources) to a key
    /// a data source's map attribute does not have, as positioned errors
    /// (none when nothing was read).
    pub fn check_data_keys(&self) -> Diagnostics {
        let mut out = Diagnostics::default();
        if self.data_values.is_empty() {
            return out;
        }
        let instances = self
            .instances
            .iter()
            .chain(&self.data)
            .flat_map(|i| i.fields.values().map(move |c| (i.module.as_str(), c)));
        let stack = self
            .locals
            .values()
            .chain(self.outputs.iter().map(|o| &o.value))
            .map(|c| ("", c));
        let modules = self.modules.iter().flat_map(|(path, m)| {
            m.locals
                .values()
                .chain(m.outputs.iter().map(|o| &o.value))
                .map(move |c| (path.as_str(), c))
        });
        for (module, config) in instances.chain(stack).chain(modules) {
            // What `data.NAME` reads where the config is written: the
            // stack's own data sources, or its module instance's.
            let read = |name: &str| match module {
                "" => self.data_values.get(name),
                path => self.data_values.get(&format!("{path}.data.{name}")),
            };
            check_config(&read, config, &mut out);
        }
        out.sort();
        out.0.dedup();
        out
    }
}

fn check_config<'v>(
    read: &dyn Fn(&str) -> Option<&'v Value>,
    config: &Config,
    out: &mut Diagnostics,
) {
    match config {
        Config::Literal(_) => {}
        Config::List(items) => items.iter().for_each(|c| check_config(read, c, out)),
        Config::Map(map) => map.values().for_each(|c| check_config(read, c, out)),
        Config::Template { source, pos } => {
            let Ok(parsed) = parse(source) else { return };
            for r in analyze(&parsed).refs.iter().filter(|r| r.root == "data") {
                if let Some((message, hint)) = missing_key(read, r) {
                    out.push(Diagnostic {
                        pos: pos.as_ref().map(SourcePos::from),
                        message,
                        snippet: Some(source.clone()),
                        hint: Some(hint),
                    });
                }
            }
        }
    }
}

/// `data.NAME[KEY]?.ATTR.MISSING` (or `["MISSING"]`) when ATTR is a map
/// `read(NAME)` has without MISSING: the error and its hint. Shared by the
/// check after reading and by a load made with what was read (where such
/// references are plain values).
pub(crate) fn missing_key<'v>(
    read: &dyn Fn(&str) -> Option<&'v Value>,
    r: &Reference,
) -> Option<(String, String)> {
    let Some(RefOp::Attr(name)) = r.ops.first() else {
        return None;
    };
    let mut value = read(name)?.unmarked();
    let mut shown = format!("data.{name}");
    let mut rest = &r.ops[1..];
    // An instance of a `count` / `for_each` data source, by a literal.
    if let (Some(RefOp::Index(index)), Value::List(_) | Value::Map(_)) = (rest.first(), &value) {
        let key = match index {
            Expression::Number(n) => n.to_string(),
            Expression::String(s) => s.clone(),
            _ => return None,
        };
        value = match &value {
            Value::List(items) => items.get(key.parse::<usize>().ok()?)?.unmarked(),
            Value::Map(m) => m.get(&key)?.unmarked(),
            _ => return None,
        };
        shown.push_str(&format!("[{}]", literal(index)));
        rest = &rest[1..];
    }
    let (Some(RefOp::Attr(attr)), Some(op)) = (rest.first(), rest.get(1)) else {
        return None;
    };
    let key = match op {
        RefOp::Attr(k) => k.clone(),
        RefOp::Index(Expression::String(k)) => k.clone(),
        _ => return None,
    };
    let Value::Map(keys) = value.get(attr)?.unmarked() else {
        return None;
    };
    if keys.contains_key(&key) {
        return None;
    }
    let what = if attr == "outputs" { "output" } else { "key" };
    let names: Vec<&str> = keys.keys().map(String::as_str).collect();
    let hint = match did_you_mean(&key, names.iter().copied()) {
        Some(s) => format!(
            "did you mean `{s}`? ({shown}.{attr} has: {})",
            names.join(", ")
        ),
        None if names.is_empty() => format!("{shown}.{attr} is empty"),
        None => format!("{shown}.{attr} has: {}", names.join(", ")),
    };
    Some((format!("{shown} has no {what} `{key}`"), hint))
}

/// An index as written: `0`, `"a"`.
fn literal(index: &Expression) -> String {
    match index {
        Expression::String(s) => format!("{s:?}"),
        Expression::Number(n) => n.to_string(),
        _ => "...".into(),
    }
}
