/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * Saker's live capture programs: one raw record per syscall (records.h), built in a per-CPU
 * scratch area and copied into the ring buffer of the CPU's group.
 *
 * Verifier budget: the attached programs stay small; every data item is written by a global
 * (non-static, noinline) function that the verifier checks once, independently of its call
 * sites. Offsets into the scratch area live in the map value, never in registers across
 * items, and are re-bounded with a mask before each access, so the states of different items
 * prune against each other.
 */
#define __SAKER_BPF__
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "kernel_types.h"
#include "records.h"

/* The probe reads GPL-only helpers (bpf_probe_read_*), so the program's license must be GPL. */
char LICENSE[] SEC("license") = "GPL";

/* ---- Limits ---- */
#define SCRATCH_LIMIT 32768 /* largest record */
#define SCRATCH_MASK (SCRATCH_LIMIT - 1)
#define PATH_MASK (SAKER_MAX_PATH - 1)
#define PATH_DEPTH 48      /* dentries walked for one path, mount crossings included */
#define CGROUP_DEPTH 16    /* kernfs nodes walked for one cgroup path */
#define CGROUP_SUBSYS 14   /* css_set->subsys slots looked at */
#define SOCKADDR_MAX 128
#define RING_BUFFERS 16    /* rb0..rb15; the loader maps CPUs onto the first ones */
#define ITEM_HDR ((__u32)sizeof(struct saker_data_hdr))

/* x86_64 syscall numbers with special handling */
#define NR_CLONE 56
#define NR_FORK 57
#define NR_VFORK 58
#define NR_EXECVE 59
#define NR_CLONE3 435
#define NR_EXECVEAT 322

#define TS_COMPAT 0x0002
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define RLIMIT_NOFILE 7
#define PIDTYPE_PGID 2
#define PIDTYPE_SID 3

/*
 * records.h's structs are packed (user space reads them unaligned), so clang accesses their
 * fields byte by byte: 8 loads or stores and 7 shifts for a __u64. Where the programs keep them
 * they are 8-byte aligned (map values; the record header at the start of the scratch buffer)
 * and every field sits at its natural alignment in them: these names say so, and the fields
 * are read and written whole. The bytes are the same.
 */
typedef struct saker_rec_hdr __attribute__((aligned(8))) rec_hdr_t;
typedef struct saker_sc_cfg __attribute__((aligned(8))) sc_cfg_t;
typedef struct saker_settings __attribute__((aligned(8))) settings_t;
_Static_assert(sizeof(sc_cfg_t) == sizeof(struct saker_sc_cfg), "the map value keeps its size");
_Static_assert(sizeof(settings_t) == sizeof(struct saker_settings), "the map value keeps its size");

/* ---- Maps (names are part of the loader contract, records.h) ---- */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SAKER_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, sc_cfg_t);
} syscall_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, settings_t);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SAKER_DROP_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SAKER_CNT_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* CPU id -> ring buffer index (0..RING_BUFFERS-1); max_entries set by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cpu_rb SEC(".maps");

/*
 * The record under construction, one slot per CPU (an array indexed by CPU id rather than a
 * per-CPU array: per-CPU values are limited to 32 KiB). Twice the record limit so that any
 * masked offset below the limit plus any length below the limit stays inside.
 */
struct scratch {
	__u32 off;   /* end of the record so far */
	__u16 ndata;
	__u16 flags;
	__u32 tpos;  /* path walk: start of the path in tmp */
	__u32 depth; /* cgroup walk: kernfs nodes collected */
	__u32 croom; /* cgroup walk: room left in the CGROUPS item */
	__u32 iov_cnt;  /* iovec walk: entries to read */
	__u32 iov_off;  /* iovec walk: where the item's data starts in buf */
	__u32 iov_cap;  /* iovec walk: data bytes wanted */
	__u32 iov_done; /* iovec walk: data bytes copied */
	__u64 iov_p;    /* iovec walk: user address of the array */
	__u64 iov_total; /* iovec walk: sum of the iov_len read */
	__u64 produced;  /* bytes sent from this CPU since its last reader wakeup */
	sc_cfg_t cfg;
	__u64 kn[CGROUP_DEPTH];
	__u8 buf[2 * SCRATCH_LIMIT];
	__u8 tmp[2 * SAKER_MAX_PATH];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");
_Static_assert(__builtin_offsetof(struct scratch, buf) % 8 == 0, "rec_hdr_t needs an aligned buf");

#define RINGBUF(name)                                                                              \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                                                \
		__uint(max_entries, 4096);                                                         \
	} name SEC(".maps")

RINGBUF(rb0);
RINGBUF(rb1);
RINGBUF(rb2);
RINGBUF(rb3);
RINGBUF(rb4);
RINGBUF(rb5);
RINGBUF(rb6);
RINGBUF(rb7);
RINGBUF(rb8);
RINGBUF(rb9);
RINGBUF(rb10);
RINGBUF(rb11);
RINGBUF(rb12);
RINGBUF(rb13);
RINGBUF(rb14);
RINGBUF(rb15);

/* ---- Small helpers ---- */

/*
 * bpf_get_current_task_btf (Linux 5.11+) gives the task as a BTF pointer, read with plain loads;
 * before it, each field costs a bpf_probe_read_kernel call. The branch not taken on the running
 * kernel is dropped by the verifier.
 */
#define HAVE_TASK_BTF bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)

/* x &= mask in a way clang cannot drop, so the verifier sees the bound where it is used. */
#define BOUND(x, mask) asm volatile("%[v] &= " #mask : [v] "+r"(x))

/*
 * Per-CPU counters need no atomic add: the programs run with preemption disabled (the syscall
 * tracepoints disable it around BPF programs), so nothing else runs on this CPU meanwhile; the
 * per-CPU scratch area relies on the same.
 */
static __always_inline void count(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);
	if (v)
		*v += 1;
}

static __always_inline struct scratch *scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&scratch, &cpu);
}

static __always_inline rec_hdr_t *rec_hdr(struct scratch *s)
{
	return (rec_hdr_t *)s->buf;
}

/*
 * Reserves room for one item at the end of the record: returns the item's offset (header
 * included) and the room left for its bytes in *room, or -1 when not even the item header fits.
 */
static __always_inline long item_begin(struct scratch *s, __u32 *room)
{
	__u32 off = s->off;
	if (off > SCRATCH_LIMIT - ITEM_HDR) {
		s->flags |= SAKER_REC_F_TRUNCATED;
		count(&drops, SAKER_DROP_TOO_LARGE);
		return -1;
	}
	*room = SCRATCH_LIMIT - ITEM_HDR - off;
	return off;
}

static __always_inline void item_end(struct scratch *s, __u32 off, __u8 tag, __u8 arg, __u32 len)
{
	struct saker_data_hdr *h = (void *)&s->buf[off & SCRATCH_MASK];
	len &= SCRATCH_MASK;
	h->len = len;
	h->tag = tag;
	h->arg = arg;
	s->off = off + ITEM_HDR + len;
	s->ndata++;
}

/* want, capped to the room left (marks the record truncated when cut). */
static __always_inline __u32 cap_len(struct scratch *s, __u64 want, __u32 room)
{
	if (want > room) {
		s->flags |= SAKER_REC_F_TRUNCATED;
		want = room;
	}
	return (__u32)want & SCRATCH_MASK;
}

/*
 * The file of fd in the current task. task -> files -> fdt are plain loads through BTF
 * pointers where the kernel has them; the fd array's slot is a pointer to a pointer, which the
 * verifier only lets us read with bpf_probe_read_kernel.
 */
