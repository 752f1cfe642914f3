/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between Saker's eBPF programs (saker.bpf.c) and user space (src/live/).
 *
 * The kernel side stays generic: for every syscall it sends one compact "raw record" (numbers
 * from the registers, plus data items read from user or kernel memory as the per-syscall
 * capture table asks). User space turns raw records into scap events (event_table.tsv) with
 * all parameters, so the state, fields and capture writer are the ones replay uses.
 *
 * Everything is little-endian, packed, and records are not aligned in the ring buffer beyond
 * what bpf_ringbuf_reserve gives (8 bytes). User space must read fields unaligned.
 */
#ifndef SAKER_RECORDS_H
#define SAKER_RECORDS_H

#ifndef __SAKER_BPF__
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int64_t __s64;
#endif

/* ---- Record kinds (saker_rec_hdr.kind) ---- */
#define SAKER_REC_SYS_EXIT 1     /* sys_exit tracepoint of an enabled syscall */
#define SAKER_REC_SYS_ENTER 2    /* sys_enter tracepoint, only for syscalls with cfg.enter = 1 */
#define SAKER_REC_PROC_EXIT 3    /* sched_process_exit: args[0]=exit_code (task->exit_code),
                                    args[1]=reaper tid (0 when unknown); nr = 0 */
#define SAKER_REC_PROC_EXEC 4    /* sched_process_exec, with a task block; only when the
                                    execve/execveat exit is not enabled; nr = 0 */

/* ---- Header flags (saker_rec_hdr.flags) ---- */
#define SAKER_REC_F_TASK 1       /* a struct saker_task follows the header */
#define SAKER_REC_F_TRUNCATED 2  /* some data item was cut to its cap (snaplen, path depth…) */

/* Every record starts with this header. */
struct saker_rec_hdr {
	__u64 ts;      /* bpf_ktime_get_boot_ns(); user space adds the boot time to get epoch ns */
	__u32 tid;     /* host thread id (task->pid) */
	__u32 pid;     /* host process id (task->tgid) */
	__u32 len;     /* the whole record: header + task block + data items */
	__u16 kind;    /* SAKER_REC_* */
	__u16 nr;      /* x86_64 syscall number (sys records) */
	__s64 ret;     /* syscall return value (exit records), 0 otherwise */
	__u64 args[6]; /* syscall arguments from the saved registers (di si dx r10 r8 r9) */
	__u16 ndata;   /* number of data items after the header (and task block) */
	__u16 flags;   /* SAKER_REC_F_* */
	__u32 cpu;     /* bpf_get_smp_processor_id() */
} __attribute__((packed));

/*
 * The task block: what the state needs about the current task after execve/execveat/clone*
 * /fork/vfork exits (both in the parent and in the child, whose ret is 0) and for
 * SAKER_REC_PROC_EXEC. Sizes in KiB, times in ns since boot unless said otherwise.
 */
struct saker_task {
	__u32 ppid;          /* real_parent->tgid */
	__u32 vtid;          /* tid in the task's pid namespace */
	__u32 vpid;          /* tgid in the task's pid namespace */
	__u32 pgid;          /* process group id (host) */
	__u32 vpgid;         /* process group id in the pid namespace */
	__u32 sid;           /* session id (host) */
	__u32 uid, gid;      /* cred->euid / egid (libsinsp's user.uid is the effective uid) */
	__u32 ruid, rgid;    /* cred->uid / gid */
	__u32 loginuid;      /* task->loginuid (0xffffffff when unset) */
	__u32 tty;           /* new_encode_dev of the controlling tty, 0 when none */
	__u64 cap_inheritable, cap_permitted, cap_effective;
	__u64 start_time;        /* task->start_time (ns since boot) */
	__u64 pidns_init_start_ts; /* start_time of the pid namespace's init (child reaper) */
	__u64 fdlimit;           /* signal->rlim[RLIMIT_NOFILE].rlim_cur */
	__u64 pgft_maj, pgft_min;
	__u32 vm_size, vm_rss, vm_swap; /* KiB */
	__u32 exe_flags;         /* SAKER_EXE_* */
	__u64 exe_ino;
	__u64 exe_ctime, exe_mtime; /* epoch ns of the executable's inode */
	__u64 clone_flags;       /* for clone records: the flags argument (clone3: from clone_args) */
	char comm[16];
} __attribute__((packed));

