//! The tuple of a read or write on a socket (recv, recvfrom, recvmsg, recvmmsg, send, sendto,
//! sendmsg, sendmmsg exits) re-points a socket that has no name yet or is not a TCP one, as
//! libsinsp's read/write exit parsers do with `update_fd` (falcosecurity/libs 0.20+): an
//! unconnected UDP socket is seen with the peer of its last datagram.
//!
//! libsinsp keeps a bound (IPv4/IPv6 "server") socket's address in storage shared with the
//! connection tuple; where that sharing shows in its fields (IPv6 sockets), it is reproduced
//! here and said so.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::update::{ipv6_or_mapped, push_ip, push_u64};
use super::{FdInfo, FdType, L4Proto, SocketInfo, SocketRole, ThreadTable};
use crate::event_table::{EventInfo, ParamType};
use crate::params::{decode, render_value, ParamValue, SockTuple, PPM_AF_INET, PPM_AF_INET6, PPM_AF_UNIX};

/// `SOCK_DGRAM`: the type libsinsp assumes for a socket first seen in a send.
const SOCK_DGRAM: u32 = 2;

/// How libsinsp classifies the fd before the update (its `scap_fd_type`, where Saker keeps a
/// bound socket as an inet socket with the server role and no client end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `SCAP_FD_IPV4_SOCK` / `SCAP_FD_IPV6_SOCK`: a tuple, possibly all zero.
    Conn4,
    Conn6,
    /// `SCAP_FD_IPV4_SERVSOCK` / `SCAP_FD_IPV6_SERVSOCK`: bound to a port or listening.
    Bound4,
    Bound6,
    Other,
}

fn kind(f: &FdInfo) -> Kind {
    let bound = f.role == SocketRole::Server && f.socket.as_ref().is_some_and(|s| s.client_ip.is_none());
    match f.fd_type {
        FdType::Ipv4ServerSocket => Kind::Bound4,
        FdType::Ipv6ServerSocket => Kind::Bound6,
        FdType::Ipv4Socket if bound => Kind::Bound4,
        FdType::Ipv6Socket if bound => Kind::Bound6,
        FdType::Ipv4Socket => Kind::Conn4,
        FdType::Ipv6Socket => Kind::Conn6,
        _ => Kind::Other,
    }
}

/// An inet tuple as the driver sends it (source end first).
#[derive(Debug, Clone, Copy)]
struct Ends {
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
}

impl Ends {
    fn swapped(self) -> Ends {
        Ends {
            src: self.dst,
            dst: self.src,
        }
    }
}

/// The parameter is a tuple libsinsp accepts (`sinsp_utils::is_socktuple_valid`): long enough
/// for its family, a unix path NUL-terminated; families it does not know pass.
pub(super) fn is_valid_tuple(raw: &[u8]) -> bool {
    match raw.first() {
        None => false,
        Some(&PPM_AF_INET) => raw.len() >= 13,
        Some(&PPM_AF_INET6) => raw.len() >= 37,
        Some(&PPM_AF_UNIX) => raw.len() >= 18 && raw.last() == Some(&0),
        Some(_) => true,
    }
}

/// A successful read or write on `f`: libsinsp marks an inet connection socket (its type
/// before any tuple re-points it) connected, whatever the tuple says — so a socket known only
/// from /proc or from before the capture is connected once data moves on it.
pub(super) fn mark_transfer(f: &mut FdInfo) {
    if matches!(kind(f), Kind::Conn4 | Kind::Conn6) {
        f.connected = true;
    }
}

