//! Container runtimes the plugin asks for metadata: which sockets, in which order, and one
//! lookup over all of them.
//!
//! Docker and podman are asked through their Docker-compatible REST API, CRI runtimes
//! (containerd, cri-o) through CRI gRPC. Native containerd (not CRI) is not implemented yet:
//! its containers get an id from cgroups but no metadata.

pub mod cri;
pub mod docker;
pub mod http;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cri::CriEndpoint;

use crate::info::{ContainerInfo, ContainerType};

/// One Docker-API runtime socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub ty: ContainerType,
    pub socket: PathBuf,
}

/// Result of asking every runtime about one id.
#[derive(Debug)]
pub enum Lookup {
    Found(Box<ContainerInfo>),
    /// Every runtime answered and none knows the id (or no runtime is reachable).
    Unknown,
    /// No runtime knew it and at least one failed; the messages say which and why.
    Failed(Vec<String>),
}

/// The runtimes to ask, in order.
#[derive(Debug, Clone, Default)]
pub struct Runtimes {
    /// Docker-API sockets (podman, docker), asked first.
    pub endpoints: Vec<Endpoint>,
    /// CRI sockets, asked after the Docker-API ones.
    pub cri: Vec<Arc<CriEndpoint>>,
    /// Labels with longer values are dropped (`label_max_len`).
    pub label_max_len: usize,
    /// Deadline of each socket read/write.
    pub io_timeout: Duration,
}

impl Runtimes {
    /// No runtime to ask.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty() && self.cri.is_empty()
    }

    /// Asks each runtime in turn until one knows `id`.
    pub fn lookup(&self, id: &str) -> Lookup {
        let mut errors = Vec::new();
        for ep in &self.endpoints {
            match docker::inspect(&ep.socket, id, ep.ty, self.label_max_len, self.io_timeout) {
                Ok(Some(info)) => return Lookup::Found(Box::new(info)),
                Ok(None) => {}
                Err(e) => errors.push(format!("{}: {e}", ep.ty.as_str())),
            }
        }
        for ep in &self.cri {
            match ep.inspect(id, self.label_max_len) {
                Ok(Some(info)) => return Lookup::Found(Box::new(info)),
                Ok(None) => {}
                Err(e) => errors.push(format!("cri: {e}")),
            }
        }
        if errors.is_empty() {
            Lookup::Unknown
        } else {
            Lookup::Failed(errors)
        }
    }

    /// Every container each runtime knows now (for the cache at start); failures are
    /// returned beside the results.
    pub fn list_all(&self) -> (Vec<ContainerInfo>, Vec<String>) {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for ep in &self.endpoints {
            let ids = match docker::list(&ep.socket, self.io_timeout) {
                Ok(ids) => ids,
                Err(e) => {
                    errors.push(format!("{}: {e}", ep.ty.as_str()));
                    continue;
                }
            };
            for id in ids {
                match docker::inspect(&ep.socket, &id, ep.ty, self.label_max_len, self.io_timeout) {
                    Ok(Some(info)) => found.push(info),
                    Ok(None) => {}
                    Err(e) => errors.push(format!("{}: {e}", ep.ty.as_str())),
                }
            }
        }
        let (mut cri_found, cri_errors) = self.new_cri_containers(&|_| false);
        found.append(&mut cri_found);
        errors.extend(cri_errors);
        (found, errors)
    }

    /// The containers of the CRI runtimes whose short id `is_known` does not accept (the CRI
    /// of containerd 1.6 sends no events: new containers are found by polling this).
    pub fn new_cri_containers(&self, is_known: &dyn Fn(&str) -> bool) -> (Vec<ContainerInfo>, Vec<String>) {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for ep in &self.cri {
            match ep.describe_new(is_known, self.label_max_len) {
                Ok(mut infos) => found.append(&mut infos),
                Err(e) => errors.push(format!("cri: {e}")),
            }
        }
        (found, errors)
    }
}
