//! A real AWS account as the e2e tests' target (opt-in, like
//! terraform-provider-aws's `TF_ACC`): its region, the credentials forge
//! inherits, the run id that tags everything a run creates, and the kept
//! stack copies a cleanup destroys.
//!
//! Every stack a real run writes is prepared here: its `stack:` name gets a
//! random suffix (names derived from `${stack}` — buckets, load balancers,
//! secrets — are unique per run, so concurrent runs and AWS's name
//! reservations after deletion never collide) and its stack-level `tags:`
//! get the run tag, which forge puts on every resource. The copy is kept in
//! the run's directory with what it takes to destroy it (environment and
//! vars), so a cleanup works after a failed or killed test too.

use crate::emulator::repo_root;
use crate::error::HarnessError;
use crate::forge::{StackCopy, profile_dir};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `1` (or `true`): the real-account capable tests run against AWS;
/// `dry-run`: they only list what they would create (reads only).
pub const REAL_AWS_VAR: &str = "FORGE_TEST_REAL_AWS";
/// The region of a real run (else `AWS_REGION`); a real run refuses to
/// start without one, it never falls back to a profile's default.
pub const REGION_VAR: &str = "FORGE_TEST_REAL_AWS_REGION";
/// The run id to use (to share one across test binaries, or to clean up a
/// given run); generated once per process when unset.
pub const RUN_ID_VAR: &str = "FORGE_TEST_RUN_ID";
/// Where runs keep their stack copies (default `<target>/forge-real-aws`).
pub const RUN_DIR_VAR: &str = "FORGE_TEST_RUN_DIR";
/// The tag carrying the run id on every object a real run creates. Not in
/// the `forge:` namespace: forge keeps that for its ownership tags and
/// drops user tags written there.
pub const RUN_TAG: &str = "forge-test-run";
/// The file in a kept stack copy saying how to destroy it.
pub const RECORD_FILE: &str = "forge-test-run.json";

/// Where the e2e tests run, from `FORGE_TEST_REAL_AWS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The local emulator (unset, empty, `0`, `false`): the default.
    Emulator,
    /// A real AWS account (`1`, `true`).
    Real,
    /// List what a real run would create, with cost classes; no writes
    /// (`dry-run`).
    DryRun,
}

impl Mode {
    /// Parses the variable's value.
    pub fn parse(value: Option<&str>) -> Result<Mode, String> {
        match value.map(str::trim).unwrap_or("") {
            "" | "0" | "false" => Ok(Mode::Emulator),
            "1" | "true" => Ok(Mode::Real),
            "dry-run" => Ok(Mode::DryRun),
            other => Err(format!(
                "{REAL_AWS_VAR}={other:?}: expected 1 (a real account), dry-run, or 0 / unset (the emulator)"
            )),
        }
    }

    /// The mode of this process. Panics on a value it does not know: a
    /// typo must not silently run against the emulator, or the account.
    pub fn from_env() -> Mode {
        let value = std::env::var(REAL_AWS_VAR).ok();
        Mode::parse(value.as_deref()).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A run's identity: `forge-acc-<UTC yyyymmddHHMMSS>-<6 hex>`.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let id = std::env::var(RUN_ID_VAR)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(new_run_id);
        println!("real-account run id: {id} (clean up with {RUN_ID_VAR}={id})");
        id
    })
}

/// A fresh run id.
pub fn new_run_id() -> String {
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    format!("forge-acc-{stamp}-{}", random_hex(6))
}

/// `n` random lowercase hex digits (valid in every AWS name forge derives
/// from a stack name, S3 buckets included).
pub fn random_hex(n: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..n].to_string()
}

/// Where runs keep their stack copies: `$FORGE_TEST_RUN_DIR`, else
/// `<target>/forge-real-aws`.
pub fn runs_root() -> PathBuf {
    if let Some(dir) = std::env::var_os(RUN_DIR_VAR) {
        return PathBuf::from(dir);
    }
    profile_dir()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| repo_root().join("target"))
        .join("forge-real-aws")
}

/// A real AWS account: the region, and forge's environment for it.
#[derive(Debug, Clone)]
pub struct RealAccount {
    pub region: String,
    pub run_id: String,
}

