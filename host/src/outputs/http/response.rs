//! Reading HTTP/1.1 answers from a connection that may carry several requests at once (written
//! back to back): each answer is consumed exactly, head and body, so the next one starts where it
//! ends.

use std::io::{self, Read};

/// Largest response head (or chunk-size line) read before the answer is considered broken.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;

/// What the server answered to one request.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// Whether the connection may carry the next request.
    pub keep_alive: bool,
}

/// Bytes read from one connection and not yet consumed by an answer.
#[derive(Default)]
pub struct ResponseReader {
    buf: Vec<u8>,
    start: usize,
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl ResponseReader {
    /// Reads the next answer, head and body (the body itself is not kept).
    pub fn read(&mut self, conn: &mut impl Read) -> io::Result<Response> {
        let head = self.line_block(conn, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&head).map_err(|_| bad("response head is not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("bad status line"))?;
        let reason = parts.next().unwrap_or_default().trim_end().to_string();
        let mut length = None;
        let mut chunked = false;
        let mut keep_alive = version == "HTTP/1.1";
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().map_err(|_| bad("bad Content-Length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                keep_alive = !value.eq_ignore_ascii_case("close");
            }
        }
        if chunked {
            self.skip_chunks(conn)?;
        } else if let Some(length) = length {
            self.skip(conn, length)?;
        } else if status != 204 && status != 304 && !(100..200).contains(&status) {
            // No length: the body runs to the end of the connection, which is not reused.
            keep_alive = false;
        }
        Ok(Response {
            status,
            reason,
            keep_alive,
        })
    }

    /// Consumes bytes up to and including `end`, returning them without it.
    fn line_block(&mut self, conn: &mut impl Read, end: &[u8]) -> io::Result<Vec<u8>> {
        let mut searched = self.start;
        loop {
            if let Some(i) = memchr::memmem::find(&self.buf[searched..], end) {
                let stop = searched + i;
                let block = self.buf[self.start..stop].to_vec();
                self.start = stop + end.len();
                return Ok(block);
            }
            if self.buf.len() - self.start > MAX_RESPONSE_HEAD {
                return Err(bad("response head too large"));
            }
            // The end marker may straddle what is here and what comes next.
            searched = self.buf.len().saturating_sub(end.len() - 1).max(self.start);
            let before = self.start;
            self.fill(conn)?;
            searched -= before - self.start;
        }
    }

    /// Consumes `n` body bytes.
    fn skip(&mut self, conn: &mut impl Read, mut n: usize) -> io::Result<()> {
        loop {
            let take = n.min(self.buf.len() - self.start);
            self.start += take;
            n -= take;
            if n == 0 {
                return Ok(());
            }
            self.fill(conn)?;
        }
    }

    /// Consumes a chunked body: size lines, chunks and the trailer.
    fn skip_chunks(&mut self, conn: &mut impl Read) -> io::Result<()> {
        loop {
            let line = self.line_block(conn, b"\r\n")?;
            let size = std::str::from_utf8(&line)
                .ok()
                .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or_default().trim(), 16).ok())
                .ok_or_else(|| bad("bad chunk size"))?;
            if size == 0 {
                // Trailer fields up to an empty line.
                while !self.line_block(conn, b"\r\n")?.is_empty() {}
                return Ok(());
            }
            self.skip(conn, size)?;
            if !self.line_block(conn, b"\r\n")?.is_empty() {
                return Err(bad("chunk longer than its size"));
            }
        }
    }

    /// Reads more bytes, first dropping the consumed ones (`start` becomes 0).
    fn fill(&mut self, conn: &mut impl Read) -> io::Result<()> {
        self.buf.drain(..self.start);
        self.start = 0;
        let mut chunk = [0u8; 4096];
        let n = loop {
            match conn.read(&mut chunk) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection before answering",
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out the bytes a few at a time, as a slow network would.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn answers_written_back_to_back_are_read_one_by_one() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\
            HTTP/1.1 503 Busy now\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n1\r\nd\r\n0\r\nT: v\r\n\r\n\
            HTTP/1.1 204 No Content\r\n\r\n\
            HTTP/1.0 201 Created\r\nContent-Length: 0\r\n\r\n\
            HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nrest";
        for step in [1, 3, 7, 4096] {
            let mut conn = Trickle(wire, step);
            let mut reader = ResponseReader::default();
            let mut answers = Vec::new();
            for _ in 0..5 {
                let r = reader.read(&mut conn).unwrap();
                answers.push((r.status, r.reason, r.keep_alive));
            }
            let expected = [
                (200, "OK", true),
                (503, "Busy now", true),
                (204, "No Content", true),
                (201, "Created", false),
                (200, "OK", false),
            ];
            let expected: Vec<_> = expected.iter().map(|(s, r, k)| (*s, r.to_string(), *k)).collect();
            assert_eq!(answers, expected, "read {step} bytes at a time");
            // The last body runs to the end of the connection: nothing more is an answer.
            let err = reader.read(&mut Trickle(b"", step)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        }
    }

    #[test]
    fn a_closed_connection_or_garbage_is_an_error() {
        let mut reader = ResponseReader::default();
        let err = reader
            .read(&mut Trickle(b"HTTP/1.1 200 OK\r\nContent-Le", 5))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let mut reader = ResponseReader::default();
        let err = reader.read(&mut Trickle(b"HTTP/1.1 abc\r\n\r\n", 5)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let mut reader = ResponseReader::default();
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
        let err = reader.read(&mut Trickle(wire, 4096)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
