//! Zero-copy views over the raw records the eBPF programs send (`bpf/records.h`): the header,
//! the optional task block and the data items. Every read is bounds-checked and unaligned; a
//! malformed record is a [`RecordError`], never a panic.

/// `SAKER_REC_*` record kinds.
pub const REC_SYS_EXIT: u16 = 1;
pub const REC_SYS_ENTER: u16 = 2;
pub const REC_PROC_EXIT: u16 = 3;
pub const REC_PROC_EXEC: u16 = 4;

/// `SAKER_REC_F_*` header flags.
pub const REC_F_TASK: u16 = 1;
pub const REC_F_TRUNCATED: u16 = 2;

/// `SAKER_LAYER_*` of `saker_fdinfo.layer`: an overlayfs file with an upper-layer copy, or one
/// only in a lower layer (0: not opened through an overlayfs).
pub const LAYER_UPPER: u32 = 1;
pub const LAYER_LOWER: u32 = 2;

/// `SAKER_EXE_*` bits of `saker_task.exe_flags`.
pub const EXE_WRITABLE: u32 = 1;
pub const EXE_UPPER_LAYER: u32 = 2;
pub const EXE_FROM_MEMFD: u32 = 4;
pub const EXE_LOWER_LAYER: u32 = 8;

/// `SAKER_D_*` data item tags.
pub mod tag {
    pub const USTR: u8 = 1;
    pub const UBUF: u8 = 2;
    pub const SOCKADDR: u8 = 3;
    pub const TUPLE: u8 = 4;
    pub const FDINFO: u8 = 5;
    pub const EXE_PATH: u8 = 6;
    pub const ARGS: u8 = 7;
    pub const ENV: u8 = 8;
    pub const CWD: u8 = 9;
    pub const CGROUPS: u8 = 10;
    pub const UINT_PAIR: u8 = 11;
    pub const FD_PATH: u8 = 12;
    pub const VM: u8 = 13;
    pub const IOVEC: u8 = 14;
    pub const SOCK_QUEUE: u8 = 15;
    pub const MMSG: u8 = 16;
}

/// `SAKER_MAX_MMSG`: messages of one sendmmsg/recvmmsg call the kernel sends.
pub const MAX_MMSG: usize = 16;
/// `sizeof(struct saker_mmsg)`.
pub const MMSG_HDR_LEN: usize = 16;

/// The `arg` of TUPLE / FDINFO / FD_PATH items about the returned fd.
pub const ARG_RET: u8 = 6;

/// `sizeof(struct saker_rec_hdr)`.
pub const HDR_LEN: usize = 88;
/// `sizeof(struct saker_task)`.
pub const TASK_LEN: usize = 176;
/// `sizeof(struct saker_data_hdr)`.
pub const DATA_HDR_LEN: usize = 4;
/// `sizeof(struct saker_tuple)`.
pub const TUPLE_LEN: usize = 276;
/// `sizeof(struct saker_fdinfo)`.
pub const FDINFO_LEN: usize = 28;
/// `sizeof(struct saker_vm)`.
pub const VM_LEN: usize = 12;

/// Why a raw record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("raw record of {len} bytes is shorter than its {HDR_LEN}-byte header")]
    ShortHeader { len: usize },
    #[error("raw record says it is {declared} bytes but {available} were delivered (bpf/records.h mismatch?)")]
    BadLength { declared: usize, available: usize },
    #[error("raw record kind {kind} is not a SAKER_REC_* value")]
    UnknownKind { kind: u16 },
    #[error("raw record flags a task block but only {left} bytes follow the header")]
    ShortTask { left: usize },
    #[error("data item {index} of {ndata} runs past the record end (offset {offset}, len {len}, record {record_len})")]
    ItemOverrun {
        index: u16,
        ndata: u16,
        offset: usize,
        len: usize,
        record_len: usize,
    },
    #[error("data item {index} tag {tag} is {len} bytes, expected {expected}")]
    ItemSize {
        index: u16,
        tag: u8,
        len: usize,
        expected: usize,
    },
}

/// Little-endian unaligned reads at an offset already bounds-checked by the caller.
fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