impl ThreadTable {
    /// The exit of a successful read/write with a `tuple` parameter (`raw`) on `fd`.
    pub(super) fn on_datagram(
        &mut self,
        tid: i64,
        fd: i64,
        outgoing: bool,
        raw: Option<&[u8]>,
        info: &'static EventInfo,
        ts: u64,
    ) {
        let raw = raw.filter(|r| is_valid_tuple(r));
        if self.fd(tid, fd).is_none() {
            // A send (not sendmmsg) on an fd never seen created: libsinsp assumes an inet
            // datagram socket.
            let Some(raw) = raw else { return };
            let family = raw[0];
            if !outgoing || info.name == "sendmmsg" || (family != PPM_AF_INET && family != PPM_AF_INET6) {
                return;
            }
            let ty = if family == PPM_AF_INET {
                FdType::Ipv4Socket
            } else {
                FdType::Ipv6Socket
            };
            let mut f = FdInfo::new(fd, ty, String::new());
            f.sock_domain = family.into();
            f.sock_type = SOCK_DGRAM;
            f.open_ts = ts;
            f.socket = Some(SocketInfo {
                l4proto: L4Proto::Udp,
                ..SocketInfo::default()
            });
            self.insert_fd(tid, f);
        }
        let Some(f) = self.fd_mut(tid, fd) else { return };
        mark_transfer(f);
        let Some(raw) = raw else { return };
        let kind = kind(f);
        let is_tcp = kind == Kind::Conn4 && f.socket.as_ref().is_some_and(|s| s.l4proto == L4Proto::Tcp);
        if !f.name.is_empty() && is_tcp {
            return;
        }
        // Valid tuples of these families always decode.
        let tuple = match raw[0] {
            PPM_AF_INET | PPM_AF_INET6 | PPM_AF_UNIX => match decode("tuple", ParamType::SockTuple, raw) {
                Ok(ParamValue::SockTuple(t)) => Some(t),
                _ => return,
            },
            _ => None,
        };
        let inet = match tuple {
            Some(SockTuple::V4 { src, dst }) => Some(Ends {
                src: (IpAddr::V4(src.0), src.1),
                dst: (IpAddr::V4(dst.0), dst.1),
            }),
            Some(SockTuple::V6 { src, dst }) => match (src.0.to_ipv4_mapped(), dst.0.to_ipv4_mapped()) {
                (Some(s), Some(d)) => Some(Ends {
                    src: (IpAddr::V4(s), src.1),
                    dst: (IpAddr::V4(d), dst.1),
                }),
                _ => {
                    self.on_ipv6_tuple(tid, fd, kind, outgoing, (src, dst), raw, info);
                    return;
                }
            },
            Some(SockTuple::Unix { source, dest, .. }) => {
                let name = tuple_string(info, raw);
                let Some(f) = self.fd_mut(tid, fd) else { return };
                f.fd_type = FdType::UnixSocket;
                let s = f.socket.get_or_insert_with(SocketInfo::default);
                s.unix_source = source;
                s.unix_dest = dest;
                self.rename(tid, fd, name);
                return;
            }
            Some(SockTuple::Other(..)) | None => None,
        };
        let Some(f) = self.fd_mut(tid, fd) else { return };
        if let Some(t) = inet {
            // An IPv4 tuple makes the fd an IPv4 socket, unless it already holds this tuple
            // (either way round).
            f.fd_type = FdType::Ipv4Socket;
            let sock = f.socket.get_or_insert_with(SocketInfo::default);
            let stored = stored_ends(sock, Ipv4Addr::UNSPECIFIED.into());
            if kind != Kind::Bound4 && (same_ends(stored, t) || same_ends(stored, t.swapped())) {
                return;
            }
            set_ends(sock, t);
        } else if !matches!(kind, Kind::Conn4 | Kind::Conn6) {
            // A family libsinsp does not know changes nothing but the name of a non-inet fd.
            let name = tuple_string(info, raw);
            self.rename(tid, fd, name);
            return;
        }
        self.settle_inet(tid, fd, outgoing);
    }