static __always_inline struct file *fd_file(__u64 fd)
{
	struct file **fds;
	if (HAVE_TASK_BTF) {
		struct task_struct *task = bpf_get_current_task_btf();
		struct files_struct *files = task->files;
		if (!files)
			return NULL;
		struct fdtable *fdt = files->fdt;
		if (!fdt || fd >= fdt->max_fds)
			return NULL;
		fds = fdt->fd;
	} else {
		struct task_struct *task = (void *)bpf_get_current_task();
		struct files_struct *files = BPF_CORE_READ(task, files);
		if (!files)
			return NULL;
		struct fdtable *fdt = BPF_CORE_READ(files, fdt);
		if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
			return NULL;
		fds = BPF_CORE_READ(fdt, fd);
	}
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		count(&drops, SAKER_DROP_KERNEL_READ);
	return f;
}

/*
 * Several fields of one kernel object with one bpf_probe_read_kernel: SPAN_READ copies the first
 * sizeof(buf) bytes of the object, SPAN_GET takes a field from that copy when the running
 * kernel's layout (CO-RE offset) puts it there, and reads it on its own otherwise. The copies
 * (file 128, inode 96, super_block 128 bytes) stay inside the objects on every kernel.
 */
#define SPAN_READ(buf, p)                                                                          \
	do {                                                                                       \
		if (bpf_probe_read_kernel(buf, sizeof(buf), p)) {                                  \
			__builtin_memset(buf, 0, sizeof(buf));                                     \
			count(&drops, SAKER_DROP_KERNEL_READ);                                     \
		}                                                                                  \
	} while (0)

#define SPAN_GET(buf, p, field)                                                                    \
	({                                                                                         \
		typeof((p)->field) __v;                                                            \
		__u32 __o = bpf_core_field_offset((p)->field);                                     \
		if (__o + sizeof(__v) <= sizeof(buf))                                              \
			__v = *(typeof(__v) *)&(buf)[__o];                                         \
		else                                                                               \
			__v = BPF_CORE_READ(p, field);                                             \
		__v;                                                                               \
	})

static __always_inline __u32 encode_dev(__u32 kdev)
{
	/* kernel dev_t (major << 20 | minor) -> new_encode_dev, the userspace layout */
	__u32 major = kdev >> 20, minor = kdev & 0xfffff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* ---- Data items (global functions: each verified once) ---- */

/* Bytes of user memory at uptr; len 0 when uptr is NULL or the read fails. */
__noinline int put_user_bytes(__u32 tag, __u32 arg, __u64 uptr, __u64 want)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s)
		return 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	__u32 len = cap_len(s, want, room);
	__u8 *dst = &s->buf[(off + ITEM_HDR) & SCRATCH_MASK];
	if (!uptr || !len) {
		len = 0;
	} else if (bpf_probe_read_user(dst, len, (void *)uptr)) {
		count(&drops, SAKER_DROP_USER_READ);
		len = 0;
	}
	item_end(s, off, tag, arg, len);
	return len;
}

/* A NUL-terminated user string (len includes the NUL). */
__noinline int put_user_str(__u32 arg, __u64 uptr)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s)
		return 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	__u32 cap = cap_len(s, SAKER_MAX_PATH, room);
	__u8 *dst = &s->buf[(off + ITEM_HDR) & SCRATCH_MASK];
	long n = 0;
	if (uptr && cap) {
		n = bpf_probe_read_user_str(dst, cap, (void *)uptr);
		if (n < 0) {
			count(&drops, SAKER_DROP_USER_READ);
			n = 0;
		}
	}
	item_end(s, off, SAKER_D_USTR, arg, n);
	return n;
}

/* struct saker_fdinfo of the file of fd; len 0 when the fd has no file. */
/*
 * SAKER_LAYER_* of an inode whose superblock has magic `magic`. A file opened through an
 * overlayfs (Linux 4.19+: stacked file operations) has the overlay's inode, whose
 * `__upperdentry` is set once the file has an upper-layer copy.
 */
static __always_inline __u32 overlay_layer(struct inode *ino, __u64 magic)
{
	if (magic != OVERLAYFS_SUPER_MAGIC || !ino || !bpf_core_type_exists(struct ovl_inode))
		return SAKER_LAYER_NONE;
	struct ovl_inode *oi = (void *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode);
	struct dentry *upper = BPF_CORE_READ(oi, __upperdentry);
	if (upper && BPF_CORE_READ(upper, d_inode, i_ino))
		return SAKER_LAYER_UPPER;
	return SAKER_LAYER_LOWER;
}

__noinline int put_fdinfo(__u32 arg, __u64 fd)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s)
		return 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	struct file *f = fd_file(fd);
	if (!f || room < sizeof(struct saker_fdinfo)) {
		item_end(s, off, SAKER_D_FDINFO, arg, 0);
		return 0;
	}
	struct saker_fdinfo *fi = (void *)&s->buf[(off + ITEM_HDR) & SCRATCH_MASK];
	__u8 fb[128] __attribute__((aligned(8)));
	SPAN_READ(fb, f);
	struct inode *ino = SPAN_GET(fb, f, f_inode);
	fi->flags = SPAN_GET(fb, f, f_flags);
	fi->mode = SPAN_GET(fb, f, f_mode);
	__u8 ib[96] __attribute__((aligned(8)));
	SPAN_READ(ib, ino);
	struct super_block *sb = SPAN_GET(ib, ino, i_sb);
	fi->ino = SPAN_GET(ib, ino, i_ino);
	__u8 sbb[128] __attribute__((aligned(8)));
	SPAN_READ(sbb, sb);
	fi->dev = encode_dev(SPAN_GET(sbb, sb, s_dev));
	fi->fs_magic = SPAN_GET(sbb, sb, s_magic);
	fi->layer = overlay_layer(ino, fi->fs_magic);
	item_end(s, off, SAKER_D_FDINFO, arg, sizeof(struct saker_fdinfo));
	return 1;
}

/* The bound path of a unix socket into dst (108 bytes, left as is when unbound); an abstract
 * name without its leading NUL. */
static __always_inline void read_unix_path(char *dst, struct sock *sk)
{
	if (!sk)
		return;
	struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
	if (!ua)
		return;
	/* name is a flexible array of sockaddr_un: sun_path follows the 2-byte family */
	void *path = (void *)ua + bpf_core_field_offset(struct unix_address, name) + sizeof(sa_family_t);
	char first = 0;
	if (bpf_probe_read_kernel(&first, 1, path))
		return;
	bpf_probe_read_kernel_str(dst, 108, first ? path : path + 1);
}

/* struct saker_tuple of the socket of fd; family 0 when the fd is not a socket. */
__noinline int put_tuple(__u32 arg, __u64 fd)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s)
		return 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	if (room < sizeof(struct saker_tuple)) {
		item_end(s, off, SAKER_D_TUPLE, arg, 0);
		return 0;
	}
	struct saker_tuple *t = (void *)&s->buf[(off + ITEM_HDR) & SCRATCH_MASK];
	__builtin_memset(t, 0, sizeof(*t));
	item_end(s, off, SAKER_D_TUPLE, arg, sizeof(*t));

	struct file *f = fd_file(fd);
	if (!f)
		return 0;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->family = family;
	t->sock_type = BPF_CORE_READ(sk, sk_type);
	if (family == AF_INET) {
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(t->local_addr, &a, 4);
		a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(t->remote_addr, &a, 4);
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&t->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&t->remote_addr, sk, __sk_common.skc_v6_daddr);
	}
	if (family == AF_INET || family == AF_INET6) {
		t->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
		t->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	} else if (family == AF_UNIX) {
		struct unix_sock *us = (void *)sk;
		t->unix_local = (__u64)sk;
		t->unix_peer = (__u64)BPF_CORE_READ(us, peer);
		read_unix_path(t->unix_path, sk);
		read_unix_path(t->unix_peer_path, BPF_CORE_READ(us, peer));
	}
	return 1;
}

