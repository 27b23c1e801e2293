//! The CI pipeline of `examples/ci/github/`, checked two ways:
//! - the workflows are valid YAML matching GitHub's workflow schema
//!   (SchemaStore's, vendored in `tests/fixtures/schemastore/`), checked by
//!   `scripts/check-workflows` with the emulator venv's python;
//! - `examples/ci/run-local.sh` runs the workflows' forge commands in order
//!   (stacks, plan -out, show --format markdown, apply PLANFILE -json,
//!   drift) against the emulator over a two-stack tree in a git work tree;
//!   the result is read back through the AWS SDK, and no secret value is in
//!   the comments, the event stream, the drift report or the logs (at
//!   `FORGE_LOG=trace`).

use aws_sdk_ec2::types::Filter;
use forge_e2e::emulator::ensure_venv;
use forge_e2e::{Emulator, Forge, repo_root};
use serde_json::Value as Json;
use std::path::Path;
use std::process::Command;

const SECRET: &str = "ci-pipeline-Pa55word-7f3a";
const SECRET_2: &str = "ci-pipeline-rotated-91bc";

const NETWORK: &str = r#"stack: ci-network
region: us-east-1
default_environment: dev
state:
  backend: local
environments:
  dev: {}
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.61.0.0/16
    tags:
      Name: "${stack}-${env}"
outputs:
  vpc_id:
    value: "${vpc.id}"
"#;

const APP: &str = r#"stack: ci-app
region: us-east-1
default_environment: dev
state:
  backend: local
environments:
  dev: {}
vars:
  db_password:
    type: string
    sensitive: true
dependencies:
  network:
    path: ../network
    mock_outputs:
      vpc_id: vpc-00000000mock
resources:
  app_sg:
    type: aws.ec2.security_group
    group_name: "${stack}-${env}"
    description: The app
    vpc_id: "${dependency.network.outputs.vpc_id}"
  db_password:
    type: aws.ssm.parameter
    name: "/ci/${env}/db_password"
    parameter_type: SecureString
    value: "${vars.db_password}"
  app_secret:
    type: aws.secretsmanager.secret
    name: "ci/${env}/app"
    secret_string: "${vars.db_password}"
    recovery_window_in_days: 0
"#;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=ci", "-c", "user.email=ci@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("git: {e}"));
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[track_caller]
fn no_secret(what: &str, text: &str) {
    for secret in [SECRET, SECRET_2] {
        assert!(
            !text.contains(secret),
            "{what} holds a secret value:\n{text}"
        );
    }
}

