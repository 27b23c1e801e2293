//! How forge reads a state, and what destroy, read-only commands and logging
//! do with it, through the real binary:
//!
//! - a state whose resources are out of order plans no changes; one with a
//!   duplicated address, a lineage that is not a UUID or written by a newer
//!   forge is refused on read and on `forge state push`, naming the problem;
//! - objects deleted by hand before `forge destroy` are dropped from the
//!   state, and destroy reports in Terraform's words;
//! - `state list` and `output` need no var values;
//! - `FORGE_LOG` / `RUST_LOG` log to stderr, and never a secret.

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use forge_e2e::network::leftovers;
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, getting_started_dir};
use serde_json::Value as Json;

const REGION: &str = "us-east-1";

/// `args` with the stack path after the (sub)command.
fn with_stack<'a>(stack: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let at = if args[0] == "state" { 2 } else { 1 };
    let mut full = args[..at].to_vec();
    full.push(stack);
    full.extend_from_slice(&args[at..]);
    full
}

fn run(forge: &Forge, stack: &StackCopy, args: &[&str]) -> RunOutput {
    run_with_env(forge, stack, args, &[])
}

fn run_with_env(
    forge: &Forge,
    stack: &StackCopy,
    args: &[&str],
    env: &[(&str, &str)],
) -> RunOutput {
    let arg = stack.arg();
    let full = with_stack(&arg, args);
    forge
        .spawn(stack.path(), &full, env)
        .and_then(forge_e2e::Running::wait)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn write_json(path: &std::path::Path, json: &Json) {
    std::fs::write(path, serde_json::to_string_pretty(json).unwrap() + "\n").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_are_normalized_or_refused_and_destroy_forgets_what_is_gone() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::getting_started_network().unwrap_or_else(|e| panic!("{e}"));
    run(&forge, &stack, &["apply", "-e", "dev", "--auto-approve"]).expect_success();
    let state_path = stack.path().join(".forge/state/getting-started-dev.json");
    let original_text = std::fs::read_to_string(&state_path).unwrap();
    let original: Json = serde_json::from_str(&original_text).unwrap();
    let resources = original["resources"].as_array().unwrap().clone();
    assert!(resources.len() > 10, "{original_text}");

    // Out of order: read sorted, every resource found, nothing to do.
    let mut reversed = original.clone();
    reversed["resources"].as_array_mut().unwrap().reverse();
    write_json(&state_path, &reversed);
    let out = run(
        &forge,
        &stack,
        &["plan", "-e", "dev", "--detailed-exitcode"],
    );
    out.expect_code(0);
    assert!(out.stdout.contains("No changes"), "{out}");

    // A duplicated address is refused, naming it; nothing is created.
    let address = resources[0]["address"].as_str().unwrap().to_string();
    let mut duplicated = original.clone();
    duplicated["resources"]
        .as_array_mut()
        .unwrap()
        .push(resources[0].clone());
    write_json(&state_path, &duplicated);
    let recorded_twice = format!("resource `{address}` is recorded 2 times");
    for args in [
        &["plan", "-e", "dev"][..],
        &["apply", "-e", "dev", "--auto-approve"][..],
    ] {
        let out = run(&forge, &stack, args);
        out.expect_code(1);
        assert!(out.stderr.contains(&recorded_twice), "{out}");
    }
    std::fs::write(&state_path, &original_text).unwrap();

    // `state push` refuses the same problems before writing anything.
    let pushed = stack.path().join("pushed.json");
    let mut bad_lineage = original.clone();
    bad_lineage["lineage"] = "not-a-uuid".into();
    let mut newer = original.clone();
    newer["forge_version"] = "999.0.0".into();
    for (json, expected) in [
        (&duplicated, recorded_twice.as_str()),
        (&bad_lineage, "\"not-a-uuid\" is not a UUID"),
        (
            &newer,
            "written by forge 999.0.0, which is newer than this forge",
        ),
    ] {
        write_json(&pushed, json);
        let out = forge
            .run(
                stack.path(),
                &[
                    "state",
                    "push",
                    "pushed.json",
                    &stack.arg(),
                    "-e",
                    "dev",
                    "--force",
                ],
            )
            .unwrap();
        out.expect_code(1);
        assert!(out.stderr.contains(expected), "{expected:?}\n{out}");
        assert_eq!(std::fs::read_to_string(&state_path).unwrap(), original_text);
    }

    // Logging: off by default, FORGE_LOG or RUST_LOG turn it on, FORGE_LOG
    // wins.
    let list = ["state", "list", "-e", "dev"];
    let quiet = run_with_env(
        &forge,
        &stack,
        &list,
        &[("FORGE_LOG", ""), ("RUST_LOG", "")],
    );
    quiet.expect_success();
    assert!(quiet.stderr.is_empty(), "{quiet}");
    for env in [
        &[("FORGE_LOG", "debug"), ("RUST_LOG", "")][..],
        &[("FORGE_LOG", ""), ("RUST_LOG", "debug")][..],
    ] {
        let out = run_with_env(&forge, &stack, &list, env);
        out.expect_success();
        assert!(out.stderr.contains("read the state"), "{env:?}\n{out}");
    }
    let off = run_with_env(
        &forge,
        &stack,
        &list,
        &[("FORGE_LOG", "off"), ("RUST_LOG", "debug")],
    );
    assert!(!off.stderr.contains("read the state"), "{off}");

    // An object deleted by hand: destroy deletes the rest and forgets it.
    let ec2 = emulator.ec2(REGION).await;
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("getting-started-dev-app")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let group_id = groups.security_groups()[0].group_id().unwrap().to_string();
    ec2.delete_security_group()
        .group_id(&group_id)
        .send()
        .await
        .unwrap();
    let out = run(&forge, &stack, &["destroy", "-e", "dev", "--auto-approve"]);
    out.expect_success();
    assert!(out.stdout.contains("# app_sg has been deleted"), "{out}");
    let destroyed = resources.len() - 1;
    assert!(
        out.stdout.contains(&format!(
            "Destroy complete! Resources: {destroyed} destroyed."
        )),
        "{out}"
    );
    assert!(!out.stdout.contains("Apply complete"), "{out}");
    let after: Json = serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    assert_eq!(after["resources"], Json::Array(Vec::new()), "{after:#}");
    let left = leftovers(&ec2).await.unwrap();
    assert!(left.is_empty(), "{left:?}");

    // A secret given to apply never reaches the trace log.
    let secret_stack = StackCopy::empty().unwrap();
    secret_stack
        .write(
            "stack.yaml",
            "stack: secret-log\nregion: us-east-1\nvars:\n  token:\n    type: string\n    sensitive: true\n\
             resources:\n  token:\n    type: aws.secretsmanager.secret\n    name: secret-log/token\n    \
             secret_string: \"${vars.token}\"\n    recovery_window_in_days: 0\n",
        )
        .unwrap();
    let secret = "s3cr3t-7f1d2c9e-do-not-log";
    let out = run_with_env(
        &forge,
        &secret_stack,
        &[
            "apply",
            "--auto-approve",
            "--var",
            &format!("token={secret}"),
        ],
        &[("FORGE_LOG", "trace")],
    );
    out.expect_success();
    assert!(
        out.stderr.contains("TRACE"),
        "trace logging is on\n{}",
        out.stdout
    );
    assert!(!out.stderr.contains(secret), "the secret is in the log");
    assert!(!out.stdout.contains(secret), "the secret is in the output");
}

#[test]
fn read_only_commands_need_no_var_values() {
    // No emulator: these read the (absent) local state only.
    let forge = Forge::new(Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
    for args in [
        &["state", "list", "-e", "prod"][..],
        &["output", "-e", "prod"][..],
        &["output", "-e", "prod", "--json"][..],
    ] {
        run(&forge, &stack, args).expect_success();
    }
    // Commands that evaluate resources still need it.
    let out = forge
        .run(stack.path(), &["validate", &stack.arg(), "-e", "prod"])
        .unwrap();
    out.expect_code(1);
    assert!(
        out.stderr.contains("var `app_secret` has no value"),
        "{out}"
    );
}