/* The socket of fd, NULL when fd is not a socket. */
static __always_inline struct sock *fd_sock(__u64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* The accept queue of the listening socket of fd (SAKER_D_SOCK_QUEUE); len 0 when no socket. */
__noinline int put_sock_queue(__u32 arg, __u64 fd)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s)
		return 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	struct sock *sk = fd_sock(fd);
	if (!sk || room < 2 * sizeof(__u32)) {
		item_end(s, off, SAKER_D_SOCK_QUEUE, arg, 0);
		return 0;
	}
	__u32 *q = (void *)&s->buf[(off + ITEM_HDR) & SCRATCH_MASK];
	q[0] = BPF_CORE_READ(sk, sk_ack_backlog);
	q[1] = BPF_CORE_READ(sk, sk_max_ack_backlog);
	item_end(s, off, SAKER_D_SOCK_QUEUE, arg, 2 * sizeof(__u32));
	return 1;
}

/*
 * The absolute path of (dentry, vfsmount): the dentries are walked up to the root, crossing
 * mount points, and the names written backwards into tmp, then copied into the item.
 */
__noinline int put_path(__u32 tag, __u32 arg, __u64 dentry_p, __u64 vfsmnt_p)
{
	struct scratch *s = scratch_get();
	if (!s)
		return 0;
	struct dentry *d = (void *)dentry_p;
	struct vfsmount *vm = (void *)vfsmnt_p;
	struct mount *mnt = (void *)vm - bpf_core_field_offset(struct mount, mnt);
	s->tpos = SAKER_MAX_PATH - 1;
	s->tmp[SAKER_MAX_PATH - 1] = 0;
	bool cut = false;
	if (!d || !vm)
		goto copy;

	for (int i = 0; i < PATH_DEPTH; i++) {
		struct dentry *root = BPF_CORE_READ(vm, mnt_root);
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (d == root || d == parent) {
			if (d != root)
				break; /* a detached tree: what was walked is all there is */
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
			if (up == mnt || !up)
				break; /* the root of the mount namespace */
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			vm = (void *)up + bpf_core_field_offset(struct mount, mnt);
			continue;
		}
		__u32 len = BPF_CORE_READ(d, d_name.len);
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		__u32 pos = s->tpos & PATH_MASK;
		if (len > 255 || len + 1 > pos) {
			cut = true;
			break;
		}
		pos -= len;
		if (bpf_probe_read_kernel(&s->tmp[pos & PATH_MASK], len & 255, name))
			count(&drops, SAKER_DROP_KERNEL_READ);
		pos--;
		s->tmp[pos & PATH_MASK] = '/';
		s->tpos = pos;
		d = parent;
	}
	if (d && !cut) {
		/* PATH_DEPTH reached before the root */
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (parent != d && d != BPF_CORE_READ(vm, mnt_root))
			cut = true;
	}
copy:
	if (s->tpos == SAKER_MAX_PATH - 1) {
		s->tpos = SAKER_MAX_PATH - 2;
		s->tmp[SAKER_MAX_PATH - 2] = '/';
	}
	if (cut)
		s->flags |= SAKER_REC_F_TRUNCATED;

	__u32 room = 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	__u32 pos = s->tpos & PATH_MASK;
	__u32 len = cap_len(s, SAKER_MAX_PATH - pos, room);
	if (len > SAKER_MAX_PATH)
		len = SAKER_MAX_PATH;
	__u8 *dst = &s->buf[(off + ITEM_HDR) & SCRATCH_MASK];
	if (len && bpf_probe_read_kernel(dst, len, &s->tmp[pos]))
		len = 0;
	item_end(s, off, tag, arg, len);
	return len;
}

__noinline int put_fd_path(__u32 arg, __u64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return put_user_bytes(SAKER_D_FD_PATH, arg, 0, 0);
	return put_path(SAKER_D_FD_PATH, arg, (__u64)BPF_CORE_READ(f, f_path.dentry),
			(__u64)BPF_CORE_READ(f, f_path.mnt));
}

/*
 * Appends the kernfs path of one cgroup ("/" for the root) at s->off, within s->croom bytes.
 * A global function: checked once, whatever the caller's state.
 */
__noinline int put_cgroup_path(__u64 kn_p)
{
	struct scratch *s = scratch_get();
	if (!s)
		return 0;
	struct kernfs_node *kn = (void *)kn_p;
	__u32 depth = 0;
	for (int i = 0; i < CGROUP_DEPTH; i++) {
		if (!kn)
			break;
		struct kernfs_node *parent;
		if (bpf_core_field_exists(((struct kernfs_node___v615 *)0)->__parent))
			parent = BPF_CORE_READ((struct kernfs_node___v615 *)kn, __parent);
		else
			parent = BPF_CORE_READ(kn, parent);
		if (!parent)
			break; /* the root's own name is not part of the path */
		s->kn[i & (CGROUP_DEPTH - 1)] = (__u64)kn;
		depth = i + 1;
		kn = parent;
	}
	s->depth = depth;
	if (!depth) {
		__u32 o = s->off & SCRATCH_MASK;
		if (s->croom >= 1) {
			s->buf[o] = '/';
			s->off = o + 1;
			s->croom -= 1;
		}
		return 1;
	}
	for (int i = CGROUP_DEPTH - 1; i >= 0; i--) {
		if (i >= s->depth)
			continue;
		__u32 o = s->off & SCRATCH_MASK;
		__u64 room = s->croom;
		if (room < 2 || room > SAKER_MAX_CGROUPS)
			return 0;
		s->buf[o] = '/';
		struct kernfs_node *n = (void *)s->kn[i & (CGROUP_DEPTH - 1)];
		const char *name = BPF_CORE_READ(n, name);
		__u64 cap = room - 1;
		if (cap > 256)
			cap = 256;
		BOUND(cap, 511);
		long k = bpf_probe_read_kernel_str(&s->buf[(o + 1) & SCRATCH_MASK], cap, name);
		if (k <= 0)
			k = 1;
		if (k > cap)
			k = cap;
		/* k counts the NUL, which the next component overwrites */
		s->off = o + k;
		s->croom = room - k;
	}
	return 1;
}

/*
 * "subsys=path\0" for each controller of the task's css_set, with the path of the cgroup each
 * controller points to (cgroup v2: the nearest ancestor where it is enabled). libsinsp's
 * `cgroups` parameter has this form.
 */
