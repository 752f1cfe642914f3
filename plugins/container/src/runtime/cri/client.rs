//! A blocking CRI client: tonic gRPC over a unix socket, driven by a current-thread tokio
//! runtime that the client owns. The plugin calls it from its lookup and poll threads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use http::uri::PathAndQuery;
use hyper_util::rt::TokioIo;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::{Code, Status};

use super::proto;

/// Failures of a CRI call.
#[derive(Debug, thiserror::Error)]
pub enum CriError {
    #[error("cannot start the CRI client's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot connect to the CRI socket {socket}: {source}")]
    Connect {
        socket: String,
        source: tonic::transport::Error,
    },
    #[error("CRI socket {socket}: {call} failed: {status}")]
    Call {
        socket: String,
        call: &'static str,
        status: Box<Status>,
    },
}

/// One connection to a CRI runtime.
pub struct CriClient {
    socket: PathBuf,
    runtime: tokio::runtime::Runtime,
    channel: Channel,
}

impl std::fmt::Debug for CriClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CriClient").field("socket", &self.socket).finish()
    }
}

impl CriClient {
    /// Connects to `socket`; every call then waits at most `timeout`.
    pub fn connect(socket: &Path, timeout: Duration) -> Result<Self, CriError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(CriError::Runtime)?;
        let path = socket.to_owned();
        // The URI is required by tonic but unused: the connector always dials the socket.
        let endpoint = Endpoint::from_static("http://cri.sock")
            .connect_timeout(timeout)
            .timeout(timeout);
        let channel = run(&runtime, async move {
            endpoint
                .connect_with_connector(tower::service_fn(move |_: Uri| {
                    let path = path.clone();
                    async move { Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(path).await?)) }
                }))
                .await
        })
        .map_err(|source| CriError::Connect {
            socket: socket.display().to_string(),
            source,
        })?;
        Ok(CriClient {
            socket: socket.to_owned(),
            runtime,
            channel,
        })
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub fn version(&self) -> Result<proto::VersionResponse, CriError> {
        let req = proto::VersionRequest { version: "v1".into() };
        self.unary(proto::VERSION, "Version", req)
    }

    /// Containers whose id starts with `id_prefix` (`""` = all).
    pub fn list_containers(&self, id_prefix: &str) -> Result<Vec<proto::Container>, CriError> {
        let req = proto::ListContainersRequest {
            filter: (!id_prefix.is_empty()).then(|| proto::ContainerFilter {
                id: id_prefix.to_owned(),
            }),
        };
        let resp: proto::ListContainersResponse = self.unary(proto::LIST_CONTAINERS, "ListContainers", req)?;
        Ok(resp.containers)
    }

    /// The verbose status of container `id`; `None` if the runtime does not know it.
    pub fn container_status(&self, id: &str) -> Result<Option<proto::ContainerStatusResponse>, CriError> {
        let req = proto::ContainerStatusRequest {
            container_id: id.to_owned(),
            verbose: true,
        };
        not_found_as_none(self.unary(proto::CONTAINER_STATUS, "ContainerStatus", req))
    }

    /// The verbose status of pod sandbox `id`; `None` if the runtime does not know it.
    pub fn pod_sandbox_status(&self, id: &str) -> Result<Option<proto::PodSandboxStatusResponse>, CriError> {
        let req = proto::PodSandboxStatusRequest {
            pod_sandbox_id: id.to_owned(),
            verbose: true,
        };
        not_found_as_none(self.unary(proto::POD_SANDBOX_STATUS, "PodSandboxStatus", req))
    }

    /// One unary call: `path` is the gRPC method path (`/runtime.v1.RuntimeService/…`), `call`
    /// its name for messages. Tests use it for the calls the plugin does not make.
    pub fn unary<Req, Resp>(&self, path: &'static str, call: &'static str, req: Req) -> Result<Resp, CriError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        let result = run(&self.runtime, async move {
            grpc.ready()
                .await
                .map_err(|e| Status::unavailable(format!("connection not ready: {e}")))?;
            let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
            grpc.unary(tonic::Request::new(req), PathAndQuery::from_static(path), codec)
                .await
                .map(tonic::Response::into_inner)
        });
        result.map_err(|status| CriError::Call {
            socket: self.socket.display().to_string(),
            call,
            status: Box::new(status),
        })
    }
}

fn not_found_as_none<T>(r: Result<T, CriError>) -> Result<Option<T>, CriError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(CriError::Call { status, .. }) if status.code() == Code::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Runs `fut` to completion on the client's runtime. A caller already inside a tokio runtime
/// (a host that calls the plugin from async code) cannot block on another one in place, so
/// the future then runs on a short-lived thread.
fn run<F>(runtime: &tokio::runtime::Runtime, fut: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(fut);
    }
    std::thread::scope(|s| {
        s.spawn(|| runtime.block_on(fut))
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}
