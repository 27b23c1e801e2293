//! Moving a stack's state between backends (`forge state migrate`) and
//! restoring a saved copy (`forge state push`), without loss: both under
//! the lock(s), lineage kept, serial advanced by one over what the target
//! held, and the copy read back and compared before it counts as done.

use forge_engine::state::{BackendError, LockError, LockInfo, State, StateBackend};

/// Why a migrate or push was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The source holds no state.
    #[error("there is no state at {0} to copy")]
    NoSource(String),
    /// The target holds a different history of the stack.
    #[error(
        "{location} holds state lineage {found}, not {expected}: a different history of the stack; \
         refusing to overwrite it{hint}"
    )]
    Lineage {
        /// The target.
        location: String,
        /// The lineage being written.
        expected: String,
        /// The lineage found.
        found: String,
        /// How to proceed anyway, if possible.
        hint: &'static str,
    },
    /// The target is ahead of what would be written.
    #[error(
        "{location} holds serial {found}, newer than the serial {given} being written; refusing to go back{hint}"
    )]
    Older {
        /// The target.
        location: String,
        /// The serial being written.
        given: u64,
        /// The serial found.
        found: u64,
        /// How to proceed anyway, if possible.
        hint: &'static str,
    },
    /// Reading back did not give what was written.
    #[error("the state read back from {0} differs from what was written")]
    Verify(String),
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A lock could not be taken or released.
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The lineage (unchanged).
    pub lineage: String,
    /// The serial now stored at the target.
    pub serial: u64,
    /// Resources copied.
    pub resources: usize,
}

fn lock_info(operation: &str) -> LockInfo {
    LockInfo::new(operation, chrono::Duration::minutes(10))
}

/// Runs `f` holding `backend`'s lock, releasing it on every path.
async fn locked<T>(
    backend: &dyn StateBackend,
    operation: &str,
    f: impl std::future::Future<Output = Result<T, MigrateError>>,
) -> Result<T, MigrateError> {
    let guard = backend.lock(lock_info(operation)).await?;
    let out = f.await;
    let unlocked = backend.unlock(&guard.info.id).await;
    match (out, unlocked) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

/// Writes `state` over whatever `target` holds (checked against `force`),
/// with the serial one past the target's, and verifies by reading back.
/// `writer`, if given, is a fresh instance of the same backend used only
/// for the write: a backend remembers the lineage it read and refuses to
/// change it, which `--force` means to do.
async fn write_checked(
    target: &dyn StateBackend,
    writer: Option<&dyn StateBackend>,
    mut state: State,
    force: bool,
    hint: &'static str,
) -> Result<Copied, MigrateError> {
    let location = target.location();
    let (current, token) = target.read().await?;
    if let Some(cur) = &current {
        if cur.lineage != state.lineage && !force {
            return Err(MigrateError::Lineage {
                location,
                expected: state.lineage,
                found: cur.lineage.clone(),
                hint,
            });
        }
        if cur.serial > state.serial && !force {
            return Err(MigrateError::Older {
                location,
                given: state.serial,
                found: cur.serial,
                hint,
            });
        }
    }
    state.serial = current.as_ref().map_or(state.serial, |c| c.serial) + 1;
    let writer = match (&current, writer) {
        (Some(cur), Some(w)) if cur.lineage != state.lineage => w,
        _ => target,
    };
    writer.write(&state, &token).await?;
    let (back, _) = writer.read().await?;
    if back.as_ref() != Some(&state) {
        return Err(MigrateError::Verify(location));
    }
    Ok(Copied {
        lineage: state.lineage.clone(),
        serial: state.serial,
        resources: state.resources.len(),
    })
}

/// Copies the state from `from` to `to` under both locks: same lineage,
/// serial one past the target's (or the source's if the target is empty).
/// Refuses a target holding another lineage or a newer serial.
pub async fn copy_state(
    from: &dyn StateBackend,
    to: &dyn StateBackend,
) -> Result<Copied, MigrateError> {
    locked(from, "state migrate", async {
        locked(to, "state migrate", async {
            let (state, _) = from.read().await?;
            let state = state.ok_or_else(|| MigrateError::NoSource(from.location()))?;
            write_checked(to, None, state, false, "").await
        })
        .await
    })
    .await
}

/// Restores `state` (a saved file, the emergency copy) into `to` under its
/// lock. Without `force` it refuses another lineage or a serial lower than
/// the stored one. `fresh` is a second instance of `to`'s backend, used
/// only when `force` replaces the lineage.
pub async fn push_state(
    to: &dyn StateBackend,
    fresh: Option<&dyn StateBackend>,
    state: State,
    force: bool,
) -> Result<Copied, MigrateError> {
    locked(to, "state push", async {
        write_checked(to, fresh, state, force, " (use --force if you are sure)").await
    })
    .await
}