__noinline int put_cgroups(void)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s)
		return 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	if (room > SAKER_MAX_CGROUPS)
		room = SAKER_MAX_CGROUPS;
	s->croom = room;
	__u32 start = (off + ITEM_HDR) & SCRATCH_MASK;
	s->off = start;
	struct task_struct *task = (void *)bpf_get_current_task();
	struct css_set *cs = BPF_CORE_READ(task, cgroups);
	__u32 slots = bpf_core_field_size(cs->subsys) / sizeof(void *);
	for (int i = 0; i < CGROUP_SUBSYS && cs; i++) {
		if (i >= slots)
			break;
		struct cgroup_subsys_state *css = NULL;
		bpf_probe_read_kernel(&css, sizeof(css), &cs->subsys[i]);
		if (!css)
			continue;
		const char *name = BPF_CORE_READ(css, ss, name);
		__u32 o = s->off & SCRATCH_MASK;
		if (s->croom < 40)
			break;
		long k = bpf_probe_read_kernel_str(&s->buf[o], 32, name);
		if (k <= 1)
			continue;
		s->buf[(o + k - 1) & SCRATCH_MASK] = '=';
		s->off = o + k;
		s->croom -= k;
		put_cgroup_path((__u64)BPF_CORE_READ(css, cgroup, kn));
		o = s->off & SCRATCH_MASK;
		if (s->croom < 1)
			break;
		s->buf[o] = 0;
		s->off = o + 1;
		s->croom -= 1;
	}
	__u32 end = s->off;
	item_end(s, off, SAKER_D_CGROUPS, 0, end - start);
	return 1;
}

static __always_inline __u32 pid_nr_at(struct pid *p, __u32 level)
{
	int nr = 0;
	if (p)
		bpf_probe_read_kernel(&nr, sizeof(nr), &p->numbers[level & 31].nr);
	return nr;
}

static __always_inline __u32 pid_vnr(struct pid *p)
{
	return p ? pid_nr_at(p, BPF_CORE_READ(p, level)) : 0;
}

static __always_inline void exe_times(struct inode *ino, struct saker_task *t)
{
	if (bpf_core_field_exists(ino->i_mtime_sec)) {
		t->exe_mtime = BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ull +
			       BPF_CORE_READ(ino, i_mtime_nsec);
		t->exe_ctime = BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ull +
			       BPF_CORE_READ(ino, i_ctime_nsec);
	} else if (bpf_core_field_exists(((struct inode___v66 *)0)->__i_ctime)) {
		struct inode___v66 *i = (void *)ino;
		t->exe_ctime = BPF_CORE_READ(i, __i_ctime.tv_sec) * 1000000000ull +
			       BPF_CORE_READ(i, __i_ctime.tv_nsec);
		if (bpf_core_field_exists(i->__i_mtime))
			t->exe_mtime = BPF_CORE_READ(i, __i_mtime.tv_sec) * 1000000000ull +
				       BPF_CORE_READ(i, __i_mtime.tv_nsec);
		else
			t->exe_mtime = BPF_CORE_READ(i, i_mtime.tv_sec) * 1000000000ull +
				       BPF_CORE_READ(i, i_mtime.tv_nsec);
	} else {
		struct inode___old *i = (void *)ino;
		t->exe_ctime = BPF_CORE_READ(i, i_ctime.tv_sec) * 1000000000ull +
			       BPF_CORE_READ(i, i_ctime.tv_nsec);
		t->exe_mtime = BPF_CORE_READ(i, i_mtime.tv_sec) * 1000000000ull +
			       BPF_CORE_READ(i, i_mtime.tv_nsec);
	}
}

/* vm_size / vm_rss / vm_swap of mm in KiB (4 KiB pages); rss and swap from 6.2's rss_stat. */
static __always_inline void mm_counters(struct mm_struct *mm, struct saker_vm *v)
{
	v->vm_size = BPF_CORE_READ(mm, total_vm) * 4;
	if (bpf_core_field_exists(((struct mm_struct___v62 *)0)->rss_stat)) {
		struct mm_struct___v62 *m = (void *)mm;
		/* MM_FILEPAGES 0, MM_ANONPAGES 1, MM_SWAPENTS 2, MM_SHMEMPAGES 3 */
		s64 file = BPF_CORE_READ(m, rss_stat[0].count);
		s64 anon = BPF_CORE_READ(m, rss_stat[1].count);
		s64 swap = BPF_CORE_READ(m, rss_stat[2].count);
		s64 shmem = BPF_CORE_READ(m, rss_stat[3].count);
		s64 rss = file + anon + shmem;
		v->vm_rss = rss > 0 ? rss * 4 : 0;
		v->vm_swap = swap > 0 ? swap * 4 : 0;
	}
}

/* SAKER_D_VM of the current task (all zero for a task without mm). */
__noinline int put_vm(void)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s)
		return 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	if (room < sizeof(struct saker_vm)) {
		item_end(s, off, SAKER_D_VM, 0, 0);
		return 0;
	}
	struct saker_vm *v = (void *)&s->buf[(off + ITEM_HDR) & SCRATCH_MASK];
	__builtin_memset(v, 0, sizeof(*v));
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (mm)
		mm_counters(mm, v);
	item_end(s, off, SAKER_D_VM, 0, sizeof(*v));
	return 1;
}

/* The task block of `task` (clone_flags and the rest of *t left as they are). */
static __always_inline void fill_task(struct task_struct *task, struct saker_task *t)
{
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	t->vtid = pid_vnr(tp);
	t->vpid = pid_vnr(BPF_CORE_READ(task, group_leader, thread_pid));
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct pid *pg = BPF_CORE_READ(sig, pids[PIDTYPE_PGID]);
	t->pgid = pid_nr_at(pg, 0);
	t->vpgid = pid_vnr(pg);
	t->sid = pid_nr_at(BPF_CORE_READ(sig, pids[PIDTYPE_SID]), 0);

	const struct cred *cred = BPF_CORE_READ(task, cred);
	t->uid = BPF_CORE_READ(cred, euid.val);
	t->gid = BPF_CORE_READ(cred, egid.val);
	t->ruid = BPF_CORE_READ(cred, uid.val);
	t->rgid = BPF_CORE_READ(cred, gid.val);
	t->cap_inheritable = BPF_CORE_READ(cred, cap_inheritable.val);
	t->cap_permitted = BPF_CORE_READ(cred, cap_permitted.val);
	t->cap_effective = BPF_CORE_READ(cred, cap_effective.val);
	t->loginuid = 0xffffffff;
	if (bpf_core_field_exists(task->loginuid))
		t->loginuid = BPF_CORE_READ(task, loginuid.val);

	struct tty_struct *tty = BPF_CORE_READ(sig, tty);
	if (tty) {
		__u32 major = BPF_CORE_READ(tty, driver, major);
		__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		t->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	}

	t->start_time = BPF_CORE_READ(task, start_time);
	__u32 level = BPF_CORE_READ(tp, level);
	struct pid_namespace *ns = NULL;
	if (tp)
		bpf_probe_read_kernel(&ns, sizeof(ns), &tp->numbers[level & 31].ns);
	if (ns)
		t->pidns_init_start_ts = BPF_CORE_READ(ns, child_reaper, start_time);
	t->fdlimit = BPF_CORE_READ(sig, rlim[RLIMIT_NOFILE].rlim_cur);
	t->pgft_maj = BPF_CORE_READ(task, maj_flt);
	t->pgft_min = BPF_CORE_READ(task, min_flt);

	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (mm) {
		struct saker_vm vm = {};
		mm_counters(mm, &vm);
		t->vm_size = vm.vm_size;
		t->vm_rss = vm.vm_rss;
		t->vm_swap = vm.vm_swap;
		struct file *exe = BPF_CORE_READ(mm, exe_file);
		if (exe) {
			struct inode *ino = BPF_CORE_READ(exe, f_inode);
			t->exe_ino = BPF_CORE_READ(ino, i_ino);
			exe_times(ino, t);
			umode_t mode = BPF_CORE_READ(ino, i_mode);
			__u32 owner = BPF_CORE_READ(ino, i_uid.val);
			__u32 group = BPF_CORE_READ(ino, i_gid.val);
			if (t->uid == 0 || (owner == t->uid && (mode & 0200)) ||
			    (group == t->gid && (mode & 0020)) || (mode & 0002))
				t->exe_flags |= SAKER_EXE_WRITABLE;
			__u32 layer = overlay_layer(ino, BPF_CORE_READ(ino, i_sb, s_magic));
			if (layer == SAKER_LAYER_UPPER)
				t->exe_flags |= SAKER_EXE_UPPER_LAYER;
			else if (layer == SAKER_LAYER_LOWER)
				t->exe_flags |= SAKER_EXE_LOWER_LAYER;
			char pfx[6] = {};
			bpf_probe_read_kernel(pfx, sizeof(pfx),
					      BPF_CORE_READ(exe, f_path.dentry, d_name.name));
			if (pfx[0] == 'm' && pfx[1] == 'e' && pfx[2] == 'm' && pfx[3] == 'f' &&
			    pfx[4] == 'd' && pfx[5] == ':')
				t->exe_flags |= SAKER_EXE_FROM_MEMFD;
		}
	}
	bpf_probe_read_kernel(t->comm, sizeof(t->comm), &task->comm);
}

