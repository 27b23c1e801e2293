//! What the `forge` binary shows people, as a small library: the human
//! renderings of plans and drift reports ([`render`]).
//!
//! The engine (forge-engine) returns data — a `Plan`, a `DriftReport`,
//! their JSON forms — and leaves presentation to its caller; this crate's
//! binary is that caller. The renderers sit in a library target rather
//! than in the binary's modules for one reason: their output is pinned by
//! insta snapshots in `tests/`, made from plans and reports of the real
//! engine over forge-testkit's fake provider, and integration tests cannot
//! reach a binary's modules. It is not an embedding API: an embedder
//! renders the engine's data its own way (or prints its JSON).

pub mod render;
