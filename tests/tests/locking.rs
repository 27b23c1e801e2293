//! Issue 7: the S3 state lock.
//!
//! - the protocol against the emulator: exclusive, renewed by its
//!   heartbeat, an expired lock taken over by exactly one of several
//!   racing runs, released only by its holder, `force-unlock` only with the
//!   right id;
//! - two real `forge apply` processes on one S3 state at once: exactly one
//!   proceeds and the other fails with the lock message; with
//!   `--lock-timeout` the other waits and then proceeds on the new state.

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use chrono::Utc;
use forge_aws::state::{S3Backend, S3Location};
use forge_e2e::network::leftovers;
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};
use forge_engine::state::{LockError, LockInfo, StateBackend};
use std::time::{Duration, Instant};

const REGION: &str = "us-east-1";

fn backend(s3: &aws_sdk_s3::Client) -> S3Backend {
    S3Backend::with_client(
        S3Location {
            bucket: "locks".into(),
            key: "app/dev.json".into(),
            region: REGION.into(),
            kms_key_id: None,
            endpoint: None,
        },
        s3.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lock_protocol_on_s3() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let s3 = emulator.s3(REGION).await;
    s3.create_bucket().bucket("locks").send().await.unwrap();
    let a = backend(&s3);
    let b = backend(&s3);

    let first = LockInfo::new("apply", chrono::Duration::seconds(6));
    let guard = a.lock(first.clone()).await.unwrap();
    let stored = b.lock_info().await.unwrap().unwrap();
    assert_eq!(stored, first, "the lock object holds the holder's info");

    let err = b
        .lock(LockInfo::new("apply", chrono::Duration::minutes(10)))
        .await
        .unwrap_err();
    let LockError::Held { info } = &err else {
        panic!("expected Held, got {err}")
    };
    assert_eq!(info.id, first.id);
    let msg = err.to_string();
    for part in [
        format!("locked by {} for apply since", first.who),
        format!("lock id {}", first.id),
        format!("run `forge force-unlock {}` if you are sure", first.id),
    ] {
        assert!(msg.contains(&part), "{part:?} not in {msg:?}");
    }

    // The heartbeat pushes the expiry forward while the lock is held.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = b.lock_info().await.unwrap().unwrap();
        assert_eq!(now.id, first.id, "the held lock was taken over");
        if now.expires > first.expires {
            break;
        }
        assert!(Instant::now() < deadline, "the lock was never renewed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Only the holder's id releases it.
    let err = b.force_unlock("not-the-id").await.unwrap_err();
    assert!(matches!(err, LockError::Mismatch { .. }), "{err}");
    a.unlock(&guard.info.id).await.unwrap();
    assert_eq!(b.lock_info().await.unwrap(), None);
    assert!(matches!(
        a.unlock(&guard.info.id).await,
        Err(LockError::NotLocked)
    ));

    // A run killed an hour ago left its lock: it has expired. Eight runs
    // race to take it over; the conditional write lets exactly one win.
    let dead = LockInfo {
        id: "dead-run".into(),
        who: "ci@runner".into(),
        operation: "apply".into(),
        version: "0.0.0".into(),
        created: Utc::now() - chrono::Duration::hours(1),
        expires: Some(Utc::now() - chrono::Duration::minutes(30)),
    };
    s3.put_object()
        .bucket("locks")
        .key("app/dev.json.lock")
        .body(serde_json::to_vec(&dead).unwrap().into())
        .send()
        .await
        .unwrap();
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let r = backend(&s3);
        racers.spawn(async move {
            let got = r
                .lock(LockInfo::new("apply", chrono::Duration::minutes(10)))
                .await;
            (r, got)
        });
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    while let Some(done) = racers.join_next().await {
        let (r, got) = done.unwrap();
        match got {
            Ok(g) => winners.push((r, g)),
            Err(LockError::Held { info }) => losers.push(info.id),
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one run takes an expired lock over"
    );
    let (winner, wguard) = winners.pop().unwrap();
    assert!(losers.iter().all(|id| *id == wguard.info.id), "{losers:?}");
    assert_eq!(b.lock_info().await.unwrap().unwrap().id, wguard.info.id);

    // force-unlock (from another process) with the right id removes it.
    b.force_unlock(&wguard.info.id).await.unwrap();
    assert_eq!(b.lock_info().await.unwrap(), None);
    // The former holder's release now finds no lock of its own.
    assert!(winner.unlock(&wguard.info.id).await.is_err());
}

fn s3_stack(bucket: &str) -> StackCopy {
    let stack = StackCopy::getting_started_network().unwrap_or_else(|e| panic!("{e}"));
    stack.edit(
        "stack.yaml",
        "state:\n  backend: local\n",
        &format!(
            "state:\n  backend: s3\n  bucket: {bucket}\n  key: \"${{stack}}/${{env}}.json\"\n  region: us-east-1\n"
        ),
    );
    stack
}

/// Runs the same forge command twice at once.
fn race(forge: &Forge, stack: &StackCopy, args: &[&str]) -> (RunOutput, RunOutput) {
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        let run = || {
            barrier.wait();
            forge
                .run(stack.path(), args)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let a = s.spawn(run);
        let b = s.spawn(run);
        (a.join().unwrap(), b.join().unwrap())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_forge_applies_on_one_s3_state() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    emulator
        .s3(REGION)
        .await
        .create_bucket()
        .bucket("shared-state")
        .send()
        .await
        .unwrap();
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = s3_stack("shared-state");
    let arg = stack.arg();

    // Without --lock-timeout: one proceeds, the other fails at once.
    let (a, b) = race(
        &forge,
        &stack,
        &["apply", &arg, "-e", "dev", "--auto-approve"],
    );
    let (winner, loser) = if a.code() == Some(0) { (a, b) } else { (b, a) };
    winner.expect_success();
    loser.expect_code(1);
    assert!(
        loser.stderr.contains("locked by") && loser.stderr.contains("for apply since"),
        "{loser}"
    );
    assert!(loser.stderr.contains("forge force-unlock"), "{loser}");
    assert!(winner.stdout.contains("Apply complete"), "{winner}");
    let ec2 = emulator.ec2(REGION).await;
    let vpcs = ec2.describe_vpcs().filters(
        aws_sdk_ec2::types::Filter::builder()
            .name("tag:forge:stack")
            .values("getting-started")
            .build(),
    );
    assert_eq!(
        vpcs.send().await.unwrap().vpcs().len(),
        1,
        "the loser created nothing"
    );
    forge
        .run(
            stack.path(),
            &["plan", &arg, "-e", "dev", "--detailed-exitcode"],
        )
        .unwrap()
        .expect_code(0);

    // With --lock-timeout: the second waits, then plans on the state the
    // first left (nothing left to destroy) and succeeds too.
    let (a, b) = race(
        &forge,
        &stack,
        &[
            "destroy",
            &arg,
            "-e",
            "dev",
            "--auto-approve",
            "--lock-timeout",
            "5m",
        ],
    );
    a.expect_success();
    b.expect_success();
    let worked = [&a, &b]
        .iter()
        .filter(|o| o.stdout.contains("Destroy complete!"))
        .count();
    assert_eq!(worked, 1, "exactly one destroy did the work\n{a}\n{b}");
    assert!(
        a.stderr.contains("Waiting for the state lock")
            || b.stderr.contains("Waiting for the state lock"),
        "neither run waited for the other\n{a}\n{b}"
    );
    let left = leftovers(&ec2).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}