    /// A non-mapped IPv6 tuple: libsinsp keeps the fd's type, so only a connection socket is
    /// re-pointed and renamed from its tuple; other fds take the tuple's text as their name.
    #[allow(clippy::too_many_arguments)]
    fn on_ipv6_tuple(
        &mut self,
        tid: i64,
        fd: i64,
        kind: Kind,
        outgoing: bool,
        (src, dst): ((Ipv6Addr, u16), (Ipv6Addr, u16)),
        raw: &[u8],
        info: &'static EventInfo,
    ) {
        let Some(f) = self.fd_mut(tid, fd) else { return };
        let sock = f.socket.get_or_insert_with(SocketInfo::default);
        match kind {
            Kind::Conn6 => {
                let t = Ends {
                    src: (ipv6_or_mapped(&src.0.octets()), src.1),
                    dst: (ipv6_or_mapped(&dst.0.octets()), dst.1),
                };
                let stored = stored_ends(sock, Ipv6Addr::UNSPECIFIED.into());
                if same_ends(stored, t) || same_ends(stored, t.swapped()) {
                    return;
                }
                set_ends(sock, t);
                self.settle_inet(tid, fd, outgoing);
            }
            Kind::Bound6 => {
                // The bound address shares storage with the tuple's source address, the bound
                // port and protocol with the first bytes of its destination address.
                let d = dst.0.octets();
                let (ip, port, l4) = (
                    ipv6_or_mapped(&src.0.octets()),
                    u16::from_le_bytes([d[0], d[1]]),
                    L4Proto::from_scap(d[2]),
                );
                let name = tuple_string(info, raw);
                if sock.server_ip == Some(ip) && sock.server_port == port && f.name == name {
                    return;
                }
                sock.server_ip = Some(ip);
                sock.server_port = port;
                sock.l4proto = l4;
                self.rename(tid, fd, name);
            }
            // libsinsp writes the IPv6 tuple into an IPv4 socket's storage, which Saker does
            // not model: the socket is left as it was.
            Kind::Conn4 | Kind::Bound4 => {}
            Kind::Other => {
                let name = tuple_string(info, raw);
                self.rename(tid, fd, name);
            }
        }
    }

    /// After a changed inet tuple: an unknown address is completed from the machine's, an
    /// unknown protocol becomes UDP (TCP would not change ends), a role is guessed if there is
    /// none, the ends are ordered client → server and the socket renamed.
    fn settle_inet(&mut self, tid: i64, fd: i64, outgoing: bool) {
        // Moved out for the time of the fd's borrow (a few pointers, no copy of the list).
        let interfaces = std::mem::take(&mut self.interfaces);
        if let Some(f) = self.fd_mut(tid, fd) {
            let v6 = f.fd_type == FdType::Ipv6Socket;
            if let Some(sock) = &mut f.socket {
                interfaces.complete(sock, v6);
            }
        }
        self.interfaces = interfaces;
        let Some(f) = self.fd(tid, fd) else { return };
        let (Some(sock), role, v6) = (&f.socket, f.role, f.fd_type == FdType::Ipv6Socket) else {
            return;
        };
        let role = match role {
            SocketRole::None => self.guess_role(tid, sock, !outgoing, v6),
            r => r,
        };
        let Some(f) = self.fd_mut(tid, fd) else { return };
        f.role = role;
        let Some(sock) = &mut f.socket else { return };
        if sock.l4proto == L4Proto::Unknown {
            sock.l4proto = L4Proto::Udp;
        }
        // The tuple's source is the local end of a send, the remote end of a receive.
        if (outgoing && role == SocketRole::Server) || (!outgoing && role == SocketRole::Client) {
            std::mem::swap(&mut sock.client_ip, &mut sock.server_ip);
            std::mem::swap(&mut sock.client_port, &mut sock.server_port);
        }
        let mut name = String::new();
        write_tuple_name(f.fd_type, sock, &mut name);
        self.rename(tid, fd, name);
    }

