//! Container metadata from CRI runtimes (containerd, cri-o, k3s …): the CRI
//! `runtime.v1.RuntimeService` over gRPC on a unix socket. Calls: `Version` (which runtime,
//! hence `container.type`), `ListContainers` (id prefix lookup, and polling for new
//! containers, because containerd 1.6 has no `GetContainerEvents`), `ContainerStatus` and
//! `PodSandboxStatus`, both verbose.

pub mod client;
pub mod mapping;
pub mod proto;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub use client::{CriClient, CriError};

use crate::cgroup::SHORT_ID_LEN;
use crate::info::{ContainerInfo, ContainerType};

/// One CRI socket; connects at first use, and again after a failed call.
pub struct CriEndpoint {
    socket: PathBuf,
    timeout: Duration,
    connection: Mutex<Option<(CriClient, ContainerType)>>,
}

impl std::fmt::Debug for CriEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CriEndpoint").field("socket", &self.socket).finish()
    }
}

impl CriEndpoint {
    /// An endpoint for `socket` whose calls wait at most `timeout` each; nothing is dialled yet.
    pub fn new(socket: PathBuf, timeout: Duration) -> Self {
        CriEndpoint {
            socket,
            timeout,
            connection: Mutex::new(None),
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The container type this runtime's containers get (`Version().runtime_name`).
    pub fn container_type(&self) -> Result<ContainerType, CriError> {
        self.with_client(|_, ty| Ok(ty))
    }

    /// The container (or, failing that, the pod sandbox) whose id starts with `id`;
    /// `Ok(None)` when the runtime knows neither.
    pub fn inspect(&self, id: &str, label_max_len: usize) -> Result<Option<ContainerInfo>, CriError> {
        self.with_client(|c, ty| {
            if let Some(ctr) = c.list_containers(id)?.into_iter().next() {
                return describe(c, ty, &ctr, label_max_len);
            }
            Ok(c.pod_sandbox_status(id)?
                .map(|s| mapping::sandbox_to_info(s, ty, label_max_len)))
        })
    }

    /// Every container the runtime lists whose short id `is_known` does not accept, described.
    pub fn describe_new(
        &self,
        is_known: &dyn Fn(&str) -> bool,
        label_max_len: usize,
    ) -> Result<Vec<ContainerInfo>, CriError> {
        self.with_client(|c, ty| {
            let mut found = Vec::new();
            for ctr in c.list_containers("")? {
                if is_known(crate::truncate(&ctr.id, SHORT_ID_LEN)) {
                    continue;
                }
                if let Some(info) = describe(c, ty, &ctr, label_max_len)? {
                    found.push(info);
                }
            }
            Ok(found)
        })
    }

    fn with_client<T>(&self, f: impl FnOnce(&CriClient, ContainerType) -> Result<T, CriError>) -> Result<T, CriError> {
        let mut conn = lock(&self.connection);
        if conn.is_none() {
            let client = CriClient::connect(&self.socket, self.timeout)?;
            let ty = mapping::runtime_type(&client.version()?.runtime_name);
            *conn = Some((client, ty));
        }
        let (client, ty) = conn.as_ref().expect("connected above");
        let result = f(client, *ty);
        if result.is_err() {
            // The runtime may have restarted: dial again next time.
            *conn = None;
        }
        result
    }
}

/// Container `ctr` with its status and its sandbox's status; `None` if it went away meanwhile.
fn describe(
    c: &CriClient,
    ty: ContainerType,
    ctr: &proto::Container,
    label_max_len: usize,
) -> Result<Option<ContainerInfo>, CriError> {
    let Some(status) = c.container_status(&ctr.id)? else {
        return Ok(None);
    };
    // The sandbox adds pod name, namespace, labels and network; the container stands without.
    let sandbox = c.pod_sandbox_status(&ctr.pod_sandbox_id).ok().flatten();
    Ok(Some(mapping::to_info(status, sandbox, ty, label_max_len)))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
