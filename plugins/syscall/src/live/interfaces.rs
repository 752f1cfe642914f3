//! The host's network addresses, as libscap lists them for a live capture (`getifaddrs`):
//! every IPv4 and IPv6 address of every interface, loopback included, in the kernel's order.

use std::ffi::CStr;

use crate::scap::Interface;

/// The host's interface addresses; empty when they cannot be listed.
pub fn host_interfaces() -> Vec<Interface> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `list` is a valid out-pointer; on success it is freed below.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut cur = list;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: getifaddrs gives each node a NUL-terminated name.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_string_lossy().into_owned();
        // SAFETY: `ifa_addr` is non-null and points to a sockaddr of its `sa_family`.
        match i32::from(unsafe { (*ifa.ifa_addr).sa_family }) {
            libc::AF_INET => {
                let v4 = |p: *const libc::sockaddr| -> [u8; 4] {
                    if p.is_null() {
                        return [0; 4];
                    }
                    // SAFETY: an AF_INET node's addresses are sockaddr_in.
                    unsafe { (*p.cast::<libc::sockaddr_in>()).sin_addr.s_addr }.to_ne_bytes()
                };
                out.push(Interface::V4 {
                    addr: v4(ifa.ifa_addr),
                    netmask: v4(ifa.ifa_netmask),
                    bcast: v4(ifa.ifa_ifu),
                    linkspeed: None,
                    name,
                });
            }
            libc::AF_INET6 => {
                let v6 = |p: *const libc::sockaddr| -> [u8; 16] {
                    if p.is_null() {
                        return [0; 16];
                    }
                    // SAFETY: an AF_INET6 node's addresses are sockaddr_in6.
                    unsafe { (*p.cast::<libc::sockaddr_in6>()).sin6_addr.s6_addr }
                };
                out.push(Interface::V6 {
                    addr: v6(ifa.ifa_addr),
                    netmask: v6(ifa.ifa_netmask),
                    bcast: v6(ifa.ifa_ifu),
                    linkspeed: None,
                    name,
                });
            }
            _ => {}
        }
    }
    // SAFETY: `list` came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loopback_address_is_listed() {
        let list = host_interfaces();
        assert!(
            list.iter().any(|i| matches!(
                i,
                Interface::V4 {
                    addr: [127, 0, 0, 1],
                    netmask: [255, 0, 0, 0],
                    ..
                }
            )),
            "{list:?}"
        );
    }
}