/// `struct saker_rec_hdr`, copied out of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordHeader {
    pub ts: u64,
    pub tid: u32,
    pub pid: u32,
    pub len: u32,
    pub kind: u16,
    pub nr: u16,
    pub ret: i64,
    pub args: [u64; 6],
    pub ndata: u16,
    pub flags: u16,
    pub cpu: u32,
}

impl RecordHeader {
    fn read(b: &[u8]) -> RecordHeader {
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = u64_at(b, 32 + 8 * i);
        }
        RecordHeader {
            ts: u64_at(b, 0),
            tid: u32_at(b, 8),
            pid: u32_at(b, 12),
            len: u32_at(b, 16),
            kind: u16_at(b, 20),
            nr: u16_at(b, 22),
            ret: u64_at(b, 24) as i64,
            args,
            ndata: u16_at(b, 80),
            flags: u16_at(b, 82),
            cpu: u32_at(b, 84),
        }
    }

    /// Writes the header as the kernel does (for test encoders and fakes).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ts.to_le_bytes());
        out.extend_from_slice(&self.tid.to_le_bytes());
        out.extend_from_slice(&self.pid.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.kind.to_le_bytes());
        out.extend_from_slice(&self.nr.to_le_bytes());
        out.extend_from_slice(&self.ret.to_le_bytes());
        for a in self.args {
            out.extend_from_slice(&a.to_le_bytes());
        }
        out.extend_from_slice(&self.ndata.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.cpu.to_le_bytes());
    }
}

/// `struct saker_task`, copied out of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskBlock {
    pub ppid: u32,
    pub vtid: u32,
    pub vpid: u32,
    pub pgid: u32,
    pub vpgid: u32,
    pub sid: u32,
    pub uid: u32,
    pub gid: u32,
    pub ruid: u32,
    pub rgid: u32,
    pub loginuid: u32,
    pub tty: u32,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub start_time: u64,
    pub pidns_init_start_ts: u64,
    pub fdlimit: u64,
    pub pgft_maj: u64,
    pub pgft_min: u64,
    pub vm_size: u32,
    pub vm_rss: u32,
    pub vm_swap: u32,
    pub exe_flags: u32,
    pub exe_ino: u64,
    pub exe_ctime: u64,
    pub exe_mtime: u64,
    pub clone_flags: u64,
    pub comm: [u8; 16],
}

/// One task of the BPF task iterator (`struct saker_iter_task`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KernelTask {
    pub tid: u32,
    pub pid: u32,
    pub task: TaskBlock,
}

impl KernelTask {
    /// Length of one `struct saker_iter_task`.
    pub const LEN: usize = 8 + TASK_LEN;

    /// The tasks of an iterator's output (a cut-off last record is ignored).
    pub fn parse_all(bytes: &[u8]) -> Vec<KernelTask> {
        bytes
            .chunks_exact(Self::LEN)
            .map(|b| KernelTask {
                tid: u32_at(b, 0),
                pid: u32_at(b, 4),
                task: TaskBlock::read(&b[8..]),
            })
            .collect()
    }

    /// Encodes the task as the iterator does (tests).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tid.to_le_bytes());
        out.extend_from_slice(&self.pid.to_le_bytes());
        self.task.write_to(out);
    }
}

impl TaskBlock {
    fn read(b: &[u8]) -> TaskBlock {
        let u32s: [u32; 12] = std::array::from_fn(|i| u32_at(b, 4 * i));
        let mut comm = [0u8; 16];
        comm.copy_from_slice(&b[160..176]);
        TaskBlock {
            ppid: u32s[0],
            vtid: u32s[1],
            vpid: u32s[2],
            pgid: u32s[3],
            vpgid: u32s[4],
            sid: u32s[5],
            uid: u32s[6],
            gid: u32s[7],
            ruid: u32s[8],
            rgid: u32s[9],
            loginuid: u32s[10],
            tty: u32s[11],
            cap_inheritable: u64_at(b, 48),
            cap_permitted: u64_at(b, 56),
            cap_effective: u64_at(b, 64),
            start_time: u64_at(b, 72),
            pidns_init_start_ts: u64_at(b, 80),
            fdlimit: u64_at(b, 88),
            pgft_maj: u64_at(b, 96),
            pgft_min: u64_at(b, 104),
            vm_size: u32_at(b, 112),
            vm_rss: u32_at(b, 116),
            vm_swap: u32_at(b, 120),
            exe_flags: u32_at(b, 124),
            exe_ino: u64_at(b, 128),
            exe_ctime: u64_at(b, 136),
            exe_mtime: u64_at(b, 144),
            clone_flags: u64_at(b, 152),
            comm,
        }
    }

