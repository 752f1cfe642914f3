//! The `k8saudit` plugin: Kubernetes audit events from a webhook or files, and the `ka.*` fields.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod extract;
pub mod fields;
pub mod webhook;

pub use extract::{AuditFieldExtractor, FieldError};
pub use fields::{field_index, FIELDS};