impl RealAccount {
    /// From the environment: the region must be explicit
    /// (`FORGE_TEST_REAL_AWS_REGION` or `AWS_REGION`), and no endpoint
    /// override may be set (it would send the "real" run elsewhere).
    pub fn from_env() -> Result<RealAccount, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        RealAccount::from_vars(var(REGION_VAR), var("AWS_REGION"), var("AWS_ENDPOINT_URL"))
    }

    /// [`RealAccount::from_env`] from the variables' values.
    pub fn from_vars(
        test_region: Option<String>,
        aws_region: Option<String>,
        endpoint: Option<String>,
    ) -> Result<RealAccount, String> {
        if let Some(endpoint) = endpoint {
            return Err(format!(
                "{REAL_AWS_VAR} runs against AWS itself, but AWS_ENDPOINT_URL={endpoint} is set: unset it"
            ));
        }
        let region = test_region.or(aws_region).ok_or_else(|| {
            format!(
                "{REAL_AWS_VAR} needs an explicit region: set {REGION_VAR} (or AWS_REGION), e.g. {REGION_VAR}=us-east-1"
            )
        })?;
        Ok(RealAccount {
            region,
            run_id: run_id().to_string(),
        })
    }

    /// Environment for forge: the region, and the caller's credential
    /// variables the runner otherwise scrubs (profile, session token, role,
    /// web identity, container credentials), so forge finds the same
    /// credentials as the SDK's default chain in this process.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("AWS_REGION".to_string(), self.region.clone()),
            ("AWS_DEFAULT_REGION".to_string(), self.region.clone()),
        ];
        for var in crate::forge::SCRUBBED {
            if let Ok(value) = std::env::var(var) {
                env.push((var.to_string(), value));
            }
        }
        env
    }

    /// An SDK configuration from the default credential chain, for
    /// verification (three attempts, like the emulator's).
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
            .load()
            .await
    }

    /// This run's directory of kept stack copies.
    pub fn run_dir(&self) -> PathBuf {
        runs_root().join(&self.run_id)
    }
}

/// How to destroy a kept stack copy: written into it as [`RECORD_FILE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRecord {
    pub run_id: String,
    /// The stack's name after the per-run suffix.
    pub stack: String,
    pub env: Option<String>,
    /// `name=value` arguments of `--var`.
    pub vars: Vec<String>,
}

impl StackRecord {
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "run_id": self.run_id,
            "stack": self.stack,
            "env": self.env,
            "vars": self.vars,
        })
        .to_string()
    }

    pub fn from_json(text: &str) -> Option<StackRecord> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        Some(StackRecord {
            run_id: v["run_id"].as_str()?.to_string(),
            stack: v["stack"].as_str()?.to_string(),
            env: v["env"].as_str().map(str::to_string),
            vars: v["vars"]
                .as_array()?
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
        })
    }

    /// forge's arguments after the stack path: `-e ENV --var ...`.
    pub fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(env) = &self.env {
            args.extend(["-e".to_string(), env.clone()]);
        }
        for v in &self.vars {
            args.extend(["--var".to_string(), v.clone()]);
        }
        args
    }
}

/// Gives the stack in `copy` a name unique to the run and the run tag, and
/// records how to destroy it. Returns the new stack name.
pub fn prepare_stack(
    copy: &StackCopy,
    run_id: &str,
    env: Option<&str>,
    vars: &[&str],
) -> Result<String, HarnessError> {
    let invalid = |what: String| HarnessError::Io {
        what,
        source: std::io::Error::other("cannot prepare the stack for a real-account run"),
    };
    let file = copy
        .yaml_files()
        .into_iter()
        .find(|rel| {
            copy.read(rel)
                .is_ok_and(|t| t.lines().any(|l| l.starts_with("stack:")))
        })
        .ok_or_else(|| invalid(format!("{}: no `stack:` key", copy.path().display())))?;
    let text = copy.read(&file)?;
    let (text, stack) = rename_stack(&text, &random_hex(5))
        .ok_or_else(|| invalid(format!("{file}: `stack:` has no name")))?;
    copy.write(&file, &with_stack_tag(&text, RUN_TAG, run_id))?;
    let record = StackRecord {
        run_id: run_id.to_string(),
        stack: stack.clone(),
        env: env.map(str::to_string),
        vars: vars.iter().map(|v| v.to_string()).collect(),
    };
    copy.write(RECORD_FILE, &record.to_json())?;
    Ok(stack)
}

