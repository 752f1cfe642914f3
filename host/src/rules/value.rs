//! Extracted field values: a reusable buffer of typed values filled by a `FieldSource`, and
//! their rendering to text as libsinsp prints them in outputs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::fields::FieldType;

/// What libsinsp prints for a field that has no value.
pub const NA: &str = "<NA>";

/// One value of a `Values` buffer (bytes live in the buffer's shared storage).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Bytes { start: u32, len: u32 },
    Ip(IpAddr),
    Net(IpAddr, u8),
}

/// A borrowed view of one extracted value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    /// Strings (not necessarily UTF-8) and byte buffers.
    Bytes(&'a [u8]),
    Ip(IpAddr),
    /// An IP network: address and prefix length.
    Net(IpAddr, u8),
}

/// A reusable buffer of extracted values. `clear()` keeps the allocations, so filling it again
/// for the next event allocates nothing once it has grown to its working size.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values {
    slots: Vec<Slot>,
    bytes: Vec<u8>,
}

impl Values {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.bytes.clear();
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn push_u64(&mut self, v: u64) {
        self.slots.push(Slot::U64(v));
    }

    pub fn push_i64(&mut self, v: i64) {
        self.slots.push(Slot::I64(v));
    }

    pub fn push_f64(&mut self, v: f64) {
        self.slots.push(Slot::F64(v));
    }

    pub fn push_bool(&mut self, v: bool) {
        self.slots.push(Slot::Bool(v));
    }

    /// A string or byte buffer value (copied into the buffer's storage).
    pub fn push_bytes(&mut self, v: &[u8]) {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(v);
        self.slots.push(Slot::Bytes {
            start,
            len: v.len() as u32,
        });
    }

    pub fn push_str(&mut self, v: &str) {
        self.push_bytes(v.as_bytes());
    }

    pub fn push_ip(&mut self, v: IpAddr) {
        self.slots.push(Slot::Ip(v));
    }

    pub fn push_net(&mut self, addr: IpAddr, prefix: u8) {
        self.slots.push(Slot::Net(addr, prefix));
    }

    /// Appends a value viewed from another buffer.
    pub fn push_ref(&mut self, v: ValueRef<'_>) {
        match v {
            ValueRef::U64(x) => self.push_u64(x),
            ValueRef::I64(x) => self.push_i64(x),
            ValueRef::F64(x) => self.push_f64(x),
            ValueRef::Bool(x) => self.push_bool(x),
            ValueRef::Bytes(b) => self.push_bytes(b),
            ValueRef::Ip(ip) => self.push_ip(ip),
            ValueRef::Net(ip, p) => self.push_net(ip, p),
        }
    }

    /// Starts a string value built in place with `extend_last`; avoids a temporary buffer.
    pub fn begin_bytes(&mut self) {
        let start = self.bytes.len() as u32;
        self.slots.push(Slot::Bytes { start, len: 0 });
    }

    /// Appends bytes to the string value started by `begin_bytes` (or the last pushed one).
    pub fn extend_last(&mut self, more: &[u8]) {
        if let Some(Slot::Bytes { len, .. }) = self.slots.last_mut() {
            *len += more.len() as u32;
            self.bytes.extend_from_slice(more);
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<ValueRef<'_>> {
        self.slots.get(i).map(|s| self.view(*s))
    }

    /// The first value when it is a string or byte buffer (what most checks compare).
    #[inline]
    pub fn first_bytes(&self) -> Option<&[u8]> {
        match self.slots.first() {
            Some(&Slot::Bytes { start, len }) => self.bytes.get(start as usize..(start + len) as usize),
            _ => None,
        }
    }

    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = ValueRef<'_>> + '_ {
        self.slots.iter().map(|s| self.view(*s))
    }

    #[inline]
    fn view(&self, s: Slot) -> ValueRef<'_> {
        match s {
            Slot::U64(v) => ValueRef::U64(v),
            Slot::I64(v) => ValueRef::I64(v),
            Slot::F64(v) => ValueRef::F64(v),
            Slot::Bool(v) => ValueRef::Bool(v),
            Slot::Bytes { start, len } => ValueRef::Bytes(&self.bytes[start as usize..(start + len) as usize]),
            Slot::Ip(v) => ValueRef::Ip(v),
            Slot::Net(a, p) => ValueRef::Net(a, p),
        }
    }

    /// Replaces the content with a copy of `other`.
    pub fn copy_from(&mut self, other: &Values) {
        self.slots.clear();
        match other.slots.as_slice() {
            // Most fields have one value: no slice copy for it.
            [one] => self.slots.push(*one),
            all => self.slots.extend_from_slice(all),
        }
        self.bytes.clear();
        self.bytes.extend_from_slice(&other.bytes);
    }
}

