/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The few kernel types saker.bpf.c reads, declared with only the fields it uses. Every struct
 * is marked preserve_access_index, so clang emits CO-RE relocations and libbpf/aya fix the
 * offsets against the running kernel's BTF at load time: the field order and the absence of
 * other fields here do not matter, only the names and types.
 *
 * x86_64 only. Structs whose layout changed across kernels have "___flavor" twins used with
 * bpf_core_field_exists().
 */
#ifndef SAKER_KERNEL_TYPES_H
#define SAKER_KERNEL_TYPES_H

typedef _Bool bool;
#define true 1
#define false 0

typedef __u64 u64;
typedef __u32 u32;
typedef __u16 u16;
typedef __u8 u8;
typedef __s64 s64;
typedef __s32 s32;

typedef __u32 dev_t;
typedef int pid_t;
typedef __u32 uid_t;
typedef __u32 gid_t;
typedef long long time64_t;
typedef unsigned short umode_t;

typedef struct {
	uid_t val;
} kuid_t;

typedef struct {
	gid_t val;
} kgid_t;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip,
		cs, flags, sp, ss;
};

struct thread_info {
	unsigned long flags;
	u32 status;
};

struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};

struct super_block {
	dev_t s_dev;
	unsigned long s_magic;
};

struct timespec64 {
	time64_t tv_sec;
	long tv_nsec;
};

struct inode {
	umode_t i_mode;
	kuid_t i_uid;
	kgid_t i_gid;
	unsigned long i_ino;
	struct super_block *i_sb;
	time64_t i_mtime_sec;
	time64_t i_ctime_sec;
	u32 i_mtime_nsec;
	u32 i_ctime_nsec;
};

/* Kernels 6.6 .. 6.10 */
struct inode___v66 {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
	struct timespec64 i_mtime;
};

/* Kernels before 6.6 */
struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
	int mnt_id;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
	unsigned int f_mode; /* fmode_t */
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct fs_struct {
	struct path pwd;
};

struct mm_struct {
	struct file *exe_file;
	unsigned long arg_start, arg_end, env_start, env_end;
	unsigned long total_vm;
};

struct percpu_counter {
	s64 count;
};

/* 6.2+: rss_stat is an array of percpu counters */
struct mm_struct___v62 {
	struct percpu_counter rss_stat[4];
};

typedef struct {
	u64 val;
} kernel_cap_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kgid_t egid;
	kernel_cap_t cap_inheritable;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

struct pid_namespace {
	struct task_struct *child_reaper;
	unsigned int level;
};

struct rlimit {
	unsigned long rlim_cur;
	unsigned long rlim_max;
};

struct tty_driver {
	int major;
	int minor_start;
};

struct tty_struct {
	struct tty_driver *driver;
	int index;
};

struct signal_struct {
	struct pid *pids[4];
	struct rlimit rlim[16];
	struct tty_struct *tty;
};

struct kernfs_node {
	struct kernfs_node *parent;
	const char *name;
};

/* 6.15+: parent became __parent (RCU-managed) */
struct kernfs_node___v615 {
	struct kernfs_node *__parent;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys {
	const char *name;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys *ss;
};

struct css_set {
	struct cgroup_subsys_state *subsys[14];
	struct cgroup *dfl_cgrp;
};

struct task_struct {
	struct thread_info thread_info;
	int exit_code;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct pid *thread_pid;
	u64 start_time;
	unsigned long min_flt, maj_flt;
	const struct cred *cred;
	char comm[16];
	struct fs_struct *fs;
	struct files_struct *files;
	struct signal_struct *signal;
	struct mm_struct *mm;
	struct css_set *cgroups;
	kuid_t loginuid;
};

/* Task iterator context */
struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
};

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
};

/* Sockets */
typedef unsigned short sa_family_t;

struct in6_addr {
	u8 s6_addr[16];
};

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	u16 sk_type;
	u32 sk_ack_backlog;     /* accept queue: connections waiting (listening sockets) */
	u32 sk_max_ack_backlog; /* accept queue: listen()'s backlog, capped by somaxconn */
};

struct socket {
	short type;
	struct file *file;
	struct sock *sk;
};

struct inet_sock {
	__be16 inet_sport;
};

struct sockaddr_un {
	sa_family_t sun_family;
	char sun_path[108];
};

struct unix_address {
	int len;
	struct sockaddr_un name[0];
};

struct unix_sock {
	struct unix_address *addr;
	struct sock *peer;
};

/* overlayfs (built in, or its module's BTF is not looked at: then the type is absent) */
struct ovl_inode {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
};

struct clone_args {
	u64 flags;
};

#pragma clang attribute pop

#endif /* SAKER_KERNEL_TYPES_H */