/* One task of the task iterator (saker_task_iter). */
struct saker_iter_task {
	__u32 tid;  /* task->pid */
	__u32 pid;  /* task->tgid */
	struct saker_task task;
} __attribute__((packed));

#define SAKER_EXE_WRITABLE 1      /* the executable is writable by the task's user */
#define SAKER_EXE_UPPER_LAYER 2   /* the executable is on an overlayfs upper layer */
#define SAKER_EXE_FROM_MEMFD 4    /* the executable is a memfd */
#define SAKER_EXE_LOWER_LAYER 8   /* the executable is on an overlayfs lower layer */

/* Each data item: this header, then `len` bytes. */
struct saker_data_hdr {
	__u16 len;
	__u8 tag;   /* SAKER_D_* */
	__u8 arg;   /* for argument items: the argument index 0..5; otherwise 0 */
} __attribute__((packed));

/* ---- Data item tags ---- */
#define SAKER_D_USTR 1       /* NUL-terminated user string at args[arg] (len includes the NUL;
                                len 0 when the pointer was NULL or unreadable) */
#define SAKER_D_UBUF 2       /* bytes of the user buffer at args[arg] (length: see capture kinds) */
#define SAKER_D_SOCKADDR 3   /* raw struct sockaddr bytes read from user memory at args[arg] */
#define SAKER_D_TUPLE 4      /* struct saker_tuple of the socket of the fd in args[arg], or of
                                the returned fd when arg = 6 */
#define SAKER_D_FDINFO 5     /* struct saker_fdinfo of the file of args[arg], or of the
                                returned fd when arg = 6 */
#define SAKER_D_EXE_PATH 6   /* absolute path of mm->exe_file (NUL-terminated) */
#define SAKER_D_ARGS 7       /* mm->arg_start..arg_end: NUL-separated argv, capped */
#define SAKER_D_ENV 8        /* mm->env_start..env_end: NUL-separated, capped */
#define SAKER_D_CWD 9        /* absolute path of fs->pwd (NUL-terminated) */
#define SAKER_D_CGROUPS 10   /* "subsys=path\0" entries of the cgroup v2 hierarchy, e.g.
                                "cpuset=/user.slice\0cpu=/user.slice\0…"; may be just one
                                entry with the unified path */
#define SAKER_D_UINT_PAIR 11 /* two 32-bit ints read from user memory at args[arg] (pipe,
                                socketpair fds) */
#define SAKER_D_FD_PATH 12   /* absolute path of the file of the fd in args[arg] / ret (arg 6) */
#define SAKER_D_VM 13        /* struct saker_vm of the current task's mm (cfg.vm); arg 0 */
#define SAKER_D_IOVEC 14     /* an iovec array's bytes: a __u32 with the sum of the iov_len of
                                its first SAKER_MAX_IOV entries, then the data of the buffers one
                                after the other, up to the capture length (see capture kinds) */
#define SAKER_D_SOCK_QUEUE 15 /* two __u32, the accept queue of the listening socket of the fd
                                in args[arg]: sk_ack_backlog, sk_max_ack_backlog */
#define SAKER_D_MMSG 16      /* one message of a sendmmsg/recvmmsg array (arg = its index,
                                0..SAKER_MAX_MMSG-1): struct saker_mmsg, then data_len bytes of
                                its iovec data, then control_len bytes of its control data, then
                                name_len bytes of its msg_name */

/* Memory counters of a task (Falco's vm_size / vm_rss / vm_swap), KiB. */
struct saker_vm {
	__u32 vm_size;  /* mm->total_vm pages */
	__u32 vm_rss;   /* file + anon + shmem resident pages */
	__u32 vm_swap;  /* swap entries */
} __attribute__((packed));

/* struct pollfd entries read for one SAKER_ARG_POLLFDS item (Falco's driver sends 16 too) */
#define SAKER_MAX_POLLFD 16

