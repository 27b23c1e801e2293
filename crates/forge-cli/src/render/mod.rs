//! Human renderings for a terminal: plans ([`render_plan`]), drift
//! reports ([`render_drift`]) and the preview `forge refresh` shows
//! ([`render_refresh_preview`]), the many-stack drift table
//! ([`render_summary`]), plans as markdown for a pull-request comment
//! ([`render_plan_markdown`]) and the line that ends an apply
//! ([`render_apply_summary`]), and one resource of the state
//! ([`render_resource`], `forge state show`), and the `--json` event
//! stream of an apply ([`EventStream`]). The human ones take `color` (ANSI colours; the binary
//! decides from `NO_COLOR`, `--no-color` and whether stdout is a terminal).

mod adoption;
mod apply;
mod data;
mod drift;
mod events;
mod markdown;
mod paint;
mod pending;
mod plan;
mod state;
mod summary;

pub use apply::render_apply_summary;
pub use drift::{render_drift, render_refresh_preview, value_text, verdict};
pub use events::EventStream;
pub use markdown::render_plan_markdown;
pub use plan::render_plan;
pub use state::render_resource;
pub use summary::render_summary;