/* The task block, right after the record header (the record must have no items yet). */
__noinline int put_task(__u64 clone_flags)
{
	struct scratch *s = scratch_get();
	if (!s)
		return 0;
	struct saker_task *t = (void *)&s->buf[sizeof(struct saker_rec_hdr)];
	__builtin_memset(t, 0, sizeof(*t));
	fill_task((void *)bpf_get_current_task(), t);
	t->clone_flags = clone_flags;

	s->off = sizeof(struct saker_rec_hdr) + sizeof(struct saker_task);
	s->flags |= SAKER_REC_F_TASK;
	return 1;
}

/* EXE_PATH, ARGS, ENV (when with_env), CWD and CGROUPS of the current task. */
__noinline int put_process_items(__u32 with_env)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	put_path(SAKER_D_EXE_PATH, 0, (__u64)BPF_CORE_READ(exe, f_path.dentry),
		 (__u64)BPF_CORE_READ(exe, f_path.mnt));
	__u64 a0 = BPF_CORE_READ(mm, arg_start), a1 = BPF_CORE_READ(mm, arg_end);
	__u64 n = a1 > a0 ? a1 - a0 : 0;
	put_user_bytes(SAKER_D_ARGS, 0, a0, n > SAKER_MAX_ARGS ? SAKER_MAX_ARGS : n);
	if (with_env) {
		a0 = BPF_CORE_READ(mm, env_start);
		a1 = BPF_CORE_READ(mm, env_end);
		n = a1 > a0 ? a1 - a0 : 0;
		put_user_bytes(SAKER_D_ENV, 0, a0, n > SAKER_MAX_ENV ? SAKER_MAX_ENV : n);
	}
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	put_path(SAKER_D_CWD, 0, (__u64)BPF_CORE_READ(fs, pwd.dentry),
		 (__u64)BPF_CORE_READ(fs, pwd.mnt));
	put_cgroups();
	return 1;
}

struct user_iovec {
	__u64 base;
	__u64 len;
};

/*
 * One entry of the iovec walk set up by put_iovec (state in the scratch area, so the loop
 * there carries only its counter): adds the entry's length to the total and copies its bytes
 * while the data is below the cap. Returns 0 when the walk ends.
 */
__noinline int put_iov_entry(__u32 i)
{
	struct scratch *s = scratch_get();
	if (!s || i >= s->iov_cnt || i >= SAKER_MAX_IOV)
		return 0;
	struct user_iovec v = {};
	if (bpf_probe_read_user(&v, sizeof(v), (void *)(s->iov_p + (__u64)i * sizeof(v)))) {
		count(&drops, SAKER_DROP_USER_READ);
		return 0;
	}
	s->iov_total += v.len;
	__u32 done = s->iov_done;
	__u32 cap = s->iov_cap;
	if (done >= cap || !v.len)
		return 1;
	__u64 n = cap - done;
	if (v.len < n)
		n = v.len;
	BOUND(n, 32767);
	__u64 pos = s->iov_off + done;
	BOUND(pos, 32767);
	if (bpf_probe_read_user(&s->buf[pos], n, (void *)v.base)) {
		count(&drops, SAKER_DROP_USER_READ);
		return 0;
	}
	s->iov_done = done + n;
	return 1;
}

/* SAKER_D_IOVEC of cnt iovec entries at iov_p, with up to `want` data bytes. */
__noinline int put_iovec(__u32 arg, __u64 iov_p, __u64 cnt, __u64 want)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s)
		return 0;
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	if (room < sizeof(__u32)) {
		item_end(s, off, SAKER_D_IOVEC, arg, 0);
		return 0;
	}
	s->iov_p = iov_p;
	s->iov_cnt = iov_p ? (cnt < SAKER_MAX_IOV ? cnt : SAKER_MAX_IOV) : 0;
	s->iov_cap = cap_len(s, want, room - sizeof(__u32));
	s->iov_off = off + ITEM_HDR + sizeof(__u32);
	s->iov_done = 0;
	s->iov_total = 0;
	for (__u32 i = 0; i < SAKER_MAX_IOV; i++)
		if (!put_iov_entry(i))
			break;
	__u64 total = s->iov_total;
	__u32 total32 = total > 0xffffffffull ? 0xffffffffu : total;
	__builtin_memcpy(&s->buf[(off + ITEM_HDR) & SCRATCH_MASK], &total32, sizeof(total32));
	item_end(s, off, SAKER_D_IOVEC, arg, sizeof(__u32) + s->iov_done);
	return 1;
}

#define MMSG_HDR ((__u32)sizeof(struct saker_mmsg))

/* msg_name bytes kept per message: a struct sockaddr_un or smaller */
#define MMSG_NAME_MAX 128

/*
 * SAKER_D_MMSG of message j of the struct mmsghdr array at mm (64 bytes each: msg_hdr with
 * msg_name at 0, msg_namelen 8, msg_iov 16, msg_iovlen 24, msg_control 32, msg_controllen 40;
 * msg_len at 56): its data up to min(msg_len, snap), then (with_control) its control data up to
 * snap, then its msg_name (Falco's driver takes the peer of an unconnected socket from it).
 * 0 when unreadable.
 */
