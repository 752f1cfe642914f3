//! Raw record → scap event throughput (records/s) of the live builder, for a mix of an
//! openat with a path and fd info, a write with an 80-byte buffer, a connect with a tuple and
//! an execve with a task block and its items.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use syscall::live::records::{tag, RawFdInfo, RawTuple, RecordEncoder, TaskBlock, ARG_RET, REC_SYS_EXIT};
use syscall::live::syscall_nr;
use syscall::live::to_scap::ScapBuilder;

fn nr(name: &str) -> u16 {
    syscall_nr::by_name(name).unwrap().nr
}

fn records() -> Vec<Vec<u8>> {
    let tuple = RawTuple {
        family: 2,
        sock_type: 1,
        local_addr: [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        remote_addr: [1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        local_port: 40000,
        remote_port: 443,
        unix_local: 0,
        unix_peer: 0,
        unix_path: b"",
        unix_peer_path: b"",
    };
    vec![
        RecordEncoder::new(REC_SYS_EXIT, nr("openat"), 7, 7)
            .ret(3)
            .args([-100i64 as u64, 0, 0, 0, 0, 0])
            .ustr(1, "/etc/ld.so.cache")
            .fdinfo(ARG_RET, &RawFdInfo::default())
            .encode(),
        RecordEncoder::new(REC_SYS_EXIT, nr("write"), 7, 7)
            .ret(80)
            .args([1, 0, 80, 0, 0, 0])
            .item(tag::UBUF, 1, &[b'x'; 80])
            .encode(),
        RecordEncoder::new(REC_SYS_EXIT, nr("connect"), 7, 7)
            .args([4, 0, 16, 0, 0, 0])
            .tuple(0, &tuple)
            .item(tag::SOCKADDR, 1, &[2, 0, 1, 187, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0])
            .encode(),
        RecordEncoder::new(REC_SYS_EXIT, nr("execve"), 7, 7)
            .task(TaskBlock::default())
            .ustr(0, "/usr/bin/cat")
            .item(tag::EXE_PATH, 0, b"/usr/bin/cat\0")
            .item(tag::ARGS, 0, b"cat\0/etc/passwd\0")
            .item(tag::ENV, 0, &[b'E'; 512])
            .item(tag::CWD, 0, b"/home/user\0")
            .item(tag::CGROUPS, 0, b"cpu=/user.slice\0memory=/user.slice\0")
            .encode(),
    ]
}

fn build(c: &mut Criterion) {
    let recs = records();
    let mut builder = ScapBuilder::new(0);
    let mut out = Vec::with_capacity(1 << 16);
    let mut g = c.benchmark_group("live_build");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("openat+write+connect+execve", |b| {
        b.iter(|| {
            out.clear();
            for r in &recs {
                let rec = syscall::live::records::RawRecord::parse(r).unwrap();
                builder.build(&rec, &mut out).unwrap();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, build);
criterion_main!(benches);