/* iovec entries read for one SAKER_D_IOVEC item (Falco reads 32 too) */
#define SAKER_MAX_IOV 32

/* messages of one sendmmsg/recvmmsg call sent as SAKER_D_MMSG items (Falco's driver: 16) */
#define SAKER_MAX_MMSG 16

/* The head of a SAKER_D_MMSG item. */
struct saker_mmsg {
	__u32 msg_len;     /* the message's msg_len as the call left it (bytes sent / received) */
	__u32 iov_total;   /* the sum of the iov_len of its first SAKER_MAX_IOV iovec entries */
	__u16 data_len;    /* data bytes that follow: min(msg_len, snaplen), cut to the record */
	__u16 control_len; /* control bytes after the data (recvmmsg): min(msg_controllen,
	                      snaplen); 0 for sendmmsg */
	__u16 name_len;    /* msg_name bytes after the control data: min(msg_namelen, 128) as the
	                      call left it (the destination / the sender of an unconnected socket) */
	__u16 pad;
} __attribute__((packed));

struct saker_tuple {
	__u8 family;       /* AF_INET=2, AF_INET6=10, AF_UNIX=1, 0 when not a socket */
	__u8 pad[3];
	__u32 sock_type;   /* SOCK_STREAM=1, SOCK_DGRAM=2 … */
	__u8 local_addr[16];  /* IPv4: first 4 bytes; network byte order */
	__u8 remote_addr[16];
	__u16 local_port;  /* host byte order */
	__u16 remote_port;
	/* AF_UNIX: the socket's own kernel address and its peer's, the socket's bound path and
	 * its peer's (abstract names without their leading NUL) */
	__u64 unix_local, unix_peer;
	char unix_path[108];
	char unix_peer_path[108];
} __attribute__((packed));

struct saker_fdinfo {
	__u32 dev;   /* new_encode_dev of the inode's superblock device */
	__u32 flags; /* file->f_flags */
	__u64 ino;
	__u32 layer;    /* SAKER_LAYER_*: where the file is on an overlayfs */
	__u32 fs_magic; /* magic of the inode's superblock (the real one under an overlayfs) */
	__u32 mode;     /* file->f_mode (FMODE_*: FMODE_CREATED tells an open that created the file) */
} __attribute__((packed));

#define SAKER_LAYER_NONE 0  /* not opened through an overlayfs */
#define SAKER_LAYER_UPPER 1 /* an overlayfs file with an upper-layer copy */
#define SAKER_LAYER_LOWER 2 /* an overlayfs file only in a lower layer */

/*
 * ---- The per-syscall capture table (BPF array map "syscall_cfg", index = syscall nr,
 * SAKER_MAX_SYSCALLS entries), written by user space and changed live on reload ----
 */
#define SAKER_MAX_SYSCALLS 512

/* arg_kind values */
#define SAKER_ARG_NONE 0
#define SAKER_ARG_USTR 1        /* SAKER_D_USTR */
#define SAKER_ARG_UBUF_RET 2    /* SAKER_D_UBUF, length = ret when ret > 0 (read, recv…) */
#define SAKER_ARG_UBUF_ARG 3    /* SAKER_D_UBUF, length = args[arg_len[i]] (write, send…) */
#define SAKER_ARG_SOCKADDR 4    /* SAKER_D_SOCKADDR, length = args[arg_len[i]] (connect, bind,
                                   sendto), capped at 128 */
#define SAKER_ARG_SOCKADDR_PTR 5 /* SAKER_D_SOCKADDR, length = *(int *)args[arg_len[i]] read
                                   from user memory (accept, recvfrom, getsockname) */
#define SAKER_ARG_UINT_PAIR 6   /* SAKER_D_UINT_PAIR */
#define SAKER_ARG_TUPLE 7       /* SAKER_D_TUPLE of the fd in this argument */
#define SAKER_ARG_FDINFO 8      /* SAKER_D_FDINFO of the fd in this argument */
#define SAKER_ARG_FD_PATH 9     /* SAKER_D_FD_PATH of the fd in this argument */
#define SAKER_ARG_IOVEC_RET 10  /* SAKER_D_IOVEC of the iovec array in this argument, count =
                                   args[arg_len[i]]; data length min(ret, snaplen), no item when
                                   ret <= 0 (readv, preadv) */
