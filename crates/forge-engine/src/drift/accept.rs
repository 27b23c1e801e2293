//! [`Engine::accept_drift`]: `forge refresh`, writing the live cloud into
//! the state after the user saw the drift report.

use super::DriftReport;
use crate::engine::{Engine, check_stack, under_lock};
use crate::error::EngineError;
use crate::refresh::{apply_observed, observe_all};
use crate::retry::RetryPolicy;
use crate::state::{BackendError, State, StateBackend, VersionToken};
use forge_core::spec::Stack;

impl Engine {
    /// Updates the state to the live values (accepting the drift in
    /// `report`): attributes refreshed, resources deleted outside forge
    /// forgotten. Orphans are left alone (adopt them with `forge import`).
    ///
    /// Runs under the state lock and refuses, without writing, if the state
    /// is no longer the one the report was made from (another run wrote it
    /// since), so the preview the user confirmed is what gets accepted.
    pub async fn accept_drift(
        &self,
        stack: &Stack,
        backend: &dyn StateBackend,
        report: &DriftReport,
        retry: &RetryPolicy,
    ) -> Result<State, EngineError> {
        under_lock(backend, "refresh", async {
            let (state, token) = backend.read().await?;
            let state =
                state.ok_or_else(|| EngineError::NotInState("(there is no state yet)".into()))?;
            check_stack(stack, &state, backend)?;
            if report.state_lineage.as_deref() != Some(state.lineage.as_str())
                || report.state_serial != state.serial
            {
                return Err(EngineError::State(BackendError::Conflict {
                    location: backend.location(),
                    expected: VersionToken(Some(format!(
                        "serial {} of lineage {}",
                        report.state_serial,
                        report.state_lineage.as_deref().unwrap_or("(none)")
                    ))),
                    found: VersionToken(Some(format!(
                        "serial {} of lineage {}",
                        state.serial, state.lineage
                    ))),
                }));
            }
            let observed = observe_all(self.registry(), &state, retry).await?;
            let mut refreshed = apply_observed(self.registry(), state, &observed);
            refreshed.serial += 1;
            backend.write(&refreshed, &token).await?;
            Ok(refreshed)
        })
        .await
    }
}