    /// Writes the block as the kernel does (for test encoders and fakes).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        for v in [
            self.ppid,
            self.vtid,
            self.vpid,
            self.pgid,
            self.vpgid,
            self.sid,
            self.uid,
            self.gid,
            self.ruid,
            self.rgid,
            self.loginuid,
            self.tty,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [
            self.cap_inheritable,
            self.cap_permitted,
            self.cap_effective,
            self.start_time,
            self.pidns_init_start_ts,
            self.fdlimit,
            self.pgft_maj,
            self.pgft_min,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [self.vm_size, self.vm_rss, self.vm_swap, self.exe_flags] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [self.exe_ino, self.exe_ctime, self.exe_mtime, self.clone_flags] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.comm);
    }

    /// The comm without its NUL padding.
    pub fn comm(&self) -> &[u8] {
        let end = self.comm.iter().position(|&c| c == 0).unwrap_or(self.comm.len());
        &self.comm[..end]
    }
}

/// `struct saker_tuple`: the endpoints of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawTuple<'a> {
    pub family: u8,
    pub sock_type: u32,
    pub local_addr: [u8; 16],
    pub remote_addr: [u8; 16],
    pub local_port: u16,
    pub remote_port: u16,
    pub unix_local: u64,
    pub unix_peer: u64,
    /// The bound unix path without NUL padding (an abstract name without its leading NUL).
    pub unix_path: &'a [u8],
    /// The peer's bound unix path, as `unix_path`.
    pub unix_peer_path: &'a [u8],
}

impl<'a> RawTuple<'a> {
    /// Reads a tuple item (its length was checked when the record was parsed).
    pub fn read(b: &'a [u8]) -> Option<RawTuple<'a>> {
        if b.len() != TUPLE_LEN {
            return None;
        }
        let mut local_addr = [0u8; 16];
        local_addr.copy_from_slice(&b[8..24]);
        let mut remote_addr = [0u8; 16];
        remote_addr.copy_from_slice(&b[24..40]);
        let path = |p: &'a [u8]| &p[..p.iter().position(|&c| c == 0).unwrap_or(p.len())];
        Some(RawTuple {
            family: b[0],
            sock_type: u32_at(b, 4),
            local_addr,
            remote_addr,
            local_port: u16_at(b, 40),
            remote_port: u16_at(b, 42),
            unix_local: u64_at(b, 44),
            unix_peer: u64_at(b, 52),
            unix_path: path(&b[60..168]),
            unix_peer_path: path(&b[168..TUPLE_LEN]),
        })
    }

    /// Writes the struct as the kernel does (for test encoders and fakes).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.push(self.family);
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&self.sock_type.to_le_bytes());
        out.extend_from_slice(&self.local_addr);
        out.extend_from_slice(&self.remote_addr);
        out.extend_from_slice(&self.local_port.to_le_bytes());
        out.extend_from_slice(&self.remote_port.to_le_bytes());
        out.extend_from_slice(&self.unix_local.to_le_bytes());
        out.extend_from_slice(&self.unix_peer.to_le_bytes());
        for p in [self.unix_path, self.unix_peer_path] {
            let mut path = [0u8; 108];
            let n = p.len().min(path.len());
            path[..n].copy_from_slice(&p[..n]);
            out.extend_from_slice(&path);
        }
    }
}

/// A `SAKER_D_MMSG` item: one message of a sendmmsg/recvmmsg call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawMmsg<'a> {
    /// The message's `msg_len` as the call left it.
    pub msg_len: u32,
    /// The sum of its `iov_len`.
    pub iov_total: u32,
    /// Its data, up to min(msg_len, snaplen).
    pub data: &'a [u8],
    /// Its control data (recvmmsg), up to snaplen.
    pub control: &'a [u8],
    /// Its `msg_name` (a raw `struct sockaddr`, up to 128 bytes), empty when NULL.
    pub name: &'a [u8],
}

