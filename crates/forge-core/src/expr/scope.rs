//! The names an expression can see.

use super::error::{ExprError, ExprErrorKind};
use super::functions::files::Files;
use crate::spec::model::{EachBinding, ResourceValues};
use crate::value::Value;
use std::collections::BTreeMap;

/// Names that are always in scope (besides resources). Resources may not
/// use them, nor `local`, `locals` and `self` (reserved for later use).
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
    /// Other stacks' outputs (`dependency.NAME.outputs.X`), by dependency
    /// name; `None` where the stack declares none.
    pub dependency: Option<&'a BTreeMap<String, Value>>,
}

impl Scope<'_> {
    /// The value of a root name, and whether it is a resource (resources
    /// read absent attributes as null rather than failing).
    pub(crate) fn root(&self, name: &str) -> Result<(Value, bool), ExprError> {
        let v = match name {
            "vars" | "var" => Value::Map(self.vars.clone()),
            "env" => Value::string(self.env),
            "stack" => Value::string(self.stack),
            "dependency" => Value::Map(self.dependency.cloned().unwrap_or_default()),
            "region" => Value::string(self.region),
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
