//! A small blocking HTTP/1.1 client over a unix socket: enough for the docker and podman
//! REST APIs (`GET`, `Connection: close`, Content-Length or chunked bodies), with a deadline
//! on every read and write.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Largest response body accepted (an inspect is a few KiB; a list of many containers more).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot connect to {socket}: {source}")]
    Connect { socket: String, source: std::io::Error },
    #[error("{socket}: {source} (request GET {path})")]
    Io {
        socket: String,
        path: String,
        source: std::io::Error,
    },
    #[error("{socket}: malformed HTTP response to GET {path}: {what}")]
    Malformed { socket: String, path: String, what: String },
}

/// Status code and body of a response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// `GET path` on the unix socket `socket`; every read and write waits at most `timeout`.
pub fn get(socket: &Path, path: &str, timeout: Duration) -> Result<Response, HttpError> {
    let name = socket.display().to_string();
    let mut stream = UnixStream::connect(socket).map_err(|source| HttpError::Connect {
        socket: name.clone(),
        source,
    })?;
    let io = |source| HttpError::Io {
        socket: name.clone(),
        path: path.to_owned(),
        source,
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: saker-container\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut raw = Vec::new();
    (&mut stream)
        .take(MAX_BODY as u64 + 64 * 1024)
        .read_to_end(&mut raw)
        .map_err(io)?;
    parse_response(&raw).map_err(|what| HttpError::Malformed {
        socket: name.clone(),
        path: path.to_owned(),
        what,
    })
}

/// Parses a whole `Connection: close` response.
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let head_end = find(raw, b"\r\n\r\n").ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| "headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((k, v)) = line.split_once(':') else { continue };
        let v = v.trim();
        if k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if k.eq_ignore_ascii_case("content-length") {
            length = Some(v.parse::<usize>().map_err(|_| format!("bad Content-Length {v:?}"))?);
        }
    }
    let rest = &raw[head_end + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n).ok_or("body shorter than Content-Length")?.to_vec()
    } else {
        rest.to_vec()
    };
    if body.len() > MAX_BODY {
        return Err(format!("body larger than {MAX_BODY} bytes"));
    }
    Ok(Response { status, body })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = find(data, b"\r\n").ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&data[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        body.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("truncated chunk end")?;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_and_chunked_bodies() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        let r = parse_response(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=1\r\n:1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"{\"a\":1}"[..]));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}").is_err());
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn a_silent_server_times_out() {
        let dir = std::env::temp_dir().join(format!("saker-container-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("silent.sock");
        let _ = std::fs::remove_file(&sock);
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        // Accepts and keeps the connection open without answering.
        let server = std::thread::spawn(move || listener.accept().map(|(s, _)| s));
        let err = get(&sock, "/containers/x/json", Duration::from_millis(50)).unwrap_err();
        assert!(matches!(err, HttpError::Io { .. }), "{err}");
        drop(server.join());
        let err = get(&dir.join("absent.sock"), "/x", Duration::from_millis(50)).unwrap_err();
        assert!(err.to_string().contains("cannot connect to"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
