//! The proxy's request log: every request in arrival order with the fault
//! it got, so a test can tell which calls were sent again after a fault
//! (e.g. a `kms:CreateKey` answered 500 after the emulator created the key,
//! then sent a second time by a retry layer).

/// One request the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The proxy's request number (1-based, in arrival order).
    pub id: u64,
    /// The action's counting key (`kms:CreateKey`, `ec2:CreateVpc`, ...).
    pub action: String,
    /// The fault injected into it (`error500_after`, `throttle`, ...), if
    /// any.
    pub fault: Option<&'static str>,
}
