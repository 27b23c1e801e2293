//! The entry points of real-account runs (docs/testing.md, "Real-account
//! acceptance runs"), each also tested here against the emulator:
//!
//! - `dry_run`: what the real-account capable tests would create, with
//!   each object's cost class, from `forge plan --json` (reads only). With
//!   `FORGE_TEST_REAL_AWS=dry-run` (or `1`) it lists against the account;
//!   by default it lists against the emulator, standing in for the reads,
//!   and checks the listing and that nothing was written.
//! - `cleanup`: with `FORGE_TEST_REAL_AWS=1`, destroys every stack a run
//!   kept and sweeps the run tag. By default it proves that on the
//!   emulator: a stack left behind by a "failed test" is destroyed and an
//!   object no state knows is found by its run tag.

use forge_e2e::cleanup::{self, clean_run};
use forge_e2e::cost_class::CostClass;
use forge_e2e::dry_run::{self, REAL_STACKS, Row};
use forge_e2e::real_aws::{
    self, Mode, RECORD_FILE, RUN_ID_VAR, RUN_TAG, RealAccount, new_run_id, prepare_stack,
};
use forge_e2e::tag_sweep::live_tagged;
use forge_e2e::{Emulator, Forge, StackCopy, getting_started_dir, network};

/// Every real-account capable stack, listed with `forge`.
fn listing(forge: &Forge, run_id: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for stack in REAL_STACKS {
        rows.extend(dry_run::list(forge, stack, run_id).unwrap_or_else(|e| panic!("{e}")));
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run() {
    if Mode::from_env() != Mode::Emulator {
        let account = RealAccount::from_env().unwrap_or_else(|e| panic!("{e}"));
        let forge = Forge::new(account.env()).unwrap_or_else(|e| panic!("{e}"));
        let rows = listing(&forge, &account.run_id);
        println!(
            "a real-account run in {} would create:\n{}",
            account.region,
            dry_run::render(&rows)
        );
        return;
    }

    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let run_id = new_run_id();
    let rows = listing(&forge, &run_id);
    let text = dry_run::render(&rows);
    println!("{text}");

    // Every test, every object of its first apply, with its class.
    insta::assert_snapshot!(text);
    let unknown: Vec<&Row> = rows
        .iter()
        .filter(|r| r.class == CostClass::Unknown)
        .collect();
    assert!(
        unknown.is_empty(),
        "kinds without a cost class: {unknown:?}"
    );
    // The stack tag reaches every object that takes tags: the cleanup's
    // sweep can find whatever a run creates.
    let untagged: Vec<&str> = rows
        .iter()
        .filter(|r| r.run_tagged == Some(false))
        .map(|r| r.address.as_str())
        .collect();
    assert!(
        untagged.is_empty(),
        "planned without the run tag {RUN_TAG}={run_id}: {untagged:?}"
    );
    assert!(
        rows.iter().filter(|r| r.run_tagged == Some(true)).count() > 20,
        "{text}"
    );

    // Nothing was written.
    let config = emulator.sdk_config("us-east-1").await;
    let tagged = live_tagged(&config, RUN_TAG, &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(tagged.is_empty(), "a dry run created {tagged:?}");
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let left = network::leftovers(&ec2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(left.is_empty(), "a dry run created {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup() {
    match Mode::from_env() {
        Mode::Emulator => cleanup_on_the_emulator().await,
        mode => {
            let account = RealAccount::from_env().unwrap_or_else(|e| panic!("{e}"));
            let forge = Forge::new(account.env()).unwrap_or_else(|e| panic!("{e}"));
            let config = account.sdk_config(&account.region).await;
            let root = real_aws::runs_root();
            // One run when its id is given, else every run kept here.
            let runs = match std::env::var(RUN_ID_VAR) {
                Ok(id) if !id.trim().is_empty() => vec![id],
                _ => cleanup::kept_runs(&root),
            };
            let mut dirty = Vec::new();
            for run in runs {
                if mode == Mode::DryRun {
                    for (dir, record) in cleanup::kept_stacks(&root.join(&run)) {
                        println!("would destroy {} ({})", record.stack, dir.display());
                    }
                    let left = live_tagged(&config, RUN_TAG, &[&run])
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    for t in left {
                        println!("tagged {RUN_TAG}={run}: {t}");
                    }
                    continue;
                }
                let report = clean_run(&forge, &config, &root.join(&run), &run)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                println!("{report}");
                if !report.is_clean() {
                    dirty.push(run);
                }
            }
            assert!(dirty.is_empty(), "runs not cleaned up: {dirty:?}");
        }
    }
}

/// A run's "failed test" left a stack applied; cleanup destroys it and
/// its sweep finds an object no state knows by the run tag alone.
async fn cleanup_on_the_emulator() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let config = emulator.sdk_config("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run_id = new_run_id();
    let run_dir = root.path().join(&run_id);

    // The failed test: the network applied, never destroyed.
    let copy =
        StackCopy::kept_in(&getting_started_dir(), &run_dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(copy.path().join("app.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let stack = prepare_stack(&copy, &run_id, Some("dev"), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(copy.path().join(RECORD_FILE).exists());
    let path = copy.arg();
    forge
        .run(
            copy.path(),
            &["apply", &path, "-e", "dev", "--auto-approve"],
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .expect_success();
    drop(copy);
    let applied = network::leftovers_in(&ec2, Some(&stack))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(applied.len() > 10, "the stack was applied: {applied:?}");
    let tagged = live_tagged(&config, RUN_TAG, &[&run_id])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        tagged.iter().any(|t| t.arn.contains(":vpc/")),
        "the run tag is on the stack's objects: {tagged:?}"
    );

    // An object of the run that no state recorded (a crash before the
    // state write).
    let orphan = ec2
        .create_vpc()
        .cidr_block("10.99.0.0/16")
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key(RUN_TAG)
                        .value(&run_id)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateVpc: {e:?}"));
    let orphan_id = orphan
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap_or_default()
        .to_string();

    let report = clean_run(&forge, &config, &run_dir, &run_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    println!("{report}");
    assert_eq!(report.destroyed, [stack.as_str()], "{report}");
    assert!(report.failed.is_empty(), "{report}");
    let left: Vec<&str> = report.left.iter().map(|t| t.arn.as_str()).collect();
    assert_eq!(left.len(), 1, "{report}");
    assert!(left[0].ends_with(&format!(":vpc/{orphan_id}")), "{report}");
    let stack_left = network::leftovers_in(&ec2, Some(&stack))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(stack_left.is_empty(), "after cleanup: {stack_left:?}");
    assert!(run_dir.exists(), "a run with leftovers keeps its directory");

    // Once the orphan is dealt with, the run is clean and its directory gone.
    ec2.delete_vpc()
        .vpc_id(&orphan_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteVpc: {e:?}"));
    let report = clean_run(&forge, &config, &run_dir, &run_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_clean(), "{report}");
    assert!(!run_dir.exists(), "{report}");
}
