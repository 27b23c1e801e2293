//! Sealing saved plans: a plan file carries a marker that identifies it as
//! a forge plan, a digest of its own content, and a [`SpecStamp`] (where
//! the spec was loaded from, with which inputs, and a digest of the files
//! and variable values that went into it).
//!
//! Loading a plan file checks the content digest, so an edited file (an
//! action turned from `no_op` into `delete`, another environment written
//! into the header) is refused; `forge apply FILE` loads the spec again
//! from the stamp and compares its digest, so a plan is never applied over
//! a spec that changed since it was made. The digests are SHA-256 and not
//! keyed: they catch edits and stale plans, not a forger who also rewrites
//! the digest — the apply re-derives every action for that (see
//! [`super::verify`]).

use super::json::sort_keys;
use forge_core::Value;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The value of a plan file's `format` key: what makes a file a forge plan.
pub const PLAN_FILE_MARKER: &str = "forge-plan";

/// How the spec of a plan was loaded: enough to load it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecInputs {
    /// The stack (a folder or one file), absolute.
    pub path: PathBuf,
    /// `-e`.
    #[serde(default)]
    pub environment: Option<String>,
    /// `--var name=value`, in the order given; the value of a sensitive
    /// var is its hash ([`var_hash`]), named in `hashed_vars`.
    #[serde(default)]
    pub vars: Vec<(String, String)>,
    /// The `vars` whose values are hashes: sensitive vars, whose values
    /// `forge apply FILE` takes from its own `--var` (or the other
    /// sources) and checks against the plan's.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub hashed_vars: BTreeSet<String>,
    /// `--var-file`, absolute, in the order given.
    #[serde(default)]
    pub var_files: Vec<PathBuf>,
    /// `--region`.
    #[serde(default)]
    pub region: Option<String>,
}

/// The form a sensitive `--var` value is kept in: `sha256:<hex>`.
pub fn var_hash(value: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(value.as_bytes())))
}

impl SpecInputs {
    /// Replaces the values of the `--var`s that `sensitive` names by their
    /// hashes, so a saved plan never holds them.
    pub fn hash_vars(&mut self, sensitive: impl Fn(&str) -> bool) {
        for (name, value) in &mut self.vars {
            if sensitive(name) && !self.hashed_vars.contains(name) {
                *value = var_hash(value);
                self.hashed_vars.insert(name.clone());
            }
        }
    }

    /// Whether `given` (`--var`s of `forge apply FILE`) only repeats
    /// these: every var given was given when planning, with the same value
    /// (plain values equal, hashed ones matching their hash). Vars not
    /// given again keep the plan's (a sensitive one then comes from the
    /// other sources).
    pub fn same_vars(&self, given: &[(String, String)]) -> bool {
        given.iter().all(|(gn, gv)| {
            self.vars
                .iter()
                .rev()
                .find(|(n, _)| n == gn)
                .is_some_and(|(n, v)| {
                    if self.hashed_vars.contains(n) {
                        &var_hash(gv) == v
                    } else {
                        gv == v
                    }
                })
        })
    }
}

/// The spec a plan was made from: its inputs and their digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecStamp {
    /// How it was loaded.
    #[serde(flatten)]
    pub inputs: SpecInputs,
    /// `sha256:<hex>` of the inputs, every file read (spec files, includes
    /// and var files, by path, sorted) and the resolved variable values.
    pub digest: String,
}

