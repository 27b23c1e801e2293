//! Errors of the test harness: starting the emulator, running forge, the proxy.

/// Something in the harness (not in forge) went wrong.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// `scripts/emulator-venv` failed.
    #[error("scripts/emulator-venv failed ({status}):\n{stderr}")]
    Venv { status: String, stderr: String },
    /// A program could not be started.
    #[error("cannot run {what}: {source}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// Some I/O of the harness failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The emulator did not come up.
    #[error("emulator did not start: {reason}\n--- emulator log ---\n{log}")]
    Start { reason: String, log: String },
    /// `POST /moto-api/reset` did not answer 200.
    #[error("emulator reset answered HTTP {status}: {body}")]
    Reset { status: u16, body: String },
    /// Building the forge binary failed.
    #[error("building the forge binary failed ({status}):\n{stderr}")]
    Build { status: String, stderr: String },
}
