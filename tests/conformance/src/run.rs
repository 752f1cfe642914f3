//! Running one engine invocation with a time limit, and grpcurl for the gRPC check.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::command::Invocation;
use crate::judge::RunOutput;
use crate::suite::GrpcCheck;

/// The suite's per-run limit; the engine is killed (SIGKILL) after it.
pub const ENGINE_TIMEOUT: Duration = Duration::from_secs(180);
/// How often a running engine is polled for exit (and for the gRPC socket).
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Where the gRPC protos of the suite are, relative to `test/`.
const GRPC_IMPORT_PATH: &str = "../userspace/falco";
/// grpcurl calls tried while the engine runs (the socket may appear before the server serves).
const GRPC_ATTEMPTS: usize = 25;

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `inv`; with `grpc`, calls grpcurl once the engine's socket appears.
pub fn execute(inv: &Invocation, grpc: Option<(&GrpcCheck, &Path)>, timeout: Duration) -> Result<RunOutput, String> {
    for file in &inv.output_files {
        let _ = std::fs::remove_file(file);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
    }
    let socket = grpc.and_then(|(check, _)| check.address.strip_prefix("unix://").map(PathBuf::from));
    if let Some(socket) = &socket {
        let _ = std::fs::remove_file(socket);
        if let Some(parent) = socket.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
    }
    let mut child = Command::new(&inv.program)
        .args(&inv.args)
        .current_dir(&inv.cwd)
        .envs(inv.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", inv.program.display()))?;
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));

    let started = Instant::now();
    let mut grpc_output: Option<String> = None;
    let mut grpc_attempts = 0;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("waiting for the engine: {e}"))? {
            break status;
        }
        if let (Some((check, grpcurl)), Some(socket)) = (grpc, &socket) {
            if socket.exists() && grpc_attempts < GRPC_ATTEMPTS {
                grpc_attempts += 1;
                let (succeeded, output) = call_grpcurl(check, grpcurl, socket, &inv.cwd);
                if succeeded {
                    grpc_attempts = GRPC_ATTEMPTS;
                }
                grpc_output = Some(output);
            }
        }
        if started.elapsed() >= timeout {
            timed_out = true;
            let _ = child.kill();
            break child
                .wait()
                .map_err(|e| format!("waiting for the killed engine: {e}"))?;
        }
        thread::sleep(POLL_INTERVAL);
    };
    Ok(RunOutput {
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        exit_status: status.code(),
        timed_out,
        grpc_output,
    })
}

/// Whether grpcurl succeeded, and what it printed (stdout then stderr).
fn call_grpcurl(check: &GrpcCheck, grpcurl: &Path, socket: &Path, cwd: &Path) -> (bool, String) {
    let result = Command::new(grpcurl)
        .args([
            "-format",
            "text",
            "-import-path",
            GRPC_IMPORT_PATH,
            "-proto",
            &check.proto,
            "-plaintext",
            "-unix",
        ])
        .arg(socket)
        .arg(format!("{}/{}", check.service, check.method))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output();
    match result {
        Ok(out) => (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        ),
        Err(e) => (false, format!("grpcurl could not run: {e}")),
    }
}

/// The first executable `name` on `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
