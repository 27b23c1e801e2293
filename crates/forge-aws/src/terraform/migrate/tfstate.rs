//! Terraform state, format version 4 (what Terraform 0.12 and later
//! write): read and checked, never written. Only what the migration needs
//! is kept: managed and data resources with their module path, type, name
//! and instances (index key, attributes, sensitive attribute paths).

use serde::Deserialize;
use serde_json::{Map, Value as Json};

/// Why a Terraform state could not be read. Nothing is written when any
/// of these happens.
#[derive(Debug, thiserror::Error)]
pub enum TfStateError {
    /// Not JSON (garbage, or cut short).
    #[error(
        "{source_name}:{line}:{column}: not a Terraform state: {message}\n  hint: a state file cut short (a failed copy or download) or another file; `terraform state pull > terraform.tfstate` writes a complete one"
    )]
    NotJson {
        /// Where it was read from.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// Another format version.
    #[error(
        "{source_name}: Terraform state format version {found}; forge reads version 4 (Terraform 0.12 and later)\n  hint: run `terraform init` and `terraform refresh` with Terraform 0.12 or later once to upgrade the state, then migrate"
    )]
    Version {
        /// Where it was read from.
        source_name: String,
        /// The `version` found (`(none)` if missing).
        found: String,
    },
    /// JSON, version 4, but not shaped as a state.
    #[error("{source_name}: not a Terraform state: {message}")]
    Shape {
        /// Where it was read from.
        source_name: String,
        /// What is wrong.
        message: String,
    },
}

/// A Terraform state (version 4).
#[derive(Debug, Clone, Deserialize)]
pub struct TfState {
    /// The Terraform release that wrote it.
    #[serde(default)]
    pub terraform_version: String,
    /// Its serial.
    #[serde(default)]
    pub serial: u64,
    /// Its lineage.
    #[serde(default)]
    pub lineage: String,
    /// Its resources.
    #[serde(default)]
    pub resources: Vec<TfResource>,
}

/// One resource block of a state (all its instances).
#[derive(Debug, Clone, Deserialize)]
pub struct TfResource {
    /// `module.vpc` or `module.app.module.db` (absent: the root module).
    #[serde(default)]
    pub module: Option<String>,
    /// `managed` or `data`.
    pub mode: String,
    /// `aws_vpc`, ...
    #[serde(rename = "type")]
    pub tf_type: String,
    /// The resource's name in its module.
    pub name: String,
    /// `provider["registry.terraform.io/hashicorp/aws"]` (or an alias).
    #[serde(default)]
    pub provider: String,
    /// Its instances.
    #[serde(default)]
    pub instances: Vec<TfInstance>,
}

/// One instance of a resource.
#[derive(Debug, Clone, Deserialize)]
pub struct TfInstance {
    /// `count` index or `for_each` key.
    #[serde(default)]
    pub index_key: Option<Json>,
    /// Set for an old object of a create-before-destroy replacement.
    #[serde(default)]
    pub deposed: Option<String>,
    /// The attributes as the provider recorded them.
    #[serde(default)]
    pub attributes: Map<String, Json>,
    /// Paths of sensitive attributes: lists of steps
    /// (`{"type": "get_attr", "value": "password"}`).
    #[serde(default)]
    pub sensitive_attributes: Vec<Json>,
}

impl TfResource {
    /// `module.vpc.aws_subnet.private` (without instance key).
    pub fn address(&self) -> String {
        let mode = if self.mode == "data" { "data." } else { "" };
        match &self.module {
            Some(m) => format!("{m}.{mode}{}.{}", self.tf_type, self.name),
            None => format!("{mode}{}.{}", self.tf_type, self.name),
        }
    }
}

impl TfInstance {
    /// The top-level attribute names Terraform marks sensitive.
    pub fn sensitive_top_level(&self) -> Vec<String> {
        self.sensitive_attributes
            .iter()
            .filter_map(|path| {
                let first = path.as_array()?.first()?;
                match first {
                    Json::Object(step) => step.get("value")?.as_str().map(str::to_string),
                    Json::String(s) => Some(s.clone()),
                    _ => None,
                }
            })
            .collect()
    }
}

/// Reads a state's text; `source_name` names it in errors.
pub fn parse(text: &str, source_name: &str) -> Result<TfState, TfStateError> {
    let raw: Json = serde_json::from_str(text).map_err(|e| TfStateError::NotJson {
        source_name: source_name.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Json::Object(object) = &raw else {
        return Err(TfStateError::Shape {
            source_name: source_name.to_string(),
            message: format!("expected a JSON object, found {}", kind_of(&raw)),
        });
    };
    let version = object.get("version");
    if version.and_then(Json::as_u64) != Some(4) {
        return Err(TfStateError::Version {
            source_name: source_name.to_string(),
            found: version.map_or("(none)".into(), ToString::to_string),
        });
    }
    serde_json::from_value(raw).map_err(|e| TfStateError::Shape {
        source_name: source_name.to_string(),
        message: e.to_string(),
    })
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncated_states_say_where() {
        let err = parse("{\"version\": 4,\n \"resources\": [", "t.tfstate").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("t.tfstate:2:"), "{text}");
        assert!(text.contains("cut short"), "{text}");
        assert!(matches!(
            parse("PK\u{3}\u{4}garbage", "x").unwrap_err(),
            TfStateError::NotJson { line: 1, .. }
        ));
    }

    #[test]
    fn version_3_is_refused_with_a_hint() {
        let err = parse(r#"{"version": 3, "modules": []}"#, "old.tfstate").unwrap_err();
        assert!(matches!(&err, TfStateError::Version { found, .. } if found == "3"));
        assert!(err.to_string().contains("0.12"), "{err}");
    }

    #[test]
    fn a_state_reads_with_modules_and_keys() {
        let state = parse(
            r#"{"version": 4, "terraform_version": "1.6.3", "serial": 2, "lineage": "l",
                "resources": [{"module": "module.vpc", "mode": "managed", "type": "aws_subnet",
                  "name": "private", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                  "instances": [{"index_key": 0, "schema_version": 1,
                    "attributes": {"id": "subnet-1"},
                    "sensitive_attributes": [[{"type": "get_attr", "value": "secret"}]]}]}]}"#,
            "s",
        )
        .unwrap();
        let r = &state.resources[0];
        assert_eq!(r.address(), "module.vpc.aws_subnet.private");
        assert_eq!(r.instances[0].index_key, Some(serde_json::json!(0)));
        assert_eq!(r.instances[0].sensitive_top_level(), ["secret"]);
    }
}
