//! Saved plans end to end (`forge plan -out FILE`, `forge apply FILE`)
//! against the emulator, verified through the AWS SDK: an edited plan file
//! (an action, a header) is refused and changes nothing, even with its
//! digest rewritten; flags that contradict the plan are refused; a plan is
//! recognized by its content whatever its name; it applies from another
//! directory to the stack's own state; and it is refused once the spec
//! changed since it was made.

use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};
use serde_json::Value as Json;
use std::path::Path;

/// A small stack: a log group and a secret, like getting-started's `logs`
/// and `app_secret`.
fn spec(dev_retention: u32) -> String {
    format!(
        r#"stack: plans
region: us-east-1
vars:
  retention:
    type: number
    default: 7
environments:
  dev:
    vars: {{retention: {dev_retention}}}
  prod:
    vars: {{retention: 30}}
resources:
  logs:
    type: aws.logs.log_group
    log_group_name: "/plans/${{env}}"
    retention_in_days: "${{vars.retention}}"
  app_secret:
    type: aws.secretsmanager.secret
    name: "plans/${{env}}/app"
    secret_string: not-a-secret
    recovery_window_in_days: 0
"#
    )
}

struct World {
    emulator: Emulator,
    forge: Forge,
    stack: StackCopy,
}

impl World {
    fn new() -> World {
        let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
        let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
        stack
            .write("stack.yaml", &spec(7))
            .unwrap_or_else(|e| panic!("{e}"));
        World {
            emulator,
            forge,
            stack,
        }
    }