    /// libsinsp's `set_net_role_by_guessing`: the process owns the destination port (an IPv4
    /// socket with it as destination, or bound to it) and uses the source port as a client
    /// (an IPv4 socket with it as source), else client or server by those; when both hold, a
    /// receive starts a server, a send a client. For an IPv4 tuple the socket itself holds
    /// both ports. For an IPv6 one libsinsp reads the ports through its IPv4 view of the
    /// tuple's storage: bytes 10–11 and 8–9 of the stored source address.
    fn guess_role(&self, tid: i64, sock: &SocketInfo, incoming: bool, v6: bool) -> SocketRole {
        let (dport, sport) = match sock.client_ip {
            Some(ip) if v6 => {
                let a = match ip {
                    IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
                    IpAddr::V6(a) => a.octets(),
                };
                (u16::from_le_bytes([a[10], a[11]]), u16::from_le_bytes([a[8], a[9]]))
            }
            None if v6 => (0, 0),
            _ => (sock.server_port, sock.client_port),
        };
        let ipv4_fds = || {
            self.fds(tid).into_iter().flat_map(|t| t.iter()).filter_map(|f| {
                let s = f.socket.as_ref()?;
                match kind(f) {
                    Kind::Conn4 => Some((false, s)),
                    Kind::Bound4 => Some((true, s)),
                    _ => None,
                }
            })
        };
        let bound = ipv4_fds().any(|(_, s)| s.server_port == dport);
        if !bound {
            return SocketRole::Client;
        }
        let client_port = ipv4_fds().any(|(is_bound, s)| !is_bound && s.client_port == sport);
        match (client_port, incoming) {
            (false, _) | (true, true) => SocketRole::Server,
            (true, false) => SocketRole::Client,
        }
    }

    /// Gives fd `fd` the name `name`, noting whether it differs (`fd.name_changed`).
    fn rename(&mut self, tid: i64, fd: i64, name: String) {
        let Some(f) = self.fd_mut(tid, fd) else { return };
        let changed = f.name != name;
        f.name = name;
        self.last_fd_name_changed = changed;
    }
}

/// The stored ends, an unknown address read as `unspecified`.
fn stored_ends(s: &SocketInfo, unspecified: IpAddr) -> Ends {
    Ends {
        src: (s.client_ip.unwrap_or(unspecified), s.client_port),
        dst: (s.server_ip.unwrap_or(unspecified), s.server_port),
    }
}

fn same_ends(a: Ends, b: Ends) -> bool {
    a.src == b.src && a.dst == b.dst
}

fn set_ends(s: &mut SocketInfo, t: Ends) {
    s.client_ip = Some(t.src.0);
    s.client_port = t.src.1;
    s.server_ip = Some(t.dst.0);
    s.server_port = t.dst.1;
}

/// The tuple parameter's text (`evt.arg.tuple`), which libsinsp gives a non-inet fd as name.
fn tuple_string(info: &EventInfo, raw: &[u8]) -> String {
    let mut out = String::new();
    match decode("tuple", ParamType::SockTuple, raw) {
        Ok(v) => render_value(&mut out, info, "tuple", Some(ParamType::SockTuple), &v),
        Err(_) => out.push_str(&format!("family {}", raw[0])),
    }
    out
}

/// libsinsp's name of an inet connection socket (`sockinfo_to_str`, no resolution): both ends
/// with ports for TCP/UDP, addresses only for ICMP (and raw IPv4), `<unknown>` otherwise.
fn write_tuple_name(fd_type: FdType, s: &SocketInfo, out: &mut String) {
    let with_ports = match s.l4proto {
        L4Proto::Tcp | L4Proto::Udp => true,
        L4Proto::Icmp => false,
        L4Proto::Raw if fd_type == FdType::Ipv4Socket => false,
        _ => {
            out.push_str("<unknown>");
            return;
        }
    };
    push_ip(out, s.client_ip);
    if with_ports {
        out.push(':');
        push_u64(out, s.client_port.into());
    }
    out.push_str("->");
    push_ip(out, s.server_ip);
    if with_ports {
        out.push(':');
        push_u64(out, s.server_port.into());
    }
}