impl<'a> RawMmsg<'a> {
    /// Reads an MMSG item; `None` when its lengths do not add up.
    pub fn read(b: &'a [u8]) -> Option<RawMmsg<'a>> {
        if b.len() < MMSG_HDR_LEN {
            return None;
        }
        let (data_len, control_len) = (u16_at(b, 8) as usize, u16_at(b, 10) as usize);
        let name_len = u16_at(b, 12) as usize;
        let rest = &b[MMSG_HDR_LEN..];
        if rest.len() != data_len + control_len + name_len {
            return None;
        }
        let (data, rest) = rest.split_at(data_len);
        let (control, name) = rest.split_at(control_len);
        Some(RawMmsg {
            msg_len: u32_at(b, 0),
            iov_total: u32_at(b, 4),
            data,
            control,
            name,
        })
    }

    /// Writes the item as the kernel does (for test encoders and fakes).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.msg_len.to_le_bytes());
        out.extend_from_slice(&self.iov_total.to_le_bytes());
        out.extend_from_slice(&(self.data.len() as u16).to_le_bytes());
        out.extend_from_slice(&(self.control.len() as u16).to_le_bytes());
        out.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(self.data);
        out.extend_from_slice(self.control);
        out.extend_from_slice(self.name);
    }
}

/// `struct saker_fdinfo`: what the kernel knows about an fd's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawFdInfo {
    pub dev: u32,
    /// Linux `f_flags` (`O_*`).
    pub flags: u32,
    pub ino: u64,
    /// `SAKER_LAYER_*`: where the file is on an overlayfs ([`LAYER_UPPER`], [`LAYER_LOWER`]).
    pub layer: u32,
    pub fs_magic: u32,
    /// Linux `f_mode` (`FMODE_*`).
    pub mode: u32,
}

impl RawFdInfo {
    pub fn read(b: &[u8]) -> Option<RawFdInfo> {
        (b.len() == FDINFO_LEN).then(|| RawFdInfo {
            dev: u32_at(b, 0),
            flags: u32_at(b, 4),
            ino: u64_at(b, 8),
            layer: u32_at(b, 16),
            fs_magic: u32_at(b, 20),
            mode: u32_at(b, 24),
        })
    }

    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.dev.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.ino.to_le_bytes());
        out.extend_from_slice(&self.layer.to_le_bytes());
        out.extend_from_slice(&self.fs_magic.to_le_bytes());
        out.extend_from_slice(&self.mode.to_le_bytes());
    }
}

/// One data item: its tag, argument index and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataItem<'a> {
    pub tag: u8,
    pub arg: u8,
    pub bytes: &'a [u8],
}

/// A validated raw record borrowing the ring buffer bytes.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    pub hdr: RecordHeader,
    pub task: Option<TaskBlock>,
    /// The data items (validated by [`RawRecord::parse`]).
    items: &'a [u8],
}