    /// `forge ARGS` run in `cwd`.
    fn run_in(&self, cwd: &Path, args: &[&str]) -> RunOutput {
        self.forge.run(cwd, args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `forge ARGS` run in the stack's folder.
    fn run(&self, args: &[&str]) -> RunOutput {
        self.run_in(self.stack.path(), args)
    }

    fn plan_json(&self, file: &str) -> Json {
        let text = self.stack.read(file).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    fn write_json(&self, file: &str, plan: &Json) {
        let text = serde_json::to_string_pretty(plan).unwrap_or_else(|e| panic!("{e}"));
        self.stack
            .write(file, &text)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Applying `file` (in the stack folder) is refused with `says`.
    #[track_caller]
    fn refused(&self, args: &[&str], says: &str) -> RunOutput {
        let out = self.run(args);
        out.expect_code(1);
        assert!(out.stderr.contains(says), "expected {says:?}\n{out}");
        out
    }

    async fn retention(&self) -> Option<i32> {
        let config = self.emulator.sdk_config("us-east-1").await;
        let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
        let found = logs
            .describe_log_groups()
            .log_group_name_prefix("/plans/dev")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        found
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some("/plans/dev"))
            .map(|g| g.retention_in_days().unwrap_or(0))
    }

    async fn secret_exists(&self) -> bool {
        let config = self.emulator.sdk_config("us-east-1").await;
        let sm = aws_sdk_secretsmanager::Client::new(&config);
        sm.describe_secret()
            .secret_id("plans/dev/app")
            .send()
            .await
            .is_ok_and(|s| s.deleted_date().is_none())
    }
}

/// The resource change of `address` in a saved plan's JSON.
fn change_of<'a>(plan: &'a mut Json, address: &str) -> &'a mut Json {
    plan["changes"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("no changes in the plan"))
        .iter_mut()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change of {address}"))
}

/// Turns the no-ops of `logs` and `app_secret` into deletes.
fn delete_both(plan: &mut Json) {
    for address in ["logs", "app_secret"] {
        let c = change_of(plan, address);
        assert_eq!(c["action"], "no_op", "{c}");
        c["action"] = "delete".into();
    }
}

/// Writes the digest a forger would: over the edited content.
fn reseal(plan: &mut Json) {
    let Json::Object(map) = plan else {
        panic!("a plan is an object")
    };
    let digest = forge_engine::plan::seal::content_digest(map);
    map.insert("digest".into(), digest.into());
}

#[tokio::test]
async fn an_edited_saved_plan_is_refused_and_changes_nothing() {
    let w = World::new();
    w.run(&["apply", ".", "-e", "dev", "--auto-approve"])
        .expect_success();
    assert_eq!(w.retention().await, Some(7));
    assert!(w.secret_exists().await);

    // Nothing to change: every resource is a no-op.
    let out = w.run(&["plan", ".", "-e", "dev", "-out", "dev.plan"]);
    out.expect_success();
    assert!(
        out.stdout.contains("forge apply dev.plan"),
        "the hint names the file: {out}"
    );
    let original = w.plan_json("dev.plan");

    // An action edited from no_op to delete.
    let mut edited = original.clone();
    delete_both(&mut edited);
    w.write_json("edited.plan", &edited);
    w.refused(
        &["apply", "edited.plan", "--auto-approve"],
        "was modified after it was written",
    );

    // The same edit with the digest rewritten: the actions do not follow
    // from the plan's own configuration and state.
    let mut forged = edited.clone();
    reseal(&mut forged);
    w.write_json("forged.plan", &forged);
    let out = w.refused(
        &["apply", "forged.plan", "--auto-approve"],
        "does not follow from its own recorded states",
    );
    assert!(out.stderr.contains("still declares it"), "{out}");

    // An edited header.
    let mut prod = original.clone();
    prod["environment"] = "prod".into();
    w.write_json("prod.plan", &prod);
    w.refused(
        &["apply", "prod.plan", "--auto-approve"],
        "was modified after it was written",
    );
    let mut prod_forged = prod.clone();
    reseal(&mut prod_forged);
    w.write_json("prod-forged.plan", &prod_forged);
    w.refused(
        &["apply", "prod-forged.plan", "--auto-approve"],
        "does not follow from its own recorded states",
    );

    // Flags that contradict the plan.
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let other_path = other.path().display().to_string();
    for (flags, says) in [
        (vec!["-e", "prod"], "-e prod contradicts the saved plan"),
        (vec!["--var", "retention=30"], "--var cannot change"),
        (
            vec!["--region", "eu-west-1"],
            "--region eu-west-1 contradicts",
        ),
        (vec![other_path.as_str()], "was made for the stack"),
        (vec!["-destroy"], "not a destroy plan"),
    ] {
        let mut args = vec!["apply", "dev.plan"];
        args.extend(flags);
        args.push("--auto-approve");
        w.refused(&args, says);
    }
    // Repeating what the plan was made with is fine.
    w.run(&["apply", "dev.plan", "-e", "dev", "--auto-approve"])
        .expect_success();

    // Nothing was destroyed by any of it.
    assert_eq!(w.retention().await, Some(7));
    assert!(w.secret_exists().await);
    w.run(&["plan", ".", "-e", "dev", "--detailed-exitcode"])
        .expect_code(0);
}

#[tokio::test]
async fn a_saved_plan_applies_from_anywhere_and_only_over_its_spec() {
    let w = World::new();
    w.run(&["apply", ".", "-e", "dev", "--auto-approve"])
        .expect_success();

    // Planned in the stack folder with a relative stack path, saved under
    // a name that does not end in .json.
    w.stack
        .write("stack.yaml", &spec(14))
        .unwrap_or_else(|e| panic!("{e}"));
    w.run(&["plan", ".", "-e", "dev", "-out", "dev.plan"])
        .expect_success();

    // Applied from another directory: the stack's own state, no stray
    // `.forge/` where it runs.
    let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan_file = w.stack.path().join("dev.plan").display().to_string();
    w.run_in(elsewhere.path(), &["apply", &plan_file])
        .expect_success();
    assert_eq!(w.retention().await, Some(14));
    assert!(
        !elsewhere.path().join(".forge").exists(),
        "applying from another directory left a .forge/ there"
    );
    let states: Vec<_> = std::fs::read_dir(w.stack.path().join(".forge/state"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(states, ["plans-dev.json"], "one state for the stack");
    w.run(&["plan", ".", "-e", "dev", "--detailed-exitcode"])
        .expect_code(0);

    // A plan whose spec changed after it was made is refused.
    w.stack
        .write("stack.yaml", &spec(21))
        .unwrap_or_else(|e| panic!("{e}"));
    w.run(&["plan", ".", "-e", "dev", "-out", "dev.plan"])
        .expect_success();
    w.stack
        .write("stack.yaml", &spec(28))
        .unwrap_or_else(|e| panic!("{e}"));
    w.refused(
        &["apply", "dev.plan"],
        "the spec changed since this plan was made: plan again",
    );
    assert_eq!(w.retention().await, Some(14), "nothing was applied");
}

/// A review plan and a drift check need no secret: a sensitive var with no
/// value leaves the fields that depend on it uncompared (named in the
/// output), nothing is proposed, and drift says "no drift". A plan to save
/// and an apply still need it. `FORGE_VAR_<name>` gives it.
#[tokio::test]
async fn review_plans_and_drift_need_no_secret_and_forge_var_gives_it() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write(
            "stack.yaml",
            r#"stack: secrets
region: us-east-1
vars:
  db_password: {type: string, sensitive: true}
resources:
  db_secret:
    type: aws.secretsmanager.secret
    name: secrets/db
    secret_string: "${vars.db_password}"
    recovery_window_in_days: 0
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let mut env = emulator.env();
    env.push((
        "FORGE_VAR_db_password".into(),
        "from-the-environment".into(),
    ));
    let with_secret = Forge::new(env).unwrap_or_else(|e| panic!("{e}"));
    let without = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let run = |forge: &Forge, args: &[&str]| {
        forge
            .run(stack.path(), args)
            .unwrap_or_else(|e| panic!("{e}"))
    };

    run(&with_secret, &["apply", "--auto-approve"]).expect_success();
    let config = emulator.sdk_config("us-east-1").await;
    let value = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id("secrets/db")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(value.secret_string(), Some("from-the-environment"));

    let review = run(&without, &["plan", "--detailed-exitcode"]);
    review.expect_code(0);
    assert!(
        review
            .stdout
            .contains("not compared: db_secret: secret_string")
            && review.stdout.contains("vars with no value: `db_password`"),
        "{review}"
    );
    let drift = run(&without, &["drift"]);
    drift.expect_code(0);
    assert!(
        drift.stdout.contains("Not compared with the spec"),
        "{drift}"
    );
    assert!(drift.stdout.contains("db_secret: secret_string"), "{drift}");
    let json = run(&without, &["drift", "--json"]);
    let report: Json = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["unset_vars"], serde_json::json!(["db_password"]));

    for args in [
        &["plan", "-out", "p.json"][..],
        &["apply", "--auto-approve"],
    ] {
        let refused = run(&without, args);
        refused.expect_code(1);
        assert!(
            refused.stderr.contains("var `db_password` has no value"),
            "{refused}"
        );
    }
    // The secret was never touched by the runs without it.
    let after = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id("secrets/db")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(after.secret_string(), Some("from-the-environment"));
}

/// The stack of the secret-hash test: a secret from a sensitive var, and
/// one made from a SecureString parameter read by a data source.
const SECRETS_SPEC: &str = r#"stack: hashed
region: us-east-1
vars:
  db_password: {type: string, sensitive: true}
data:
  token:
    type: aws.ssm.parameter
    name: /hashed/token
resources:
  db_secret:
    type: aws.secretsmanager.secret
    name: hashed/db
    secret_string: "${vars.db_password}"
    recovery_window_in_days: 0
  token_copy:
    type: aws.secretsmanager.secret
    name: hashed/token
    secret_string: "copy:${data.token.value}"
    recovery_window_in_days: 0
outputs:
  password:
    value: "${vars.db_password}"
    sensitive: true
"#;

/// A saved plan holds hashes of its secrets, never their values (a var
/// given with `-var`, one from `FORGE_VAR_`, what a data source read, a
/// sensitive output): it is safe to keep as a CI artifact. `forge apply
/// FILE` takes the secrets again from the same sources, reads the data
/// sources again, and refuses any secret whose hash differs, changing
/// nothing; given the same ones, it applies them, as read through the SDK.
#[tokio::test]
async fn saved_plans_hold_hashes_of_secrets_and_apply_takes_them_again() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let config = emulator.sdk_config("us-east-1").await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let put_token = |value: &'static str| {
        let ssm = ssm.clone();
        async move {
            ssm.put_parameter()
                .name("/hashed/token")
                .value(value)
                .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                .overwrite(true)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
    };
    put_token("tok-3f9a1c").await;
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("stack.yaml", SECRETS_SPEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| {
        forge
            .run(stack.path(), args)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let secret = |id: &'static str| {
        let sm = sm.clone();
        async move {
            sm.get_secret_value()
                .secret_id(id)
                .send()
                .await
                .ok()
                .and_then(|v| v.secret_string().map(str::to_string))
        }
    };
    let no_secret_in = |file: &str| {
        let text = stack.read(file).unwrap_or_else(|e| panic!("{e}"));
        for secret in ["pw-8d2e7b", "tok-3f9a1c", "pw-other"] {
            assert!(!text.contains(secret), "{file} holds {secret}:\n{text}");
        }
        assert!(text.contains("\"sha256\""), "{file} holds hashes:\n{text}");
    };

    let planned = run(&["plan", "-var", "db_password=pw-8d2e7b", "-out", "p.json"]);
    planned.expect_success();
    assert!(planned.stderr.contains("holds hashes"), "{planned}");
    no_secret_in("p.json");

    // Without the secret, or with another one, nothing is applied.
    let without = run(&["apply", "p.json"]);
    without.expect_code(1);
    assert!(
        without.stderr.contains("give it again") && without.stderr.contains("db_password"),
        "{without}"
    );
    let other = run(&["apply", "p.json", "-var", "db_password=pw-other"]);
    other.expect_code(1);
    assert!(other.stderr.contains("--var cannot change"), "{other}");
    assert_eq!(secret("hashed/db").await, None, "nothing was created");

    // The same secret from FORGE_VAR_ instead of -var is the same input.
    let mut env = emulator.env();
    env.push(("FORGE_VAR_db_password".into(), "pw-8d2e7b".into()));
    let from_env = Forge::new(env).unwrap_or_else(|e| panic!("{e}"));
    from_env
        .run(stack.path(), &["apply", "p.json"])
        .unwrap_or_else(|e| panic!("{e}"))
        .expect_success();
    assert_eq!(secret("hashed/db").await.as_deref(), Some("pw-8d2e7b"));
    assert_eq!(
        secret("hashed/token").await.as_deref(),
        Some("copy:tok-3f9a1c")
    );

    // A data source that reads another secret at apply than at plan time
    // makes the apply refuse the plan: it was reviewed for the other one.
    let again = run(&["plan", "-var", "db_password=pw-other", "-out", "q.json"]);
    again.expect_success();
    no_secret_in("q.json");
    put_token("tok-changed").await;
    let stale = run(&["apply", "q.json", "-var", "db_password=pw-other"]);
    stale.expect_code(1);
    assert!(stale.stderr.contains("hashes differ"), "{stale}");
    assert_eq!(
        secret("hashed/db").await.as_deref(),
        Some("pw-8d2e7b"),
        "the refused plan changed nothing"
    );
    put_token("tok-3f9a1c").await;
    run(&["apply", "q.json", "-var", "db_password=pw-other"]).expect_success();
    assert_eq!(secret("hashed/db").await.as_deref(), Some("pw-other"));
}