/// `text` with its top-level `stack: NAME` renamed `NAME-<suffix>`, and the
/// new name.
pub fn rename_stack(text: &str, suffix: &str) -> Option<(String, String)> {
    let mut name = None;
    let mut out = String::with_capacity(text.len() + suffix.len() + 1);
    for line in text.split_inclusive('\n') {
        if name.is_none()
            && let Some(value) = line.strip_prefix("stack:")
        {
            let value = value.split(" #").next()?.trim().trim_matches(['"', '\'']);
            if value.is_empty() {
                return None;
            }
            let new = format!("{value}-{suffix}");
            out.push_str(&format!("stack: {new}\n"));
            name = Some(new);
        } else {
            out.push_str(line);
        }
    }
    name.map(|n| (out, n))
}

/// `text` with `key: value` added to its top-level `tags:` map (which is
/// created if the file has none). The key goes first, so a stack's own
/// tag of the same key would win: none of the repository's does.
pub fn with_stack_tag(text: &str, key: &str, value: &str) -> String {
    let entry = |indent: &str| format!("{indent}{key}: \"{value}\"\n");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(at) = lines
        .iter()
        .position(|l| l.trim_end() == "tags:" || l.starts_with("tags: #"))
    else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\ntags:\n");
        out.push_str(&entry("  "));
        return out;
    };
    // The map's indentation, from its first entry (two spaces if empty).
    let indent: String = lines
        .get(at + 1)
        .filter(|l| l.starts_with(' '))
        .map(|l| l.chars().take_while(|c| *c == ' ').collect())
        .unwrap_or_else(|| "  ".to_string());
    let mut out = String::with_capacity(text.len() + 64);
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if i == at {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&entry(&indent));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(Mode::parse(None), Ok(Mode::Emulator));
        assert_eq!(Mode::parse(Some("0")), Ok(Mode::Emulator));
        assert_eq!(Mode::parse(Some("1")), Ok(Mode::Real));
        assert_eq!(Mode::parse(Some("dry-run")), Ok(Mode::DryRun));
        assert!(Mode::parse(Some("yes")).is_err());
    }

    #[test]
    fn the_region_is_explicit_and_no_endpoint_is_overridden() {
        let e = RealAccount::from_vars(None, None, None).unwrap_err();
        assert!(e.contains(REGION_VAR), "{e}");
        let e = RealAccount::from_vars(Some("eu-west-1".into()), None, Some("http://x".into()))
            .unwrap_err();
        assert!(e.contains("AWS_ENDPOINT_URL"), "{e}");
        let a = RealAccount::from_vars(Some("eu-west-1".into()), Some("us-east-1".into()), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.region, "eu-west-1");
        assert!(a.run_id.starts_with("forge-acc-"), "{}", a.run_id);
    }

    #[test]
    fn run_ids_differ() {
        let (a, b) = (new_run_id(), new_run_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), "forge-acc-20261204120000-abcdef".len(), "{a}");
    }

    #[test]
    fn renames_the_stack() {
        let (text, name) = rename_stack("# c\nstack: web # the app\nregion: x\n", "ab12c")
            .unwrap_or_else(|| panic!("renamed"));
        assert_eq!(name, "web-ab12c");
        assert_eq!(text, "# c\nstack: web-ab12c\nregion: x\n");
        assert!(rename_stack("region: x\n", "a").is_none());
    }

    #[test]
    fn adds_the_run_tag_to_the_stack_tags() {
        let text = "stack: s\ntags:\n    Project: p\nresources: {}\n";
        assert_eq!(
            with_stack_tag(text, RUN_TAG, "r-1"),
            "stack: s\ntags:\n    forge-test-run: \"r-1\"\n    Project: p\nresources: {}\n"
        );
        assert_eq!(
            with_stack_tag("stack: s", RUN_TAG, "r-1"),
            "stack: s\n\ntags:\n  forge-test-run: \"r-1\"\n"
        );
    }

    #[test]
    fn records_round_trip() {
        let r = StackRecord {
            run_id: "r".into(),
            stack: "s-1".into(),
            env: Some("prod".into()),
            vars: vec!["a=b".into()],
        };
        assert_eq!(StackRecord::from_json(&r.to_json()), Some(r.clone()));
        assert_eq!(r.args(), ["-e", "prod", "--var", "a=b"]);
    }
}