impl<'a> RawRecord<'a> {
    /// Parses and validates one record. Bytes beyond `hdr.len` (ring buffer padding) are ignored.
    pub fn parse(bytes: &'a [u8]) -> Result<RawRecord<'a>, RecordError> {
        if bytes.len() < HDR_LEN {
            return Err(RecordError::ShortHeader { len: bytes.len() });
        }
        let hdr = RecordHeader::read(bytes);
        let len = hdr.len as usize;
        if len < HDR_LEN || len > bytes.len() {
            return Err(RecordError::BadLength {
                declared: len,
                available: bytes.len(),
            });
        }
        if !(REC_SYS_EXIT..=REC_PROC_EXEC).contains(&hdr.kind) {
            return Err(RecordError::UnknownKind { kind: hdr.kind });
        }
        let bytes = &bytes[..len];
        let mut at = HDR_LEN;
        let task = if hdr.flags & REC_F_TASK != 0 {
            if len - at < TASK_LEN {
                return Err(RecordError::ShortTask { left: len - at });
            }
            at += TASK_LEN;
            Some(TaskBlock::read(&bytes[HDR_LEN..at]))
        } else {
            None
        };
        let items = &bytes[at..];
        let mut off = 0;
        for index in 0..hdr.ndata {
            let overrun = |item_len| RecordError::ItemOverrun {
                index,
                ndata: hdr.ndata,
                offset: at + off,
                len: item_len,
                record_len: len,
            };
            if items.len() - off < DATA_HDR_LEN {
                return Err(overrun(DATA_HDR_LEN));
            }
            let item_len = u16_at(items, off) as usize;
            let item_tag = items[off + 2];
            if items.len() - off - DATA_HDR_LEN < item_len {
                return Err(overrun(item_len));
            }
            let expected = match item_tag {
                tag::TUPLE => TUPLE_LEN,
                tag::FDINFO => FDINFO_LEN,
                tag::UINT_PAIR | tag::SOCK_QUEUE => 8,
                tag::VM => VM_LEN,
                tag::IOVEC if item_len < 4 => 4,
                _ => item_len,
            };
            // Empty items mean "could not read"; fixed-size items are otherwise exact.
            if item_len != 0 && item_len != expected {
                return Err(RecordError::ItemSize {
                    index,
                    tag: item_tag,
                    len: item_len,
                    expected,
                });
            }
            off += DATA_HDR_LEN + item_len;
        }
        Ok(RawRecord {
            hdr,
            task,
            items: &items[..off],
        })
    }

    /// The data items in record order.
    pub fn items(&self) -> impl Iterator<Item = DataItem<'a>> + 'a {
        let mut rest = self.items;
        std::iter::from_fn(move || {
            if rest.len() < DATA_HDR_LEN {
                return None;
            }
            let len = u16_at(rest, 0) as usize;
            let item = DataItem {
                tag: rest[2],
                arg: rest[3],
                bytes: rest.get(DATA_HDR_LEN..DATA_HDR_LEN + len)?,
            };
            rest = &rest[DATA_HDR_LEN + len..];
            Some(item)
        })
    }

    /// The bytes of the first item with `tag` and `arg` (`None` when absent).
    pub fn item(&self, tag: u8, arg: u8) -> Option<&'a [u8]> {
        self.items().find(|i| i.tag == tag && i.arg == arg).map(|i| i.bytes)
    }

    /// The bytes of the first item with `tag`, whatever its argument.
    pub fn item_any(&self, tag: u8) -> Option<&'a [u8]> {
        self.items().find(|i| i.tag == tag).map(|i| i.bytes)
    }

    /// True when some item was cut to its cap.
    pub fn truncated(&self) -> bool {
        self.hdr.flags & REC_F_TRUNCATED != 0
    }
}

/// Builds raw records as the kernel writes them (tests, fakes and replay of raw dumps).
#[derive(Debug, Clone, Default)]
pub struct RecordEncoder {
    pub hdr: RecordHeader,
    pub task: Option<TaskBlock>,
    items: Vec<u8>,
}

impl RecordEncoder {
    /// A record of `kind` for syscall `nr` by thread `tid` of process `pid`.
    pub fn new(kind: u16, nr: u16, tid: u32, pid: u32) -> Self {
        RecordEncoder {
            hdr: RecordHeader {
                kind,
                nr,
                tid,
                pid,
                ..RecordHeader::default()
            },
            task: None,
            items: Vec::new(),
        }
    }

    pub fn ts(mut self, ts: u64) -> Self {
        self.hdr.ts = ts;
        self
    }
    pub fn ret(mut self, ret: i64) -> Self {
        self.hdr.ret = ret;
        self
    }
    pub fn args(mut self, args: [u64; 6]) -> Self {
        self.hdr.args = args;
        self
    }
    pub fn task(mut self, task: TaskBlock) -> Self {
        self.task = Some(task);
        self
    }

    /// Appends a data item.
    pub fn item(mut self, tag: u8, arg: u8, bytes: &[u8]) -> Self {
        self.items.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        self.items.push(tag);
        self.items.push(arg);
        self.items.extend_from_slice(bytes);
        self.hdr.ndata += 1;
        self
    }

    /// A NUL-terminated user string item for argument `arg`.
    pub fn ustr(self, arg: u8, s: &str) -> Self {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        self.item(tag::USTR, arg, &b)
    }