#define SAKER_ARG_IOVEC_ARG 11  /* as IOVEC_RET, data length snaplen, or ret when 0 < ret <
                                   snaplen; always an item (writev, pwritev) */
#define SAKER_ARG_MSGHDR_RET 12 /* SAKER_D_IOVEC of the msg_iov of the struct user_msghdr in this
                                   argument, lengths as IOVEC_RET (recvmsg) */
#define SAKER_ARG_MSGHDR_ARG 13 /* as MSGHDR_RET, lengths as IOVEC_ARG (sendmsg) */
#define SAKER_ARG_PIPE_FDS 14   /* SAKER_D_UINT_PAIR, then, when ret = 0, SAKER_D_FDINFO (same
                                   arg) of the first fd of the pair (pipe, pipe2) */
#define SAKER_ARG_SOCKPAIR_FDS 15 /* SAKER_D_UINT_PAIR, then, when ret = 0, SAKER_D_TUPLE (same
                                   arg) of the first fd of the pair (socketpair) */
#define SAKER_ARG_UBUF_LENPTR 16 /* SAKER_D_UBUF, length = *(int *)args[arg_len[i]] read from
                                   user memory at exit, capped at snaplen (getsockopt optval) */
#define SAKER_ARG_UBUF_LEN 17   /* SAKER_D_UBUF of arg_len[i] bytes (a byte count here, not an
                                   argument index: struct rlimit …) */
#define SAKER_ARG_SOCK_QUEUE 18 /* SAKER_D_SOCK_QUEUE of the socket of the fd in this argument,
                                   only when ret >= 0 (accept, accept4: the listening socket) */
#define SAKER_ARG_POLLFDS 19    /* SAKER_D_UBUF of the struct pollfd array in this argument: the
                                   first min(args[arg_len[i]], SAKER_MAX_POLLFD) entries, 8 bytes
                                   each, read at exit (so revents are the returned events) */
#define SAKER_ARG_PTRACE_WORD 20 /* SAKER_D_UBUF of the 8-byte word at the address in this
                                   argument, only when ret >= 0 and args[0] is PTRACE_PEEKTEXT,
                                   PEEKDATA or PEEKUSR (1, 2, 3): the word the kernel stored */
#define SAKER_ARG_MMSGHDR 21    /* a SAKER_D_MMSG item for each of the first min(ret,
                                   SAKER_MAX_MMSG) struct mmsghdr of the array in this argument,
                                   read as the call left them; arg_len[i] = 1 adds their control
                                   data; no item when ret <= 0 (sendmmsg, recvmmsg) */

#define SAKER_ARG_SEMBUFS 22    /* SAKER_D_UBUF of the first min(args[arg_len[i]], 2) struct sembuf
                                   (6 bytes each) of the array in this argument, only when
                                   ret == 0 (semop) */
