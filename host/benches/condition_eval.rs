//! Cost of evaluating realistic conditions: three rules of falco_rules.yaml (falco-rules 5.x)
//! with their macros and lists expanded by hand, against an in-memory event.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};

use saker::rules::compile::{compile_with, CompiledFilter, SlotRegistry};
use saker::rules::eval::EvalContext;
use saker::rules::fields::{
    catalog_from_libsinsp_tsv, FieldArg, FieldCatalog, FieldId, FieldInfo, FieldSource, FieldType, TableCatalog,
};
use saker::rules::parse::parse_condition;
use saker::rules::value::Values;

/// "Terminal shell in container" after macro/list expansion.
const TERMINAL_SHELL: &str = "(evt.type in (execve, execveat)) and (container.id != host) \
    and (proc.name in (ash, bash, csh, ksh, sh, tcsh, zsh, dash)) and proc.tty != 0 \
    and (not proc.pname exists or proc.pname in (runc:[0:PARENT], runc:[1:CHILD], runc, \
    docker-runc, exe, docker-runc-cur, containerd-shim, systemd, crio, conmon)) \
    and not (evt.num=0)";

/// "Read sensitive file untrusted" with its first exceptions expanded.
const READ_SENSITIVE: &str = "(evt.type in (open,openat,openat2) and evt.is_open_read=true \
    and fd.typechar='f' and fd.num>=0) \
    and (fd.name in (/etc/shadow, /etc/sudoers, /etc/pam.conf, /etc/security/pwquality.conf) \
      or fd.directory in (/etc/sudoers.d, /etc/pam.d)) \
    and (not proc.name in (\"<NA>\",\"N/A\")) \
    and not proc.name in (useradd, userdel, usermod, groupadd, groupdel, passwd, chpasswd, \
      login, su, sudo, dpkg, rpm, yum, apt, apt-get, cron, crond, sshd, bash, sh, zsh, \
      in.proftpd, mandb, salt-call, salt-minion, google_oslogin_) \
    and not (proc.name in (cmp, cp) and proc.pname=passwd) \
    and not (proc.name=python and proc.cmdline contains ansible) \
    and not (proc.pname=qualys-cloud-ag) \
    and not (proc.aname[2]=chef-client or proc.aname[3]=chef-client) \
    and not (evt.num=0) \
    and not (proc.cmdline startswith \"bash /var/lib/dpkg/info/mandb\") \
    and not (proc.name=perl and proc.cmdline contains /usr/local/psa/admin/bin) \
    and not (fd.name startswith /etc/shadow and proc.exepath endswith /linux-bench)";

/// A write-below-etc style rule with string prefix checks.
const WRITE_ETC: &str = "(evt.type in (open,openat,openat2) and evt.is_open_write=true \
    and fd.typechar='f' and fd.num>=0) and fd.name startswith /etc \
    and not proc.name in (passwd, useradd, dpkg, rpm, apk, yum, ca-certificates) \
    and not fd.name pmatch (/etc/ld.so.cache, /etc/resolv.conf, /etc/hosts) \
    and not fd.directory in (/etc/cni/net.d, /etc/kubernetes) \
    and not proc.cmdline icontains \"update-ca\"";

/// An `openat` of /etc/shadow by `cat` run from bash inside a container.
struct TestEvent {
    values: Vec<Option<Values>>,
}