    pub fn tuple(self, arg: u8, t: &RawTuple<'_>) -> Self {
        let mut b = Vec::with_capacity(TUPLE_LEN);
        t.write_to(&mut b);
        self.item(tag::TUPLE, arg, &b)
    }

    pub fn fdinfo(self, arg: u8, f: &RawFdInfo) -> Self {
        let mut b = Vec::with_capacity(FDINFO_LEN);
        f.write_to(&mut b);
        self.item(tag::FDINFO, arg, &b)
    }

    /// The finished record.
    pub fn encode(&self) -> Vec<u8> {
        let mut hdr = self.hdr;
        hdr.flags |= if self.task.is_some() { REC_F_TASK } else { 0 };
        let task_len = if self.task.is_some() { TASK_LEN } else { 0 };
        hdr.len = (HDR_LEN + task_len + self.items.len()) as u32;
        let mut out = Vec::with_capacity(hdr.len as usize);
        hdr.write_to(&mut out);
        if let Some(t) = &self.task {
            t.write_to(&mut out);
        }
        out.extend_from_slice(&self.items);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_header_task_and_items() {
        let task = TaskBlock {
            ppid: 7,
            vtid: 3,
            loginuid: u32::MAX,
            exe_mtime: 99,
            clone_flags: 0x11,
            comm: *b"bash\0\0\0\0\0\0\0\0\0\0\0\0",
            ..TaskBlock::default()
        };
        let rec = RecordEncoder::new(REC_SYS_EXIT, 59, 10, 9)
            .ts(5)
            .ret(-2)
            .args([1, 2, 3, 4, 5, 6])
            .task(task)
            .ustr(0, "/bin/sh")
            .fdinfo(
                ARG_RET,
                &RawFdInfo {
                    ino: 4,
                    ..Default::default()
                },
            )
            .encode();
        let mut padded = rec.clone();
        padded.extend_from_slice(&[0xAA; 7]); // ring buffer padding is ignored
        let r = RawRecord::parse(&padded).unwrap();
        assert_eq!(r.hdr.ts, 5);
        assert_eq!(r.hdr.ret, -2);
        assert_eq!(r.hdr.args, [1, 2, 3, 4, 5, 6]);
        assert_eq!(r.hdr.nr, 59);
        assert_eq!(r.task, Some(task));
        assert_eq!(r.task.unwrap().comm(), b"bash");
        assert_eq!(r.item(tag::USTR, 0), Some(&b"/bin/sh\0"[..]));
        assert_eq!(RawFdInfo::read(r.item(tag::FDINFO, ARG_RET).unwrap()).unwrap().ino, 4);
        assert_eq!(r.items().count(), 2);
    }

    #[test]
    fn malformed_records_are_errors() {
        assert!(matches!(
            RawRecord::parse(&[0u8; 10]),
            Err(RecordError::ShortHeader { len: 10 })
        ));
        let good = RecordEncoder::new(REC_SYS_EXIT, 0, 1, 1).ustr(1, "abc").encode();
        // Every truncation of a valid record is rejected, none panics.
        for cut in 0..good.len() {
            assert!(RawRecord::parse(&good[..cut]).is_err(), "cut at {cut}");
        }
        // An item claiming more bytes than the record holds.
        let mut bad = good.clone();
        bad[HDR_LEN] = 200;
        assert!(matches!(RawRecord::parse(&bad), Err(RecordError::ItemOverrun { .. })));
        // A tuple item of the wrong size.
        let bad = RecordEncoder::new(REC_SYS_EXIT, 0, 1, 1)
            .item(tag::TUPLE, 0, &[1, 2, 3])
            .encode();
        assert!(matches!(RawRecord::parse(&bad), Err(RecordError::ItemSize { .. })));
        let mut bad = good.clone();
        bad[20] = 9;
        assert!(matches!(
            RawRecord::parse(&bad),
            Err(RecordError::UnknownKind { kind: 9 })
        ));
        // A task flag without the room for it.
        let mut bad = RecordEncoder::new(REC_SYS_EXIT, 0, 1, 1).encode();
        bad[82] = REC_F_TASK as u8;
        assert!(matches!(RawRecord::parse(&bad), Err(RecordError::ShortTask { .. })));
    }
}
