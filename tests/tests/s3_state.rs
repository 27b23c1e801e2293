//! Issue 7: state in S3 through the real S3 protocol of the emulator.
//!
//! - 20 concurrent writers doing read-modify-write with compare-and-swap
//!   (retrying on conflict) lose no update: the final serial and contents
//!   prove every increment landed.
//! - a stale version token is a conflict, never an overwrite; the lineage
//!   cannot change under a backend; the serial advances by exactly one;
//!   objects are encrypted (SSE-S3, or SSE-KMS with the configured key).
//! - `forge state bootstrap` sets the bucket up as a team wants it, and
//!   `forge state migrate` / `push` / `pull` move state without loss.

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use forge_aws::state::{S3Backend, S3Location};
use forge_e2e::{Emulator, Forge, StackCopy, getting_started_dir};
use forge_engine::state::{BackendError, OutputState, State, StateBackend, VersionToken};

const REGION: &str = "us-east-1";

fn location(bucket: &str, key: &str, kms: Option<&str>) -> S3Location {
    S3Location {
        bucket: bucket.into(),
        key: key.into(),
        region: REGION.into(),
        kms_key_id: kms.map(str::to_string),
        endpoint: None,
    }
}

async fn bucket(emulator: &Emulator, name: &str) -> aws_sdk_s3::Client {
    let s3 = emulator.s3(REGION).await;
    s3.create_bucket().bucket(name).send().await.unwrap();
    s3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_cas_writers_lose_no_update() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let s3 = bucket(&emulator, "cas").await;
    let loc = location("cas", "app/dev.json", None);

    let first = S3Backend::with_client(loc.clone(), s3.clone());
    let mut initial = State::new("app", Some("dev".into()));
    initial.serial = 1;
    first
        .write(&initial, &VersionToken::absent())
        .await
        .unwrap();

    const WRITERS: usize = 20;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..WRITERS {
        // One backend per writer, as separate forge processes would have.
        let backend = S3Backend::with_client(loc.clone(), s3.clone());
        tasks.spawn(async move {
            let mut conflicts = 0u32;
            loop {
                let (state, token) = backend.read().await.unwrap();
                let mut state = state.unwrap();
                state.serial += 1;
                state.outputs.insert(
                    format!("writer_{i:02}"),
                    OutputState {
                        value: serde_json::json!(state.serial),
                        sensitive: false,
                    },
                );
                match backend.write(&state, &token).await {
                    Ok(_) => return conflicts,
                    Err(BackendError::Conflict { .. }) => conflicts += 1,
                    Err(e) => panic!("writer {i}: {e}"),
                }
            }
        });
    }
    let mut conflicts = 0;
    while let Some(done) = tasks.join_next().await {
        conflicts += done.unwrap();
    }
    let (last, _) = first.read().await.unwrap();
    let last = last.unwrap();
    println!(
        "{WRITERS} writers: {conflicts} conflicts retried; final serial {}",
        last.serial
    );
    assert_eq!(last.serial, 1 + WRITERS as u64, "an update was lost");
    assert_eq!(last.lineage, initial.lineage);
    let mut serials: Vec<u64> = (0..WRITERS)
        .map(|i| {
            last.outputs
                .get(&format!("writer_{i:02}"))
                .unwrap_or_else(|| panic!("writer {i}'s update was lost"))
                .value
                .as_u64()
                .unwrap()
        })
        .collect();
    serials.sort();
    // Each writer's update landed on a distinct version: serials 2..=21.
    assert_eq!(serials, (2..=1 + WRITERS as u64).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_tokens_lineage_and_serial_are_refused_and_objects_encrypted() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let s3 = bucket(&emulator, "rules").await;
    let a = S3Backend::with_client(location("rules", "s.json", None), s3.clone());
    let b = S3Backend::with_client(location("rules", "s.json", None), s3.clone());

    assert_eq!(a.read().await.unwrap(), (None, VersionToken::absent()));
    let mut s = State::new("st", None);
    s.serial = 1;
    let t1 = a.write(&s, &VersionToken::absent()).await.unwrap();
    // A second, different "create" loses: the object exists now. (The
    // very same bytes would count as written: that is how a retried write
    // whose answer was lost is recognised.)
    let mut other_first = State::new("st", None);
    other_first.serial = 1;
    let err = b
        .write(&other_first, &VersionToken::absent())
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Conflict { .. }), "{err}");

    let (read_b, tb) = b.read().await.unwrap();
    assert_eq!(tb, t1);
    let mut next = read_b.unwrap();
    next.serial = 2;
    let t2 = b.write(&next, &tb).await.unwrap();
    assert_ne!(t1, t2);
    // `a` still holds t1: its (different) write must conflict, not
    // overwrite b's.
    s.serial = 2;
    s.outputs.insert(
        "from_a".into(),
        OutputState {
            value: serde_json::json!(1),
            sensitive: false,
        },
    );
    let err = a.write(&s, &t1).await.unwrap_err();
    match &err {
        BackendError::Conflict { found, .. } => assert_eq!(found, &t2),
        other => panic!("expected a conflict, got {other}"),
    }

    // Same version, another lineage: refused before any request.
    let (_, t) = a.read().await.unwrap();
    let mut other = State::new("st", None);
    other.serial = 3;
    let err = a.write(&other, &t).await.unwrap_err().to_string();
    assert!(err.contains("lineage"), "{err}");
    // Serial must advance by exactly one.
    let mut skip = next.clone();
    skip.serial = 5;
    let err = a.write(&skip, &t).await.unwrap_err().to_string();
    assert!(err.contains("serial"), "{err}");

    // Someone replaces the object with another history: the next read of a
    // backend that saw the old lineage refuses it.
    let mut foreign = State::new("st", None);
    foreign.serial = 1;
    let fresh = S3Backend::with_client(location("rules", "s.json", None), s3.clone());
    let (_, ft) = fresh.read().await.unwrap();
    S3Backend::with_client(location("rules", "s.json", None), s3.clone())
        .write(&foreign, &ft)
        .await
        .unwrap();
    let err = a.read().await.unwrap_err().to_string();
    assert!(err.contains("lineage"), "{err}");

    let head = s3
        .head_object()
        .bucket("rules")
        .key("s.json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256)
    );
    let kms = S3Backend::with_client(location("rules", "k.json", Some("alias/state")), s3.clone());
    kms.write(&State::new("st", None), &VersionToken::absent())
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("rules")
        .key("k.json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.ssekms_key_id(), Some("alias/state"));
}