__noinline int put_mmsg(__u32 j, __u64 mm, __u32 snap, __u32 with_control)
{
	struct scratch *s = scratch_get();
	__u32 room = 0;
	if (!s || j >= SAKER_MAX_MMSG)
		return 0;
	/* msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen, msg_flags,
	 * msg_len */
	__u64 g[8] = {};
	if (bpf_probe_read_user(g, sizeof(g), (void *)(mm + (__u64)j * 64))) {
		count(&drops, SAKER_DROP_USER_READ);
		return 0;
	}
	long off = item_begin(s, &room);
	if (off < 0)
		return 0;
	if (room < MMSG_HDR) {
		item_end(s, off, SAKER_D_MMSG, j, 0);
		return 0;
	}
	__u32 msg_len = (__u32)g[7];
	s->iov_p = g[2];
	s->iov_cnt = g[2] ? (g[3] < SAKER_MAX_IOV ? g[3] : SAKER_MAX_IOV) : 0;
	s->iov_cap = cap_len(s, msg_len < snap ? msg_len : snap, room - MMSG_HDR);
	s->iov_off = off + ITEM_HDR + MMSG_HDR;
	s->iov_done = 0;
	s->iov_total = 0;
	for (__u32 i = 0; i < SAKER_MAX_IOV; i++)
		if (!put_iov_entry(i))
			break;
	__u32 done = s->iov_done;
	__u64 clen = 0;
	if (with_control && g[4] && g[5]) {
		clen = cap_len(s, g[5] < snap ? g[5] : snap, room - MMSG_HDR - done);
		__u64 pos = off + ITEM_HDR + MMSG_HDR + done;
		BOUND(pos, 32767);
		BOUND(clen, 32767);
		if (bpf_probe_read_user(&s->buf[pos], clen, (void *)g[4])) {
			count(&drops, SAKER_DROP_USER_READ);
			clen = 0;
		}
	}
	__u64 nlen = 0;
	__u32 namelen = (__u32)g[1];
	if (g[0] && namelen) {
		nlen = cap_len(s, namelen < MMSG_NAME_MAX ? namelen : MMSG_NAME_MAX,
			       room - MMSG_HDR - done - clen);
		__u64 pos = off + ITEM_HDR + MMSG_HDR + done + clen;
		BOUND(pos, 32767);
		BOUND(nlen, 255);
		if (bpf_probe_read_user(&s->buf[pos], nlen, (void *)g[0])) {
			count(&drops, SAKER_DROP_USER_READ);
			nlen = 0;
		}
	}
	__u64 total = s->iov_total;
	struct saker_mmsg h = {
		.msg_len = msg_len,
		.iov_total = total > 0xffffffffull ? 0xffffffffu : total,
		.data_len = done,
		.control_len = clen,
		.name_len = nlen,
	};
	__builtin_memcpy(&s->buf[(off + ITEM_HDR) & SCRATCH_MASK], &h, sizeof(h));
	item_end(s, off, SAKER_D_MMSG, j, MMSG_HDR + done + clen + nlen);
	return 1;
}

/* The fds of a pipe/socketpair array, and what the event says about the first one. */
__noinline int put_fd_pair(__u32 arg, __u64 uptr, __u32 kind, __s64 ret)
{
	put_user_bytes(SAKER_D_UINT_PAIR, arg, uptr, 8);
	__s32 fd = -1;
	if (ret != 0 || !uptr || bpf_probe_read_user(&fd, sizeof(fd), (void *)uptr) || fd < 0)
		return 1;
	if (kind == SAKER_ARG_PIPE_FDS)
		return put_fdinfo(arg, fd);
	return put_tuple(arg, fd);
}

/*
 * Whether keyctl operation op (Linux KEYCTL_*) takes a string in argument i: JOIN_SESSION_KEYRING
 * (1) its name; SEARCH (10) the type and description; RESTRICT_KEYRING (29) the type and
 * restriction; PKEY_QUERY (24) the info; PKEY_ENCRYPT..VERIFY (25-28) the info.
 */
static __always_inline bool keyctl_str_arg(__u64 op, __u32 i)
{
	if (i == 1)
		return op == 1;
	if (i == 2)
		return op == 10 || op == 29 || (op >= 25 && op <= 28);
	if (i == 3)
		return op == 10 || op == 29 || op == 24;
	return false;
}

/* quotactl's addr by command (cmd >> 8: Q_QUOTAON 0x800002, Q_GETFMT 0x800004 …). */
__noinline int put_quotactl_addr(__u32 arg, __u64 uptr, __u64 cmd)
{
	switch (cmd >> 8) {
	case 0x800002: /* Q_QUOTAON: the quota file's path */
		return put_user_str(arg, uptr);
	case 0x800004: /* Q_GETFMT: the format id */
		return put_user_bytes(SAKER_D_UBUF, arg, uptr, 4);
	case 0x800005: /* Q_GETINFO, Q_SETINFO: struct if_dqinfo */
	case 0x800006:
		return put_user_bytes(SAKER_D_UBUF, arg, uptr, 24);
	case 0x800007: /* Q_GETQUOTA, Q_SETQUOTA: struct if_dqblk */
	case 0x800008:
		return put_user_bytes(SAKER_D_UBUF, arg, uptr, 72);
	}
	return 0;
}

