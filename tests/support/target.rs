//! Where an e2e test's AWS is: the local emulator (the default), or a real
//! account when `FORGE_TEST_REAL_AWS=1` (see [`crate::real_aws`]). Chosen
//! here, in one place, for the tests that can run in both; tests that need
//! the harness (its patches' switches, counters, rate limits, time scale,
//! maintenance windows, the fault proxy, moto-api resets) say so with
//! [`require_emulator!`](crate::require_emulator) and are skipped in a real
//! run with the reason printed.

use crate::dry_run::{self, REAL_STACKS, RealStack};
use crate::emulator::{Emulator, repo_root, sdk_config_for};
use crate::error::HarnessError;
use crate::forge::{Forge, StackCopy};
use crate::real_aws::{self, Mode, RealAccount};
use std::path::Path;

/// Skips the rest of a test that needs the emulator's harness when the
/// suite runs against a real account (or lists a dry run), printing why.
/// Expands to an early `return` from the test function.
#[macro_export]
macro_rules! require_emulator {
    ($reason:expr) => {
        if $crate::target::skip_harness_only(module_path!(), $reason) {
            return;
        }
    };
}

/// Whether a harness-only test must be skipped (printed when so).
pub fn skip_harness_only(test: &str, reason: &str) -> bool {
    match Mode::from_env() {
        Mode::Emulator => false,
        Mode::Real | Mode::DryRun => {
            println!(
                "skipped in a real-account run ({test}): needs the emulator harness: {reason}"
            );
            true
        }
    }
}

/// The AWS an e2e test talks to.
pub enum Target {
    Emulator(Emulator),
    Real(RealAccount),
}

impl Target {
    /// For a test that can run against a real account: the emulator by
    /// default, the account with `FORGE_TEST_REAL_AWS=1`. `None` in a dry
    /// run (the test would write; `--test real_aws` lists it instead).
    /// Panics when the mode asks for a real account without a region.
    pub fn start(test: &str) -> Option<Target> {
        match Mode::from_env() {
            Mode::Emulator => Some(Target::Emulator(
                Emulator::start().unwrap_or_else(|e| panic!("{e}")),
            )),
            Mode::Real => Some(Target::Real(
                RealAccount::from_env().unwrap_or_else(|e| panic!("{e}")),
            )),
            Mode::DryRun => {
                println!("dry run: {test} not run; `--test real_aws` lists what it would create");
                None
            }
        }
    }

    pub fn is_real(&self) -> bool {
        matches!(self, Target::Real(_))
    }

    /// Environment for forge.
    pub fn env(&self) -> Vec<(String, String)> {
        match self {
            Target::Emulator(e) => e.env(),
            Target::Real(a) => a.env(),
        }
    }

    /// An SDK configuration for independent verification.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        match self {
            Target::Emulator(e) => sdk_config_for(&e.endpoint, region).await,
            Target::Real(a) => a.sdk_config(region).await,
        }
    }

    /// An EC2 client for verification.
    pub async fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config(region).await)
    }

    /// Whether the test can run here: a stack written for `region` (its
    /// availability zones, the names it checks) runs on the emulator, and
    /// in a real run only when the run's region is that one; else printed.
    pub fn runs_in(&self, test: &str, region: &str) -> bool {
        match self {
            Target::Emulator(_) => true,
            Target::Real(a) if a.region == region => true,
            Target::Real(a) => {
                println!(
                    "skipped in a real-account run ({test}): its stack is written for {region}, the run's region is {}",
                    a.region
                );
                false
            }
        }
    }

    /// A working copy of the stack folder `src`, and its stack name. On
    /// the emulator: a temporary copy, unchanged. In a real run: kept in
    /// the run's directory, renamed uniquely, tagged with the run tag, and
    /// recorded with `env` and `vars` so a cleanup can destroy it.
    pub fn stack_copy(
        &self,
        src: &Path,
        env: Option<&str>,
        vars: &[&str],
    ) -> Result<(StackCopy, Option<String>), HarnessError> {
        match self {
            Target::Emulator(_) => Ok((StackCopy::of(src)?, None)),
            Target::Real(a) => {
                let copy = StackCopy::kept_in(src, &a.run_dir())?;
                let name = real_aws::prepare_stack(&copy, &a.run_id, env, vars)?;
                println!(
                    "real-account run {}: stack {name} in {}",
                    a.run_id,
                    copy.path().display()
                );
                Ok((copy, Some(name)))
            }
        }
    }
}

/// The start of a real-account capable test, from its [`REAL_STACKS`]
/// entry: its target, a forge runner for it and its stack copy. In a real
/// run it first prints what the stack is about to create, with cost
/// classes (a plan: reads only).
pub struct RealCapable {
    pub target: Target,
    pub forge: Forge,
    pub stack: StackCopy,
    pub spec: &'static RealStack,
    /// The stack's name in a real run (unique to the run).
    pub real_name: Option<String>,
}

impl RealCapable {
    /// `None` when `test` does not run here (a dry run, another region;
    /// printed). Panics when `test` has no [`REAL_STACKS`] entry.
    pub fn start(test: &str) -> Option<RealCapable> {
        let spec = REAL_STACKS
            .iter()
            .find(|s| s.test == test)
            .unwrap_or_else(|| panic!("{test} is not in REAL_STACKS"));
        let target = Target::start(test)?;
        if !target.runs_in(test, spec.region) {
            return None;
        }
        let forge = Forge::new(target.env()).unwrap_or_else(|e| panic!("{e}"));
        let (stack, real_name) = target
            .stack_copy(&repo_root().join(spec.dir), Some(spec.env), spec.vars)
            .unwrap_or_else(|e| panic!("{e}"));
        if let Target::Real(account) = &target {
            let rows = dry_run::plan_rows(&forge, spec, &stack, &account.run_id)
                .unwrap_or_else(|e| panic!("{e}"));
            println!("{test} creates:\n{}", dry_run::render(&rows));
        }
        Some(RealCapable {
            target,
            forge,
            stack,
            spec,
            real_name,
        })
    }
}
