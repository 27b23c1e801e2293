//! Live progress of an apply: one line per in-flight resource.