/* The item the capture table asks for argument i. */
__noinline int put_arg(__u32 i)
{
	struct scratch *s = scratch_get();
	if (!s || i > 5)
		return 0;
	rec_hdr_t *h = rec_hdr(s);
	__u64 idx = i;
	BOUND(idx, 7);
	__u8 kind = s->cfg.arg_kind[idx];
	__u64 li = s->cfg.arg_len[idx];
	__u64 val = h->args[idx];
	__u64 lv = 0;
	if (li < 6) {
		BOUND(li, 7);
		lv = h->args[li];
	}
	__s64 ret = h->ret;
	__u64 snap = s->cfg.snaplen;
	__u32 n = 0;

	switch (kind) {
	case SAKER_ARG_USTR:
		return put_user_str(i, val);
	case SAKER_ARG_UBUF_RET:
		return put_user_bytes(SAKER_D_UBUF, i, val, ret > 0 ? ((__u64)ret < snap ? ret : snap) : 0);
	case SAKER_ARG_UBUF_ARG:
		return put_user_bytes(SAKER_D_UBUF, i, val, lv < snap ? lv : snap);
	case SAKER_ARG_SOCKADDR:
		return put_user_bytes(SAKER_D_SOCKADDR, i, val, lv < SOCKADDR_MAX ? lv : SOCKADDR_MAX);
	case SAKER_ARG_SOCKADDR_PTR:
		if (lv && bpf_probe_read_user(&n, sizeof(n), (void *)lv))
			n = 0;
		return put_user_bytes(SAKER_D_SOCKADDR, i, val, n < SOCKADDR_MAX ? n : SOCKADDR_MAX);
	case SAKER_ARG_UINT_PAIR:
		return put_user_bytes(SAKER_D_UINT_PAIR, i, val, 8);
	case SAKER_ARG_TUPLE:
		return put_tuple(i, val);
	case SAKER_ARG_FDINFO:
		return put_fdinfo(i, val);
	case SAKER_ARG_FD_PATH:
		return put_fd_path(i, val);
	case SAKER_ARG_MSGHDR_RET:
	case SAKER_ARG_MSGHDR_ARG: {
		/* struct user_msghdr: msg_name at 0, msg_namelen at 8, msg_iov at 16, msg_iovlen at
		 * 24. The name (a SOCKADDR item of this argument) gives the peer of an unconnected
		 * socket, as Falco's driver takes it. */
		struct user_iovec m = {};
		if (val && !bpf_probe_read_user(&m, sizeof(m), (void *)val) && m.base && (__u32)m.len)
			put_user_bytes(SAKER_D_SOCKADDR, i, m.base,
				       (__u32)m.len < SOCKADDR_MAX ? (__u32)m.len : SOCKADDR_MAX);
		if (!val || bpf_probe_read_user(&m, sizeof(m), (void *)(val + 16))) {
			count(&drops, SAKER_DROP_USER_READ);
			return 0;
		}
		val = m.base;
		lv = m.len;
		kind = kind == SAKER_ARG_MSGHDR_RET ? SAKER_ARG_IOVEC_RET : SAKER_ARG_IOVEC_ARG;
		break;
	}
	case SAKER_ARG_MMSGHDR: {
		if (ret <= 0 || !val)
			return 0;
		__u32 msgs = ret < SAKER_MAX_MMSG ? ret : SAKER_MAX_MMSG;
		for (__u32 j = 0; j < SAKER_MAX_MMSG; j++) {
			if (j >= msgs || !put_mmsg(j, val, snap, li == 1))
				break;
		}
		return 1;
	}
	case SAKER_ARG_PIPE_FDS:
	case SAKER_ARG_SOCKPAIR_FDS:
		return put_fd_pair(i, val, kind, ret);
	case SAKER_ARG_UBUF_LEN:
		return put_user_bytes(SAKER_D_UBUF, i, val, li);
	case SAKER_ARG_SOCK_QUEUE:
		return ret >= 0 ? put_sock_queue(i, val) : 0;
	case SAKER_ARG_POLLFDS:
		/* struct pollfd: int fd, short events, short revents */
		return put_user_bytes(SAKER_D_UBUF, i, val,
				      8 * (lv < SAKER_MAX_POLLFD ? lv : SAKER_MAX_POLLFD));
	case SAKER_ARG_PTRACE_WORD:
		/* PTRACE_PEEKTEXT, PEEKDATA, PEEKUSR store the word read at this address */
		if (ret < 0 || h->args[0] < 1 || h->args[0] > 3)
			return 0;
		return put_user_bytes(SAKER_D_UBUF, i, val, 8);
	case SAKER_ARG_UBUF_LENPTR:
		if (lv && bpf_probe_read_user(&n, sizeof(n), (void *)lv))
			n = 0;
		return put_user_bytes(SAKER_D_UBUF, i, val, n < snap ? n : snap);
	case SAKER_ARG_SEMBUFS:
		/* struct sembuf: u16 sem_num, s16 sem_op, s16 sem_flg; the driver sends two */
		if (ret != 0)
			return 0;
		return put_user_bytes(SAKER_D_UBUF, i, val, 6 * (lv < 2 ? lv : 2));
	case SAKER_ARG_KEYCTL_STR:
		return keyctl_str_arg(h->args[0], i) ? put_user_str(i, val) : 0;
	case SAKER_ARG_QUOTACTL_ADDR:
		return put_quotactl_addr(i, val, h->args[0]);
	case SAKER_ARG_FSCONFIG_VALUE:
		if (ret < 0)
			return 0;
		/* FSCONFIG_SET_STRING, SET_PATH, SET_PATH_EMPTY: a string; SET_BINARY: aux bytes */
		if (h->args[1] == 1 || h->args[1] == 3 || h->args[1] == 4)
			return put_user_str(i, val);
		if (h->args[1] == 2)
			return put_user_bytes(SAKER_D_UBUF, i, val, h->args[4] < snap ? h->args[4] : snap);
		return 0;
	case SAKER_ARG_MSGCONTROL: {
		/* struct user_msghdr: msg_control at 32, msg_controllen at 40 */
		struct user_iovec c = {};
		if (ret < 0 || !lv)
			return 0;
		if (bpf_probe_read_user(&c, sizeof(c), (void *)(lv + 32))) {
			count(&drops, SAKER_DROP_USER_READ);
			return 0;
		}
		if (!c.base || !c.len)
			return 0;
		return put_user_bytes(SAKER_D_UBUF, i, c.base, c.len < snap ? c.len : snap);
	}
	}
	if (kind == SAKER_ARG_IOVEC_RET)
		return ret > 0 ? put_iovec(i, val, lv, (__u64)ret < snap ? ret : snap) : 0;
	if (kind == SAKER_ARG_IOVEC_ARG)
		return put_iovec(i, val, lv, ret > 0 && (__u64)ret < snap ? ret : snap);
	return 0;
}

/* ---- Record framing ---- */

/* id: tgid << 32 | pid (syscall_thread_id, bpf_get_current_pid_tgid), asked once per record. */
static __always_inline bool skip_current(__u64 id)
{
	__u32 zero = 0;
	settings_t *st = bpf_map_lookup_elem(&settings, &zero);
	if (!st || !st->enabled)
		return true;
	return (id >> 32) == st->self_tgid;
}

static __always_inline struct scratch *rec_begin(__u64 id, __u16 kind, __u16 nr, __s64 ret)
{
	struct scratch *s = scratch_get();
	if (!s)
		return NULL;
	rec_hdr_t *h = rec_hdr(s);
	h->ts = bpf_ktime_get_boot_ns();
	h->tid = (__u32)id;
	h->pid = id >> 32;
	h->kind = kind;
	h->nr = nr;
	h->ret = ret;
	s->off = sizeof(struct saker_rec_hdr);
	s->ndata = 0;
	s->flags = 0;
	return s;
}

/* regs is the tracepoint's BTF pointer: plain loads, no bpf_probe_read_kernel. */
static __always_inline void rec_args(struct scratch *s, struct pt_regs *regs)
{
	rec_hdr_t *h = rec_hdr(s);
	h->args[0] = regs->di;
	h->args[1] = regs->si;
	h->args[2] = regs->dx;
	h->args[3] = regs->r10;
	h->args[4] = regs->r8;
	h->args[5] = regs->r9;
}

/* Bytes of each ring buffer in use, set by the loader (src/live/bpf.rs). */
const volatile __u32 ring_bytes = 0;

/*
 * Kernel wakeups of the reader cost more than building a record (measured: ~1 us per record
 * with a wakeup each, ~0.3 us without; in a VM each one is an IPI and a VM exit), so records
 * are written without one and the reader polls on a short tick. Each CPU wakes the reader
 * once per quarter of a ring buffer it has written: a burst faster than the tick cannot fill
 * the buffer unseen, and a slow stream is read on the tick. Counting on the CPU, rather than
 * asking the ring buffer how full it is, saves two helper calls per record.
 */
static __always_inline __u64 rb_wakeup_flag(struct scratch *s, __u64 size)
{
	__u64 quarter = ring_bytes / 4;
	__u64 produced = s->produced + size;
	if (quarter && produced >= quarter) {
		s->produced = 0;
		return BPF_RB_FORCE_WAKEUP;
	}
	s->produced = produced;
	return BPF_RB_NO_WAKEUP;
}

/* `return OP(rbN);` for the ring buffer of index `idx` (0..15), else -1. */
#define RB_DISPATCH(idx, OP)                                                                       \
	switch (idx) {                                                                             \
	case 0: return OP(rb0);                                                                    \
	case 1: return OP(rb1);                                                                    \
	case 2: return OP(rb2);                                                                    \
	case 3: return OP(rb3);                                                                    \
	case 4: return OP(rb4);                                                                    \
	case 5: return OP(rb5);                                                                    \
	case 6: return OP(rb6);                                                                    \
	case 7: return OP(rb7);                                                                    \
	case 8: return OP(rb8);                                                                    \
	case 9: return OP(rb9);                                                                    \
	case 10: return OP(rb10);                                                                  \
	case 11: return OP(rb11);                                                                  \
	case 12: return OP(rb12);                                                                  \
	case 13: return OP(rb13);                                                                  \
	case 14: return OP(rb14);                                                                  \
	case 15: return OP(rb15);                                                                  \
	}                                                                                          \
	return -1

/*
 * A record of the header alone (close, …: no data items) is written straight into the ring
 * buffer: its size is a constant, which bpf_ringbuf_reserve needs, and eleven 8-byte copies
 * cost less than bpf_ringbuf_output's memcpy.
 */