#define SAKER_ARG_KEYCTL_STR 23 /* SAKER_D_USTR of this argument when the keyctl operation in
                                   args[0] takes a string there (JOIN_SESSION_KEYRING's name,
                                   SEARCH's type and description …); no item otherwise */
#define SAKER_ARG_QUOTACTL_ADDR 24 /* by the quotactl command in args[0]: Q_QUOTAON: SAKER_D_USTR
                                   (the quota file); Q_GETQUOTA/Q_SETQUOTA: SAKER_D_UBUF of the
                                   72-byte struct if_dqblk; Q_GETINFO/Q_SETINFO: of the 24-byte
                                   struct if_dqinfo; Q_GETFMT: of the 4-byte format; read at exit */
#define SAKER_ARG_FSCONFIG_VALUE 25 /* by the fsconfig command in args[1], only when ret >= 0:
                                   SET_STRING, SET_PATH, SET_PATH_EMPTY: SAKER_D_USTR;
                                   SET_BINARY: SAKER_D_UBUF of min(args[4], snaplen) bytes */
#define SAKER_ARG_MSGCONTROL 26 /* SAKER_D_UBUF (arg = this argument) of the msg_control of the
                                   struct user_msghdr at args[arg_len[i]] (recvmsg),
                                   min(msg_controllen, snaplen) bytes read at exit, only when
                                   ret >= 0 */

/* ret_kind values: what to capture about the returned fd (when ret >= 0) */
#define SAKER_RET_NONE 0
#define SAKER_RET_TUPLE 1       /* SAKER_D_TUPLE with arg = 6 (accept, accept4) */
#define SAKER_RET_FDINFO 2      /* SAKER_D_FDINFO with arg = 6 (open*, creat …) */

struct saker_sc_cfg {
	__u8 enabled;      /* send an exit record */
	__u8 enter;        /* also send an enter record (numbers only, no data items) */
	__u8 task;         /* add the task block; process syscalls also add EXE_PATH, ARGS, ENV
	                      (execve family only), CWD and CGROUPS items */
	__u8 ret_kind;     /* SAKER_RET_* */
	__u8 arg_kind[6];  /* SAKER_ARG_* per argument, read at exit */
	__u8 arg_len[6];   /* for UBUF_ARG / SOCKADDR / SOCKADDR_PTR / UBUF_LENPTR:
	                      index of the length argument; IOVEC_*: of the count */
	__u16 snaplen;     /* cap of UBUF items (Falco's snaplen, default 80) */
	__u8 drop_failed;  /* 1: do not send the exit record when ret < 0 (drop_failed_exit) */
	__u8 vm;           /* 1: add a SAKER_D_VM item (mmap, munmap, brk) */
} __attribute__((packed));

/* Caps on variable data, in bytes. */
#define SAKER_MAX_PATH 4096
#define SAKER_MAX_ARGS 4096
#define SAKER_MAX_ENV 4096
#define SAKER_MAX_CGROUPS 1024

/*
 * ---- Drop counters (BPF per-CPU array map "drops", index = SAKER_DROP_*, __u64 each) ----
 * Every record that is not delivered is counted here by cause; user space sums the CPUs for
 * totals and keeps the per-CPU values for /metrics.
 */
#define SAKER_DROP_BUFFER_FULL 0    /* bpf_ringbuf_reserve failed */
#define SAKER_DROP_USER_READ 1      /* a user-memory read failed (the record was still sent,
                                       with an empty item; counted, not dropped) */
#define SAKER_DROP_KERNEL_READ 2    /* a kernel-memory read failed (as above) */
#define SAKER_DROP_TOO_LARGE 3      /* a record did not fit the scratch area and was cut */
#define SAKER_DROP_COUNTERS 8

/* Per-CPU event counters (BPF per-CPU array map "counters"): index 1 = records sent. Index 0
 * is not written: the records seen by the programs are the sent ones plus the
 * SAKER_DROP_BUFFER_FULL drops (one map update less per record). */
#define SAKER_CNT_SEEN 0 /* not written (see above) */
#define SAKER_CNT_SENT 1
#define SAKER_CNT_COUNTERS 4

/*
 * ---- Global settings (BPF array map "settings", one struct at index 0) ----
 */
struct saker_settings {
	__u32 self_tgid;      /* Saker's own process: its syscalls are never sent */
	__u32 enabled;        /* 0 until user space has filled syscall_cfg and is reading */
	__u32 proc_exit;      /* send SAKER_REC_PROC_EXIT */
	__u32 proc_exec;      /* send SAKER_REC_PROC_EXEC */
} __attribute__((packed));

/*
 * ---- Ring buffers ----
 * One BPF_MAP_TYPE_RINGBUF per group of `cpus_for_each_buffer` CPUs (Falco's modern_ebpf key),
 * sized from `buf_size_preset`. A program picks the buffer of its CPU. How the buffers are
 * declared (array of maps, or a fixed set of ring buffer maps and a CPU -> buffer index array)
 * is the loader's choice (src/live/bpf.rs); it is not part of this contract.
 */

#endif /* SAKER_RECORDS_H */
