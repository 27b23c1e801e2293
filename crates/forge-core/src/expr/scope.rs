//! The names an expression can see.

use super::error::{ExprError, ExprErrorKind};
use super::functions::files::Files;
use crate::spec::model::{EachBinding, ResourceValues};
use crate::value::Value;
use std::collections::BTreeMap;

/// Names that are always in scope (besides resources and locals).
/// Resources may not use them, nor `local`, `locals` and `self`.
pub const SCOPE_NAMES: &[&str] = &[
    "vars",
    "var",
    "env",
    "stack",
    "region",
    "each",
    "count",
    "dependency",
];

/// What `${ ... }` can read while being evaluated.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// Resolved variables: `vars.X` / `var.X`.
    pub vars: &'a BTreeMap<String, Value>,
    /// The environment's name (`env`); "" when none was chosen.
    pub env: &'a str,
    /// The stack's name (`stack`).
    pub stack: &'a str,
    /// The region (`region`): the instance's when evaluating an instance.
    pub region: &'a str,
    /// `each.key` / `each.value` or `count.index` of the instance.
    pub each: Option<&'a EachBinding>,
    /// Resource values; `None` at load time, where referencing a resource
    /// is an error.
    pub resources: Option<&'a dyn ResourceValues>,
    /// Where file functions (`file`, `templatefile`, ...) read: the folder
    /// of the spec file holding the expression; `None` where there is no
    /// spec file, and file functions are errors.
    pub files: Option<Files<'a>>,
    /// The stack's `locals:` (`local.X`, also spelled `locals.X`); `None`
    /// where there are none in scope.
    pub locals: Option<&'a dyn LocalValues>,
    /// Other stacks' outputs (`dependency.NAME.outputs.X`), by dependency
    /// name; `None` where the stack declares none.
    pub dependency: Option<&'a BTreeMap<String, Value>>,
    /// What the data sources read (`data.NAME`), when the stack is loaded
    /// again after reading them so that `count` / `for_each` can use them
    /// (see [`crate::spec::DataPass`]); `None` otherwise, where `data` is
    /// one of the resources' values (the engine's) or not known at load.
    pub data: Option<&'a BTreeMap<String, Value>>,
}

/// What `local.X` reads: load-time values while loading, the stack's
/// local expressions evaluated against resource values in the engine.
pub trait LocalValues {
    /// The value of local `name`, or `None` if the stack has no such local.
    fn local(&self, name: &str) -> Option<Result<Value, ExprError>>;
    /// Every local's name, sorted (for `local` as a whole and for hints).
    fn names(&self) -> Vec<String>;
}

/// Whether `name` is the root of a local reference (`local.x`, or
/// `locals.x` as the key is spelled).
pub fn is_local_root(name: &str) -> bool {
    matches!(name, "local" | "locals")
}

impl Scope<'_> {
    /// Like [`Scope::root`], but for `local.X` (`attr` = `X`) evaluates
    /// only that local: a map holding it alone, so one local's error or
    /// cost never reaches an expression that does not read it.
    pub(crate) fn root_for(
        &self,
        name: &str,
        attr: Option<&str>,
    ) -> Result<(Value, bool), ExprError> {
        if name == "data"
            && let Some(read) = self.data
        {
            return data_root(read, attr);
        }
        if !is_local_root(name) {
            return self.root(name);
        }
        let names = match attr {
            Some(a) => vec![a.to_string()],
            None => self.locals.map(|l| l.names()).unwrap_or_default(),
        };
        let mut out = BTreeMap::new();
        for n in names {
            out.insert(n.clone(), self.local(&n)?);
        }
        Ok((Value::Map(out), false))
    }

    fn local(&self, name: &str) -> Result<Value, ExprError> {
        let found = self.locals.and_then(|l| l.local(name));
        match found {
            Some(v) => v,
            None => {
                let names = self.locals.map(|l| l.names()).unwrap_or_default();
                let hint = crate::expr::did_you_mean(name, names.iter().map(String::as_str))
                    .map_or_else(
                        || "declare it under `locals:`".to_string(),
                        |s| format!("did you mean `local.{s}`?"),
                    );
                Err(ExprError::new(
                    ExprErrorKind::Undefined,
                    format!("undefined local `{name}`"),
                )
                .with_hint(hint))
            }
        }
    }

    /// The value of a root name, and whether it is a resource (resources
    /// read absent attributes as null rather than failing).
    pub(crate) fn root(&self, name: &str) -> Result<(Value, bool), ExprError> {
        let v = match name {
            "vars" | "var" => Value::Map(self.vars.clone()),
            "env" => Value::string(self.env),
            "stack" => Value::string(self.stack),
            "dependency" => Value::Map(self.dependency.cloned().unwrap_or_default()),
            "data" if self.data.is_some() => {
                return data_root(self.data.unwrap_or(&BTreeMap::new()), None);
            }
            "region" => Value::string(self.region),
            "local" | "locals" => return self.root_for(name, None),
            "each" => match self.each {
                Some(EachBinding::Each { key, value }) => Value::Map(BTreeMap::from([
                    ("key".to_string(), Value::string(key.clone())),
                    ("value".to_string(), value.clone()),
                ])),
                _ => {
                    return Err(ExprError::new(
                        ExprErrorKind::Undefined,
                        "`each` is only available in a resource that uses `for_each`",
                    ));
                }
            },
            "count" => match self.each {
                Some(EachBinding::Count(i)) => Value::Map(BTreeMap::from([(
                    "index".to_string(),
                    Value::int(*i as i64),
                )])),
                _ => {
                    return Err(ExprError::new(
                        ExprErrorKind::Undefined,
                        "`count.index` is only available in a resource that uses `count`",
                    ));
                }
            },
            other => {
                return match self.resources {
                    Some(r) => Ok((r.resource(other).unwrap_or(Value::Unknown), true)),
                    None => Err(ExprError::new(
                        ExprErrorKind::NotKnownAtLoad,
                        format!(
                            "`{other}` cannot be used here: only vars, env, stack and region are known when the stack is loaded"
                        ),
                    )),
                };
            }
        };
        Ok((v, false))
    }
}

/// `data` while the stack is loaded again with what its data sources read:
/// `data.NAME` of one that was read is known, like a var; one read only
/// during apply (or not yet) is not known at load, so what reads it stays
/// an expression the engine evaluates.
fn data_root(
    read: &BTreeMap<String, Value>,
    attr: Option<&str>,
) -> Result<(Value, bool), ExprError> {
    let not_read = |what: String| {
        Err(ExprError::new(
            ExprErrorKind::NotKnownAtLoad,
            format!("{what} is not known when the stack is loaded: it is read during apply"),
        ))
    };
    match attr {
        Some(name) => match read.get(name) {
            Some(v) => Ok((
                Value::Map(BTreeMap::from([(name.to_string(), v.clone())])),
                // As in the engine, where data sources read like
                // resources: an attribute the lookup did not return is null.
                true,
            )),
            None => not_read(format!("`data.{name}`")),
        },
        None => not_read("`data` as a whole".to_string()),
    }
}