#define RB_HDR(rb)                                                                                 \
	({                                                                                         \
		rec_hdr_t *__r = bpf_ringbuf_reserve(&rb, sizeof(rec_hdr_t), 0);                   \
		if (__r) {                                                                         \
			*__r = *h;                                                                 \
			bpf_ringbuf_submit(__r, flags);                                            \
		}                                                                                  \
		__r ? 0 : -1;                                                                      \
	})

static __always_inline long rb_output_hdr(__u32 idx, rec_hdr_t *h, __u64 flags)
{
	RB_DISPATCH(idx, RB_HDR);
}

#define RB_OUTPUT(rb) bpf_ringbuf_output(&rb, data, size, flags)

static __always_inline long rb_output(__u32 idx, void *data, __u64 size, __u64 flags)
{
	RB_DISPATCH(idx, RB_OUTPUT);
}

/* Finishes the header and copies the record into the CPU's ring buffer (never blocks). */
__noinline int rec_send(void)
{
	struct scratch *s = scratch_get();
	if (!s)
		return 0;
	rec_hdr_t *h = rec_hdr(s);
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 size = s->off;
	if (size > SCRATCH_LIMIT)
		size = SCRATCH_LIMIT;
	if (size < sizeof(*h))
		size = sizeof(*h);
	h->len = size;
	h->ndata = s->ndata;
	h->flags = s->flags;
	h->cpu = cpu;
	__u32 *idx = bpf_map_lookup_elem(&cpu_rb, &cpu);
	__u32 rb = idx ? *idx : 0;
	__u64 flags = rb_wakeup_flag(s, size);
	long err = size == sizeof(*h) ? rb_output_hdr(rb, h, flags) : rb_output(rb, s->buf, size, flags);
	if (err) {
		count(&drops, SAKER_DROP_BUFFER_FULL);
		return 0;
	}
	count(&counters, SAKER_CNT_SENT);
	return 1;
}

/*
 * The syscall's thread: its ids as bpf_get_current_pid_tgid() gives them (tgid << 32 | pid),
 * or 0 when it is in a compat (32-bit) syscall, which is not captured. Where the task has a
 * BTF pointer both come from plain loads after one helper call, not two.
 */
static __always_inline __u64 syscall_thread_id(void)
{
	bool has_status = bpf_core_field_exists(((struct task_struct *)0)->thread_info.status);
	if (HAVE_TASK_BTF) {
		struct task_struct *task = bpf_get_current_task_btf();
		if (has_status && (task->thread_info.status & TS_COMPAT))
			return 0;
		return (__u64)(__u32)task->tgid << 32 | (__u32)task->pid;
	}
	struct task_struct *task = (void *)bpf_get_current_task();
	if (has_status && (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT))
		return 0;
	return bpf_get_current_pid_tgid();
}

/* ---- Programs ---- */

/*
 * Both programs run on every syscall of the machine: the capture table is looked at first, so
 * a syscall nobody wants costs a map lookup and nothing else. They are BTF tracepoints
 * (tp_btf): ctx[0] is the struct pt_regs * of the tracepoint as a BTF pointer, read with
 * plain loads (a raw tracepoint would need a bpf_probe_read_kernel call for the registers).
 * ctx[1] is the syscall number (sys_enter) or the return value (sys_exit).
 */
SEC("tp_btf/sys_enter")
int saker_sys_enter(__u64 *ctx)
{
	struct pt_regs *regs = (void *)ctx[0];
	__u64 nr = ctx[1];
	if (nr >= SAKER_MAX_SYSCALLS)
		return 0;
	__u32 key = nr;
	sc_cfg_t *cfg = bpf_map_lookup_elem(&syscall_cfg, &key);
	if (!cfg || !cfg->enter)
		return 0;
	__u64 id = syscall_thread_id();
	if (!id || skip_current(id))
		return 0;
	struct scratch *s = rec_begin(id, SAKER_REC_SYS_ENTER, nr, 0);
	if (!s)
		return 0;
	rec_args(s, regs);
	rec_send();
	return 0;
}

SEC("tp_btf/sys_exit")
int saker_sys_exit(__u64 *ctx)
{
	struct pt_regs *regs = (void *)ctx[0];
	__s64 ret = ctx[1];
	__u64 nr = regs->orig_ax;
	if (nr >= SAKER_MAX_SYSCALLS)
		return 0;
	__u32 key = nr;
	sc_cfg_t *cfg = bpf_map_lookup_elem(&syscall_cfg, &key);
	if (!cfg || !cfg->enabled)
		return 0;
	if (cfg->drop_failed && ret < 0)
		return 0;
	__u64 id = syscall_thread_id();
	if (!id || skip_current(id))
		return 0;
	struct scratch *s = rec_begin(id, SAKER_REC_SYS_EXIT, nr, ret);
	if (!s)
		return 0;
	s->cfg = *cfg;
	rec_args(s, regs);

	if (s->cfg.task) {
		__u64 clone_flags = 0;
		if (nr == NR_CLONE)
			clone_flags = rec_hdr(s)->args[0];
		else if (nr == NR_CLONE3)
			bpf_probe_read_user(&clone_flags, sizeof(clone_flags),
					    (void *)rec_hdr(s)->args[0]);
		put_task(clone_flags);
	}
	for (__u32 i = 0; i < 6; i++)
		if (s->cfg.arg_kind[i])
			put_arg(i);
	if (ret >= 0) {
		if (s->cfg.ret_kind == SAKER_RET_TUPLE)
			put_tuple(6, ret);
		else if (s->cfg.ret_kind == SAKER_RET_FDINFO)
			put_fdinfo(6, ret);
	}
	if (s->cfg.task)
		put_process_items(nr == NR_EXECVE || nr == NR_EXECVEAT);
	if (s->cfg.vm)
		put_vm();
	rec_send();
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int saker_proc_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (skip_current(id))
		return 0;
	__u32 zero = 0;
	settings_t *st = bpf_map_lookup_elem(&settings, &zero);
	if (!st || !st->proc_exit)
		return 0;
	struct task_struct *task = (void *)bpf_get_current_task();
	struct scratch *s = rec_begin(id, SAKER_REC_PROC_EXIT, 0, 0);
	if (!s)
		return 0;
	rec_hdr_t *h = rec_hdr(s);
	__builtin_memset(h->args, 0, sizeof(h->args));
	h->args[0] = BPF_CORE_READ(task, exit_code);
	rec_send();
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int saker_proc_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (skip_current(id))
		return 0;
	__u32 zero = 0;
	settings_t *st = bpf_map_lookup_elem(&settings, &zero);
	if (!st || !st->proc_exec)
		return 0;
	struct scratch *s = rec_begin(id, SAKER_REC_PROC_EXEC, 0, 0);
	if (!s)
		return 0;
	__builtin_memset(rec_hdr(s)->args, 0, sizeof(rec_hdr(s)->args));
	put_task(0);
	put_process_items(1);
	rec_send();
	return 0;
}

/*
 * Task iterator (kernel >= 5.8): one struct saker_iter_task per task, read by user space at
 * start to complete the /proc scan with what only the kernel knows (exe layers and
 * writability, the pid namespace's start) and with tasks that /proc did not list.
 */
SEC("iter/task")
int saker_task_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	struct saker_iter_task r;
	__builtin_memset(&r, 0, sizeof(r));
	r.tid = BPF_CORE_READ(task, pid);
	r.pid = BPF_CORE_READ(task, tgid);
	fill_task(task, &r.task);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
