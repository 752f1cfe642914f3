//! The machine's network addresses (a capture's interface list), with which libsinsp completes
//! a socket tuple that has one end's address unknown (`sinsp_network_interfaces::update_fd`):
//! a datagram socket bound to the any-address sends and receives with `0.0.0.0` as local end.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::update::ipv6_or_mapped;
use super::SocketInfo;
use crate::scap::Interface;

/// Most interface addresses kept (a capture lists each address once).
pub const MAX_INTERFACES: usize = 1024;

#[derive(Debug, Clone, Default)]
pub struct Interfaces {
    /// Address and netmask, in list order.
    v4: Vec<(Ipv4Addr, Ipv4Addr)>,
    v6: Vec<Ipv6Addr>,
}

impl Interfaces {
    pub fn add(&mut self, i: &Interface) {
        if self.v4.len() + self.v6.len() >= MAX_INTERFACES {
            return;
        }
        match i {
            Interface::V4 { addr, netmask, .. } => self.v4.push(((*addr).into(), (*netmask).into())),
            Interface::V6 { addr, .. } => self.v6.push((*addr).into()),
        }
    }

    /// The local address for a peer at `dest`: an interface with that address, else one in
    /// its subnet, else the first that is not loopback (libsinsp `infer_ipv4_address`).
    fn infer_v4(&self, dest: Ipv4Addr) -> Ipv4Addr {
        let masked = |a: Ipv4Addr, m: Ipv4Addr| a.to_bits() & m.to_bits();
        self.v4
            .iter()
            .find(|(a, _)| *a == dest)
            .or_else(|| self.v4.iter().find(|(a, m)| masked(*a, *m) == masked(dest, *m)))
            .or_else(|| self.v4.iter().find(|(a, _)| *a != Ipv4Addr::LOCALHOST))
            .map_or(Ipv4Addr::UNSPECIFIED, |(a, _)| *a)
    }

    /// As [`Interfaces::infer_v4`]; a subnet is the first 64 bits (libsinsp's convention).
    fn infer_v6(&self, dest: Ipv6Addr) -> Ipv6Addr {
        let net = |a: &Ipv6Addr| a.to_bits() >> 64;
        self.v6
            .iter()
            .find(|a| **a == dest)
            .or_else(|| self.v6.iter().find(|a| net(a) == net(&dest)))
            .or_else(|| self.v6.iter().find(|a| **a != Ipv6Addr::LOCALHOST))
            .map_or(Ipv6Addr::UNSPECIFIED, |a| *a)
    }

    /// Fills an unknown source address (else an unknown destination address) of a stored
    /// tuple, unless the inferred address equals the other end's and both ports are equal.
    pub(super) fn complete(&self, s: &mut SocketInfo, v6: bool) {
        let unspecified: IpAddr = if v6 {
            Ipv6Addr::UNSPECIFIED.into()
        } else {
            Ipv4Addr::UNSPECIFIED.into()
        };
        let sip = s.client_ip.unwrap_or(unspecified);
        let dip = s.server_ip.unwrap_or(unspecified);
        if !sip.is_unspecified() && !dip.is_unspecified() {
            return;
        }
        let known = if sip.is_unspecified() { dip } else { sip };
        let inferred: IpAddr = match known {
            IpAddr::V4(a) if !v6 => self.infer_v4(a).into(),
            IpAddr::V6(a) if v6 => ipv6_or_mapped(&self.infer_v6(a).octets()),
            // An IPv4-mapped end of an IPv6 socket (libsinsp compares the IPv6 bytes).
            IpAddr::V4(a) => ipv6_or_mapped(&self.infer_v6(a.to_ipv6_mapped()).octets()),
            IpAddr::V6(_) => return,
        };
        if inferred == known && s.client_port == s.server_port {
            return;
        }
        if sip.is_unspecified() {
            s.client_ip = Some(inferred);
        } else {
            s.server_ip = Some(inferred);
        }
    }
}