impl ValueRef<'_> {
    /// The value as an unsigned integer, when it is a number or a boolean.
    #[inline]
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            ValueRef::U64(v) => Some(v),
            ValueRef::I64(v) => Some(v as u64),
            ValueRef::F64(v) => Some(v as u64),
            ValueRef::Bool(v) => Some(u64::from(v)),
            _ => None,
        }
    }

    /// The value as a signed integer, when it is a number or a boolean.
    #[inline]
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            ValueRef::U64(v) => Some(v as i64),
            ValueRef::I64(v) => Some(v),
            ValueRef::F64(v) => Some(v as i64),
            ValueRef::Bool(v) => Some(i64::from(v)),
            _ => None,
        }
    }
}

/// Renders one value as libsinsp prints it in outputs (`PF_NA`/`PF_DEC` formats).
pub fn render_value(v: ValueRef<'_>, ty: FieldType, out: &mut String) {
    use std::fmt::Write;
    match v {
        ValueRef::U64(x) => {
            let _ = write!(out, "{x}");
        }
        ValueRef::I64(x) => {
            let _ = write!(out, "{x}");
        }
        ValueRef::F64(x) => {
            // libsinsp prints doubles with one decimal ("%.1lf").
            let _ = write!(out, "{x:.1}");
        }
        ValueRef::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        ValueRef::Bytes(b) => {
            if ty == FieldType::ByteBuf {
                // Byte buffers print printable ASCII as is and everything else as '.'.
                out.extend(b.iter().map(|&c| {
                    if c.is_ascii_graphic() || c == b' ' {
                        c as char
                    } else {
                        '.'
                    }
                }));
            } else {
                out.push_str(&String::from_utf8_lossy(b));
            }
        }
        ValueRef::Ip(ip) => {
            let _ = write!(out, "{ip}");
        }
        ValueRef::Net(ip, p) => {
            let _ = write!(out, "{ip}/{p}");
        }
    }
}

/// Renders a field's extracted values: `<NA>` when absent, the value alone for a single value,
/// `(a,b,c)` for list fields (libsinsp's list rendering).
pub fn render(values: Option<&Values>, ty: FieldType, is_list: bool, out: &mut String) {
    let Some(values) = values else {
        out.push_str(NA);
        return;
    };
    if is_list {
        out.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            render_value(v, ty, out);
        }
        out.push(')');
        return;
    }
    match values.get(0) {
        Some(v) => render_value(v, ty, out),
        None => out.push_str(NA),
    }
}

/// Parses an IPv4 or IPv6 address as libsinsp does (a '.' selects IPv4).
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    if text.contains('.') {
        text.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    } else {
        text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    }
}

/// Parses `addr/prefix` (IPv4 prefix ≤ 32, IPv6 ≤ 128).
pub fn parse_net(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = text.split_once('/')?;
    let ip = parse_ip(addr)?;
    let prefix: u8 = prefix.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((ip, prefix))
}

/// Whether `ip` lies in the network `net/prefix` (false across address families).
pub fn net_contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            (u32::from(n) & mask) == (u32::from(a) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            (u128::from(n) & mask) == (u128::from(a) & mask)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_buffer_reuses_storage() {
        let mut v = Values::new();
        v.push_str("abc");
        v.push_u64(7);
        assert_eq!(v.get(0), Some(ValueRef::Bytes(b"abc")));
        assert_eq!(v.get(1), Some(ValueRef::U64(7)));
        let cap = v.bytes.capacity();
        v.clear();
        v.push_str("xyz");
        assert_eq!(v.bytes.capacity(), cap);
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn renders_like_libsinsp() {
        let mut out = String::new();
        render(None, FieldType::CharBuf, false, &mut out);
        assert_eq!(out, "<NA>");
        let mut v = Values::new();
        v.push_str("a");
        v.push_str("b");
        out.clear();
        render(Some(&v), FieldType::CharBuf, true, &mut out);
        assert_eq!(out, "(a,b)");
        let mut ip = Values::new();
        ip.push_ip("10.0.0.1".parse().unwrap());
        out.clear();
        render(Some(&ip), FieldType::IpAddr, false, &mut out);
        assert_eq!(out, "10.0.0.1");
    }

    #[test]
    fn networks() {
        let (n, p) = parse_net("10.1.0.0/16").unwrap();
        assert!(net_contains(n, p, "10.1.2.3".parse().unwrap()));
        assert!(!net_contains(n, p, "10.2.0.1".parse().unwrap()));
        let (n6, p6) = parse_net("2001:db8::/32").unwrap();
        assert!(net_contains(n6, p6, "2001:db8::1".parse().unwrap()));
        assert!(parse_net("10.0.0.0/33").is_none());
        assert!(parse_net("10.0.0.0").is_none());
    }
}
