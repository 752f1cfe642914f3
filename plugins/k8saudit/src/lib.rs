//! The `k8saudit` plugin: Kubernetes audit events from a webhook or files, and the `ka.*` fields.

pub mod webhook;