/// The getting-started stack with its state in `s3://<bucket>/${stack}/${env}.json`.
pub fn use_s3_state(stack: &StackCopy, bucket: &str) {
    stack.edit(
        "stack.yaml",
        "state:\n  backend: local\n",
        &format!(
            "state:\n  backend: s3\n  bucket: {bucket}\n  key: \"${{stack}}/${{env}}.json\"\n  region: us-east-1\n"
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_migrate_push_and_pull() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    // The whole getting-started stack: its state holds a hashed secret,
    // which a migration must carry over unchanged.
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
    let dir = stack.path();
    let arg = stack.arg();
    let run = |args: &[&str]| forge.run(dir, args).unwrap_or_else(|e| panic!("{e}"));

    // Bootstrap twice: the second run changes nothing and still succeeds.
    for _ in 0..2 {
        run(&[
            "state",
            "bootstrap",
            "--bucket",
            "team-state",
            "--region",
            REGION,
        ])
        .expect_success();
    }
    let s3 = emulator.s3(REGION).await;
    let enc = s3
        .get_bucket_encryption()
        .bucket("team-state")
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm(),
        &aws_sdk_s3::types::ServerSideEncryption::Aes256
    );
    let pab = s3
        .get_public_access_block()
        .bucket("team-state")
        .send()
        .await
        .unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            pab.block_public_acls(),
            pab.ignore_public_acls(),
            pab.block_public_policy(),
            pab.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let policy = s3
        .get_bucket_policy()
        .bucket("team-state")
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"],
        "false"
    );
    assert_eq!(policy["Statement"][0]["Effect"], "Deny");
    // The emulator speaks plain HTTP, which that policy (rightly) refuses:
    // lift it to use the bucket from here on.
    s3.delete_bucket_policy()
        .bucket("team-state")
        .send()
        .await
        .unwrap();

    // Apply with local state, then switch the stack to S3 and migrate.
    run(&["apply", &arg, "-e", "dev", "--auto-approve"]).expect_success();
    let local_path = dir.join(".forge/state/getting-started-dev.json");
    let local = State::from_json(&std::fs::read(&local_path).unwrap()).unwrap();
    use_s3_state(&stack, "team-state");
    run(&["state", "migrate", &arg, "-e", "dev", "--from-local"]).expect_success();
    let object = s3
        .get_object()
        .bucket("team-state")
        .key("getting-started/dev.json")
        .send()
        .await
        .unwrap();
    let remote = State::from_json(&object.body.collect().await.unwrap().into_bytes()).unwrap();
    assert_eq!(remote.lineage, local.lineage);
    assert_eq!(remote.serial, local.serial + 1);
    assert_eq!(remote.resources, local.resources);
    assert_eq!(remote.outputs, local.outputs);
    // No lock left behind on either side.
    assert!(
        !dir.join(".forge/state/getting-started-dev.json.lock")
            .exists()
    );
    assert!(
        s3.head_object()
            .bucket("team-state")
            .key("getting-started/dev.json.lock")
            .send()
            .await
            .is_err()
    );
    // The S3 state is the stack's state now: nothing to change.
    run(&["plan", &arg, "-e", "dev", "--detailed-exitcode"]).expect_code(0);

    // pull prints it; push of an older copy is refused, with --force allowed.
    let pulled = run(&["state", "pull", &arg, "-e", "dev"]);
    pulled.expect_success();
    let pulled_state = State::from_json(pulled.stdout.as_bytes()).unwrap();
    assert_eq!(pulled_state, remote);
    let old = dir.join("old.json");
    std::fs::write(&old, std::fs::read(&local_path).unwrap()).unwrap();
    let refused = run(&["state", "push", old.to_str().unwrap(), &arg, "-e", "dev"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("serial"), "{refused}");
    run(&[
        "state",
        "push",
        old.to_str().unwrap(),
        &arg,
        "-e",
        "dev",
        "--force",
    ])
    .expect_success();
    // Versioning is on: earlier versions of the state are kept. (moto's
    // GetBucketVersioning answer does not parse in the SDK, so it is
    // checked by its effect.)
    let versions = s3
        .list_object_versions()
        .bucket("team-state")
        .prefix("getting-started/dev.json")
        .send()
        .await
        .unwrap();
    let of_state = versions
        .versions()
        .iter()
        .filter(|v| v.key() == Some("getting-started/dev.json"))
        .count();
    assert!(
        of_state >= 2,
        "migrate and push wrote two versions: {versions:?}"
    );
    let foreign = dir.join("foreign.json");
    let mut other = State::new("getting-started", Some("dev".into()));
    other.serial = 100;
    std::fs::write(&foreign, other.to_json_pretty().unwrap()).unwrap();
    let refused = run(&[
        "state",
        "push",
        foreign.to_str().unwrap(),
        &arg,
        "-e",
        "dev",
    ]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("lineage"), "{refused}");

    // And back to local.
    std::fs::remove_file(&local_path).unwrap();
    run(&["state", "migrate", &arg, "-e", "dev", "--to", "local"]).expect_success();
    let back = State::from_json(&std::fs::read(&local_path).unwrap()).unwrap();
    assert_eq!(back.lineage, local.lineage);
    assert_eq!(back.resources, local.resources);

    run(&["destroy", &arg, "-e", "dev", "--auto-approve"]).expect_success();
}

/// Only `PUT`s of the state object (not of its lock), after the first
/// `pass` of them.
fn state_puts_after(pass: usize) -> forge_e2e::ActionFilter {
    let seen = std::sync::atomic::AtomicUsize::new(0);
    forge_e2e::ActionFilter::new(move |key| {
        key == "S3:PUT fault-state/getting-started/dev.json"
            && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= pass
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_writes_through_slowdown_and_500s_then_emergency_file_and_push() {
    forge_e2e::require_emulator!("injects S3 slowdowns and 500s through the fault proxy");
    use forge_e2e::{FaultConfig, Proxy};
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let s3 = bucket(&emulator, "fault-state").await;
    let proxy = Proxy::start(
        &emulator.endpoint,
        FaultConfig::none()
            .with_throttle(0.3)
            .with_errors(0.3)
            .with_seed(11)
            .only(state_puts_after(0)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut env = proxy.env();
    env.push(("FORGE_STATE_RETRIES".into(), "8".into()));
    let forge = Forge::new(env).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::getting_started_network().unwrap_or_else(|e| panic!("{e}"));
    use_s3_state(&stack, "fault-state");
    let dir = stack.path();
    let arg = stack.arg();
    let run = |args: &[&str]| forge.run(dir, args).unwrap_or_else(|e| panic!("{e}"));
    let s3r = &s3;
    let read_state = move || async move {
        let o = s3r
            .get_object()
            .bucket("fault-state")
            .key("getting-started/dev.json")
            .send()
            .await
            .unwrap();
        State::from_json(&o.body.collect().await.unwrap().into_bytes()).unwrap()
    };

    // 60% of state writes answered 503 SlowDown or 500: retried, converges.
    let out = run(&["apply", &arg, "-e", "dev", "--auto-approve"]);
    let injected = proxy.faults_injected();
    println!("state writes with faults: {injected:?}");
    out.expect_success();
    assert!(injected.values().sum::<u64>() > 0, "no fault injected");
    let saved = read_state().await;
    assert_eq!(saved.resources.len(), 16);
    assert!(
        saved
            .resources
            .iter()
            .all(|r| r.id.is_some() && r.pending.is_none())
    );
    run(&["destroy", &arg, "-e", "dev", "--auto-approve"]).expect_success();

    // Every state write after the first two fails for good: forge stops,
    // keeps the state in an emergency file and says how to restore it.
    proxy.set_faults(
        FaultConfig::none()
            .with_errors(1.0)
            .only(state_puts_after(2)),
    );
    let before = read_state().await;
    let failed = run(&["apply", &arg, "-e", "dev", "--auto-approve"]);
    failed.expect_code(1);
    assert!(failed.stderr.contains("state push"), "{failed}");
    let emergency_dir = dir.join(".forge/emergency");
    let files: Vec<_> = std::fs::read_dir(&emergency_dir)
        .unwrap_or_else(|e| panic!("no {} ({e})\n{failed}", emergency_dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert!(
        failed.stderr.contains(&file.display().to_string()),
        "{failed}"
    );
    let kept = State::from_json(&std::fs::read(file).unwrap()).unwrap();
    let stored = read_state().await;
    assert_eq!(kept.lineage, before.lineage);
    assert_eq!(
        stored.serial,
        before.serial + 2,
        "exactly the first two writes landed"
    );
    let recorded = |s: &State| s.resources.iter().filter(|r| r.id.is_some()).count();
    assert!(
        recorded(&kept) > recorded(&stored),
        "the emergency file must hold what S3 missed ({} vs {})",
        recorded(&kept),
        recorded(&stored)
    );
    // The lock was still released (lock writes were not failing).
    assert!(
        s3.head_object()
            .bucket("fault-state")
            .key("getting-started/dev.json.lock")
            .send()
            .await
            .is_err()
    );

    // S3 recovers; push restores the emergency file.
    proxy.set_faults(FaultConfig::none());
    run(&["state", "push", file.to_str().unwrap(), &arg, "-e", "dev"]).expect_success();
    let restored = read_state().await;
    assert_eq!(restored.serial, stored.serial + 1);
    assert_eq!(restored.resources, kept.resources);
    // The next apply finishes the interrupted work without duplicating.
    run(&["apply", &arg, "-e", "dev", "--auto-approve"]).expect_success();
    let done = read_state().await;
    assert_eq!(done.resources.len(), 16);
    let ec2 = emulator.ec2(REGION).await;
    let vpcs = ec2.describe_vpcs().filters(
        aws_sdk_ec2::types::Filter::builder()
            .name("tag:forge:stack")
            .values("getting-started")
            .build(),
    );
    assert_eq!(vpcs.send().await.unwrap().vpcs().len(), 1);
    run(&["destroy", &arg, "-e", "dev", "--auto-approve"]).expect_success();
    let left = forge_e2e::network::leftovers(&ec2).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}