#[test]
fn the_workflows_match_githubs_workflow_schema() {
    let python = ensure_venv().unwrap_or_else(|e| panic!("{e}"));
    let root = repo_root();
    let out = Command::new(python)
        .arg(root.join("scripts/check-workflows"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["plan.yml", "apply.yml", "drift.yml"] {
        assert!(stdout.contains(&format!("{name}: valid")), "{stdout}");
    }
    // What the pipeline is for, in the workflows themselves.
    let text = |name: &str| read(&root.join("examples/ci/github").join(name));
    let plan = text("plan.yml");
    assert!(
        plan.contains("--changed-since") && plan.contains("fromJSON(needs.stacks.outputs.runs)")
    );
    assert!(plan.contains("--format markdown") && plan.contains("actions/upload-artifact"));
    let apply = text("apply.yml");
    assert!(apply.contains("environment:") && apply.contains("-json"));
    let drift = text("drift.yml");
    assert!(drift.contains("schedule:") && drift.contains("--all-envs"));
    assert!(drift.contains("SLACK_WEBHOOK_URL") && drift.contains("sns publish"));
    for w in [plan, apply, drift] {
        assert!(
            w.contains("aws-actions/configure-aws-credentials") && w.contains("id-token: write")
        );
    }
    // A broken workflow is caught: the check is not a rubber stamp.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("bad.yml");
    write(
        dir.path(),
        "bad.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - rn: echo\n",
    );
    let out = Command::new(ensure_venv().unwrap_or_else(|e| panic!("{e}")))
        .arg(root.join("scripts/check-workflows"))
        .arg(&bad)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success(), "{out:?}");
}

#[tokio::test]
async fn the_pipeline_runs_its_forge_commands_against_the_emulator() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let repo = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = repo.path();
    git(root, &["init", "-q"]);
    write(root, ".gitignore", ".forge/\nout/\n");
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    // The change under review: two new stacks, app reading network.
    write(root, "live/network/main.yaml", NETWORK);
    write(root, "live/app/main.yaml", APP);

    let script = repo_root().join("examples/ci/run-local.sh");
    let run = Command::new("bash")
        .arg(&script)
        .args(["live", "HEAD", "out"])
        .current_dir(root)
        .envs(emulator.env())
        .env("FORGE", &forge.bin)
        .env("FORGE_VAR_db_password", SECRET)
        .env("FORGE_LOG", "trace")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}\n--- stderr ---\n{stderr}"
    );
    // Logged at trace level, and still no secret.
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "no logs:\n{stderr}"
    );
    no_secret("stderr at FORGE_LOG=trace", &stderr);
    no_secret("the script's stdout", &stdout);

    // The pull request: network's plan is saved; app's dependency is not
    // applied yet, so it gets the review plan (mock outputs).
    assert!(
        stdout.contains("pr plan 1: live/network dev: exit 2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("pr plan 2: live/app dev: exit 2"),
        "{stdout}"
    );
    let out = root.join("out");
    assert!(out.join("pr-1.plan").exists() && !out.join("pr-2.plan").exists());
    for md in ["pr-1.md", "pr-2.md", "review-dev.md", "summary-dev.md"] {
        let text = read(&out.join(md));
        assert!(text.contains("**Plan:**"), "{md}:\n{text}");
        no_secret(md, &text);
    }
    assert!(read(&out.join("summary-dev.md")).contains("aws.ssm.parameter"));

    // The event stream: JSON only, both stacks applied in order.
    let events = read(&out.join("events.jsonl"));
    no_secret("the event stream", &events);
    let lines: Vec<Json> = events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let summaries: Vec<&Json> = lines.iter().filter(|l| l["type"] == "summary").collect();
    assert_eq!(summaries.len(), 2, "{events}");
    assert!(summaries.iter().all(|s| s["success"] == true), "{events}");
    let finished = |address: &str| {
        lines
            .iter()
            .position(|l| l["type"] == "finished" && l["address"] == address)
            .unwrap_or_else(|| panic!("{address} not finished:\n{events}"))
    };
    assert!(finished("vpc") < finished("app_sg"));

    // The drift check after the apply: nothing drifted.
    let drift = read(&out.join("drift.json"));
    no_secret("the drift report", &drift);
    assert!(stdout.contains("drift: exit 0"), "{stdout}");

    // What AWS holds, through the SDK.
    let config = emulator.sdk_config("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc = forge_e2e::network::vpc_named(&ec2, "ci-network-dev").await;
    let groups = ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("group-name")
                .values("ci-app-dev")
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let sg_vpc = groups
        .security_groups()
        .first()
        .and_then(|g| g.vpc_id())
        .map(str::to_string);
    assert!(vpc.is_some() && sg_vpc == vpc, "{vpc:?} {sg_vpc:?}");
    let ssm = aws_sdk_ssm::Client::new(&config);
    let stored = ssm
        .get_parameter()
        .name("/ci/dev/db_password")
        .with_decryption(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(stored.parameter().and_then(|p| p.value()), Some(SECRET));

    // A changed secret, applied with --json at trace level: the event
    // stream, the logs, the saved plan's markdown hold neither value.
    let app_arg = root.join("live/app").to_string_lossy().to_string();
    let with = |secret: &str| {
        let mut env = emulator.env();
        env.push(("FORGE_VAR_db_password".into(), secret.into()));
        env.push(("FORGE_LOG".into(), "trace".into()));
        Forge {
            bin: forge.bin.clone(),
            env,
        }
    };
    let plan_file = root.join("rotate.plan");
    let plan_arg = plan_file.to_string_lossy().to_string();
    let made = with(SECRET_2)
        .run(
            root,
            &[
                "plan", &app_arg, "-e", "dev", "-out", &plan_arg, "--format", "markdown",
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    made.expect_success();
    no_secret("the plan's markdown", &made.stdout);
    no_secret("the plan's logs", &made.stderr);
    let shown = with(SECRET_2)
        .run(root, &["show", &plan_arg, "--format", "markdown"])
        .unwrap_or_else(|e| panic!("{e}"));
    shown.expect_success();
    assert!(shown.stdout.contains("db_password"), "{shown}");
    no_secret("show --format markdown", &shown.stdout);
    // Applying the saved plan re-reads the secret: another value is refused,
    // and nothing changes.
    let refused = with("not-the-planned-value")
        .run(root, &["apply", &plan_arg, "-json"])
        .unwrap_or_else(|e| panic!("{e}"));
    refused.expect_code(1);
    assert!(
        refused
            .stderr
            .contains("differ from when the plan was made"),
        "{refused}"
    );
    let last = refused.stdout.lines().last().unwrap_or_default();
    assert!(last.contains("\"type\":\"error\""), "{refused}");
    let stored = ssm
        .get_parameter()
        .name("/ci/dev/db_password")
        .with_decryption(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(stored.parameter().and_then(|p| p.value()), Some(SECRET));
    // The same value applies it.
    let applied = with(SECRET_2)
        .run(root, &["apply", &plan_arg, "-json"])
        .unwrap_or_else(|e| panic!("{e}"));
    applied.expect_success();
    no_secret("the apply's event stream", &applied.stdout);
    no_secret("the apply's logs at trace", &applied.stderr);
    for line in applied.stdout.lines() {
        serde_json::from_str::<Json>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    let stored = ssm
        .get_parameter()
        .name("/ci/dev/db_password")
        .with_decryption(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(stored.parameter().and_then(|p| p.value()), Some(SECRET_2));

    // Drift made out of band: the daily check exits 2 (the workflow alerts).
    let vpc_id = vpc.unwrap_or_default();
    ec2.create_tags()
        .resources(&vpc_id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("renamed")
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let drift = forge
        .run(root, &["drift", "live", "--all", "--all-envs"])
        .unwrap_or_else(|e| panic!("{e}"));
    drift.expect_code(2);

    // -input=false: no confirmation prompt, so an apply without
    // -auto-approve is refused (as Terraform's) and changes nothing.
    let asked = forge
        .run(
            root,
            &["apply", "live/network", "-e", "dev", "-input=false"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    asked.expect_code(1);
    assert!(asked.stderr.contains("--auto-approve"), "{asked}");

    // --json has no room for a prompt: without --auto-approve, an error
    // line on stdout (and the error on stderr), nothing applied.
    let unasked = with(SECRET_2)
        .run(root, &["apply", "live", "--all", "-e", "dev", "-json"])
        .unwrap_or_else(|e| panic!("{e}"));
    unasked.expect_code(1);
    let last = unasked.stdout.lines().last().unwrap_or_default();
    assert!(
        last.contains("\"type\":\"error\"") && last.contains("--auto-approve"),
        "{unasked}"
    );

    // run-all with --json: unit events, dependents destroyed first, one
    // summary last.
    let destroyed = with(SECRET_2)
        .run(
            root,
            &[
                "destroy",
                "live",
                "--all",
                "-e",
                "dev",
                "--auto-approve",
                "-json",
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    destroyed.expect_success();
    let lines: Vec<Json> = destroyed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let unit_done = |stack: &str| {
        lines
            .iter()
            .position(|l| l["type"] == "stack_finished" && l["stack"] == stack)
            .unwrap_or_else(|| panic!("{stack} not finished:\n{destroyed}"))
    };
    assert!(
        unit_done("live/app") < unit_done("live/network"),
        "{destroyed}"
    );
    let last = lines.last().cloned().unwrap_or_default();
    assert_eq!(last["type"], "summary", "{destroyed}");
    assert_eq!(last["success"], true, "{destroyed}");
    assert_eq!(last["finished"], 2, "{destroyed}");
}