impl TestEvent {
    fn new(catalog: &TableCatalog) -> Self {
        let mut values: Vec<Option<Values>> = Vec::new();
        let mut set = |name: &str, f: &dyn Fn(&mut Values)| {
            let id = catalog.resolve(name, None).expect(name).id.0 as usize;
            if values.len() <= id {
                values.resize(id + 1, None);
            }
            let mut v = Values::new();
            f(&mut v);
            values[id] = Some(v);
        };
        set("evt.type", &|v| v.push_str("openat"));
        set("evt.num", &|v| v.push_u64(4242));
        set("evt.is_open_read", &|v| v.push_bool(true));
        set("evt.is_open_write", &|v| v.push_bool(false));
        set("fd.typechar", &|v| v.push_str("f"));
        set("fd.num", &|v| v.push_i64(3));
        set("fd.name", &|v| v.push_str("/etc/shadow"));
        set("fd.directory", &|v| v.push_str("/etc"));
        set("proc.name", &|v| v.push_str("cat"));
        set("proc.pname", &|v| v.push_str("bash"));
        set("proc.cmdline", &|v| v.push_str("cat /etc/shadow"));
        set("proc.exepath", &|v| v.push_str("/usr/bin/cat"));
        set("proc.tty", &|v| v.push_i64(34816));
        set("container.id", &|v| v.push_str("3ad7b26ded6d"));
        TestEvent { values }
    }
}

impl FieldSource for TestEvent {
    fn extract(&mut self, field: FieldId, arg: &FieldArg, out: &mut Values) -> bool {
        if let FieldArg::Index(_) = arg {
            // proc.aname[N]: ancestors above the parent are unknown in this event.
            return false;
        }
        match self.values.get(field.0 as usize) {
            Some(Some(v)) => {
                out.copy_from(v);
                true
            }
            _ => false,
        }
    }
}

/// This thread's user+system CPU time in clock ticks (Linux `/proc/thread-self/stat`).
fn thread_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn reference_dir() -> Option<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let candidate = dir.join("shared/reference");
        if candidate.join("libsinsp_fields.tsv").is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

fn bench(c: &mut Criterion) {
    let Some(dir) = reference_dir() else {
        eprintln!("skipped: shared/reference/libsinsp_fields.tsv not found");
        return;
    };
    let tsv = std::fs::read_to_string(dir.join("libsinsp_fields.tsv")).expect("read tsv");
    let mut catalog = catalog_from_libsinsp_tsv(&tsv).expect("tsv");
    // Provided by the container plugin in Falco.
    catalog.add(FieldInfo::new("container.id", FieldType::CharBuf, "container id"));
    let mut registry = SlotRegistry::new();
    let filters: Vec<CompiledFilter> = [TERMINAL_SHELL, READ_SENSITIVE, WRITE_ETC]
        .iter()
        .map(|cond| {
            let ast = parse_condition(cond).expect("parses");
            compile_with(&ast, &catalog, &mut registry).expect("compiles")
        })
        .collect();
    let mut event = TestEvent::new(&catalog);
    let mut ctx = EvalContext::new();
    // The event matches "Read sensitive file untrusted" only.
    let results: Vec<bool> = filters.iter().map(|f| f.eval(&mut ctx, &mut event)).collect();
    assert_eq!(results, [false, true, false]);

    // Wall-clock numbers suffer when other processes share the CPU; also report this thread's
    // CPU time per event (utime+stime from /proc, in 10 ms ticks, over enough iterations).
    if let Some(start) = thread_cpu_ticks() {
        const ITERATIONS: u32 = 2_000_000;
        let mut matched = 0usize;
        for _ in 0..ITERATIONS {
            ctx.next_event();
            for f in &filters {
                matched += usize::from(f.eval(&mut ctx, &mut event));
            }
        }
        if let Some(end) = thread_cpu_ticks() {
            let ns = (end - start) as f64 * 1e7 / f64::from(ITERATIONS);
            println!("three rules, shared cache: {ns:.0} ns CPU time per event ({matched} matches)");
        }
    }

    c.bench_function("read_sensitive_file_untrusted (one rule, fresh event)", |b| {
        b.iter(|| {
            ctx.next_event();
            filters[1].eval(&mut ctx, &mut event)
        })
    });
    c.bench_function("three rules, shared cache (one event)", |b| {
        b.iter(|| {
            ctx.next_event();
            let mut n = 0;
            for f in &filters {
                n += usize::from(f.eval(&mut ctx, &mut event));
            }
            n
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
