//! Cleaning up after a real-account run, failed or not: every stack copy
//! the run kept is destroyed with `forge destroy` (forge's own dependency
//! order and readiness waits: NAT gateways before their Elastic IPs, load
//! balancers before their subnets), then the run tag is swept through the
//! Resource Groups Tagging API, which finds what no state knows (an object
//! created just before a crash and never recorded). Those are reported with
//! their ARN and forge's ownership tags, not deleted blindly: the report is
//! the list to act on.

use crate::forge::{Forge, RunOutput};
use crate::real_aws::{RECORD_FILE, RUN_TAG, StackRecord};
use crate::tag_sweep::{TaggedArn, live_tagged};
use std::path::{Path, PathBuf};

/// What a cleanup of one run did and found.
#[derive(Debug, Default)]
pub struct Report {
    pub run_id: String,
    /// Stacks destroyed (their names).
    pub destroyed: Vec<String>,
    /// Stacks whose destroy failed, with forge's transcript (their copies
    /// are kept for another try).
    pub failed: Vec<(String, RunOutput)>,
    /// Live objects still carrying the run tag after the destroys.
    pub left: Vec<TaggedArn>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty() && self.left.is_empty()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "cleanup of run {}:", self.run_id)?;
        for s in &self.destroyed {
            writeln!(f, "  destroyed stack {s}")?;
        }
        for (s, out) in &self.failed {
            writeln!(f, "  FAILED to destroy stack {s}:\n{out}")?;
        }
        for t in &self.left {
            writeln!(f, "  still tagged {RUN_TAG}={}: {t}", self.run_id)?;
        }
        if self.is_clean() {
            writeln!(f, "  nothing left")?;
        }
        Ok(())
    }
}

/// The runs kept under `root` (their ids: the directory names).
pub fn kept_runs(root: &Path) -> Vec<String> {
    let mut runs: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    runs.sort();
    runs
}

/// The stack copies kept in `run_dir`, with their records, newest first
/// (a later stack may use an earlier one's outputs).
pub fn kept_stacks(run_dir: &Path) -> Vec<(PathBuf, StackRecord)> {
    let mut stacks: Vec<(std::time::SystemTime, PathBuf, StackRecord)> = std::fs::read_dir(run_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let dir = e.path();
            let text = std::fs::read_to_string(dir.join(RECORD_FILE)).ok()?;
            let record = StackRecord::from_json(&text)?;
            let made = e.metadata().and_then(|m| m.modified()).ok()?;
            Some((made, dir, record))
        })
        .collect();
    stacks.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    stacks.into_iter().map(|(_, d, r)| (d, r)).collect()
}

/// Destroys every stack kept in `run_dir` with `forge`, sweeps the run tag
/// with `config`, and removes the run's directory when nothing is left.
pub async fn clean_run(
    forge: &Forge,
    config: &aws_config::SdkConfig,
    run_dir: &Path,
    run_id: &str,
) -> Result<Report, String> {
    let mut report = Report {
        run_id: run_id.to_string(),
        ..Report::default()
    };
    for (dir, record) in kept_stacks(run_dir) {
        let path = dir.display().to_string();
        let mut args = vec!["destroy".to_string(), path];
        args.extend(record.args());
        args.push("--auto-approve".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = forge.run(&dir, &args).map_err(|e| e.to_string())?;
        if out.code() == Some(0) {
            report.destroyed.push(record.stack.clone());
            std::fs::remove_dir_all(&dir).map_err(|e| format!("remove {}: {e}", dir.display()))?;
        } else {
            report.failed.push((record.stack.clone(), out));
        }
    }
    report.left = live_tagged(config, RUN_TAG, &[run_id]).await?;
    if report.is_clean() {
        // Only this run's own directory, and only when it is empty.
        let _ = std::fs::remove_dir(run_dir);
    }
    Ok(report)
}