impl SpecStamp {
    /// Stamps a spec loaded with `inputs`: `files` are the files it read
    /// (path and bytes, any order), `vars` the variable values loading
    /// resolved (defaults, environment, var files and `--var` applied).
    pub fn compute(
        inputs: SpecInputs,
        files: &[(PathBuf, Vec<u8>)],
        vars: &BTreeMap<String, Value>,
    ) -> SpecStamp {
        let mut h = Sha256::new();
        let mut feed = |tag: &str, bytes: &[u8]| {
            h.update(tag.as_bytes());
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        feed("forge spec digest", b"1");
        feed("inputs", &canonical_bytes(&inputs));
        let mut sorted: Vec<&(PathBuf, Vec<u8>)> = files.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        sorted.dedup_by(|a, b| a.0 == b.0);
        for (path, bytes) in sorted {
            feed("file", path.to_string_lossy().as_bytes());
            feed("bytes", bytes);
        }
        feed("vars", &canonical_bytes(vars));
        SpecStamp {
            inputs,
            digest: format!("sha256:{}", hex::encode(h.finalize())),
        }
    }
}

/// Compact JSON with sorted keys: the same value always gives the same
/// bytes.
fn canonical_bytes(value: &impl Serialize) -> Vec<u8> {
    let json = serde_json::to_value(value).unwrap_or(Json::Null);
    serde_json::to_vec(&sort_keys(json)).unwrap_or_default()
}

/// The content digest of a plan file's JSON object, without its `digest`
/// key: `sha256:<hex>` of the canonical (sorted, compact) JSON.
pub fn content_digest(object: &serde_json::Map<String, Json>) -> String {
    let mut without = object.clone();
    without.remove("digest");
    let bytes = canonical_bytes(&Json::Object(without));
    format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
}

/// Whether `text` is a saved plan: a JSON object carrying the plan marker,
/// or (written by an older forge, which loading then refuses with a clear
/// error) one with a plan's `format_version`, `changes` and `config`.
pub fn is_plan_text(text: &str) -> bool {
    let Ok(Json::Object(map)) = serde_json::from_str::<Json>(text) else {
        return false;
    };
    map.get("format").and_then(Json::as_str) == Some(PLAN_FILE_MARKER)
        || ["format_version", "changes", "config"]
            .iter()
            .all(|k| map.contains_key(*k))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn inputs() -> SpecInputs {
        SpecInputs {
            hashed_vars: BTreeSet::new(),
            path: PathBuf::from("/stacks/app"),
            environment: Some("dev".into()),
            vars: vec![("a".into(), "1".into())],
            var_files: Vec::new(),
            region: None,
        }
    }

    #[test]
    fn spec_digest_changes_with_any_input() {
        let files = vec![
            (PathBuf::from("/stacks/app/b.yaml"), b"b: 1".to_vec()),
            (PathBuf::from("/stacks/app/a.yaml"), b"a: 1".to_vec()),
        ];
        let vars = BTreeMap::from([("a".to_string(), Value::from("1"))]);
        let base = SpecStamp::compute(inputs(), &files, &vars);
        assert!(base.digest.starts_with("sha256:"));
        // The order files were read in does not matter.
        let mut reversed = files.clone();
        reversed.reverse();
        assert_eq!(SpecStamp::compute(inputs(), &reversed, &vars), base);

        let mut edited = files.clone();
        edited[0].1 = b"b: 2".to_vec();
        assert_ne!(
            SpecStamp::compute(inputs(), &edited, &vars).digest,
            base.digest
        );
        let mut added = files.clone();
        added.push((PathBuf::from("/stacks/common.yaml"), Vec::new()));
        assert_ne!(
            SpecStamp::compute(inputs(), &added, &vars).digest,
            base.digest
        );
        let other_vars = BTreeMap::from([("a".to_string(), Value::from("2"))]);
        assert_ne!(
            SpecStamp::compute(inputs(), &files, &other_vars).digest,
            base.digest
        );
        let mut prod = inputs();
        prod.environment = Some("prod".into());
        assert_ne!(SpecStamp::compute(prod, &files, &vars).digest, base.digest);
    }

    #[test]
    fn sensitive_var_values_are_kept_as_hashes() {
        let mut i = inputs();
        i.vars.push(("password".into(), "hunter2".into()));
        i.hash_vars(|n| n == "password");
        let text = serde_json::to_string(&i).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(i.vars[1].1, var_hash("hunter2"));
        // Hashing again changes nothing.
        let once = i.clone();
        i.hash_vars(|n| n == "password");
        assert_eq!(i, once);
        let given = |pw: &str| {
            vec![
                ("a".to_string(), "1".to_string()),
                ("password".into(), pw.into()),
            ]
        };
        assert!(i.same_vars(&given("hunter2")));
        assert!(!i.same_vars(&given("other")));
        assert!(i.same_vars(&given("hunter2")[1..]), "a subset");
        assert!(i.same_vars(&[]));
        assert!(
            !i.same_vars(&[("b".into(), "1".into())]),
            "a var not planned with"
        );
    }

    #[test]
    fn plan_text_is_recognized_by_content() {
        assert!(is_plan_text(r#"{"format": "forge-plan", "digest": "x"}"#));
        assert!(is_plan_text(
            r#"{"format_version": "1", "changes": [], "config": {}}"#
        ));
        assert!(!is_plan_text("stack: app\nregion: eu-west-1\n"));
        assert!(!is_plan_text(r#"{"stack": "app"}"#));
        assert!(!is_plan_text("[1, 2]"));
    }
}
