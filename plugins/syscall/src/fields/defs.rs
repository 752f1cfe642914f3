//! Every libsinsp event/process/thread/fd/fs/user/group field the syscall plugin declares.
//! Generated once from `reference/libsinsp_fields.tsv` (type, flags, label); the order is the
//! order of [`FieldId`].

use plugin_api::sdk::extract::{FieldDef, FieldType};

/// The declared fields, in [`FieldId`] order.
pub static FIELDS: &[FieldDef] = &[
    FieldDef::new("evt.latency", FieldType::RelTime, "Latency.")
        .display("Latency")
        .saker_type("PT_RELTIME")
        .properties(&["hidden"]),
    FieldDef::new("evt.latency.s", FieldType::RelTime, "Latency (s).")
        .display("Latency (s)")
        .saker_type("PT_RELTIME")
        .properties(&["hidden"]),
    FieldDef::new("evt.latency.ns", FieldType::RelTime, "Latency (ns).")
        .display("Latency (ns)")
        .saker_type("PT_RELTIME")
        .properties(&["hidden"]),
    FieldDef::new("evt.latency.quantized", FieldType::U64, "Quantized Latency.")
        .display("Quantized Latency")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("evt.latency.human", FieldType::String, "Human-Readable Latency.")
        .display("Human-Readable Latency")
        .saker_type("PT_CHARBUF")
        .properties(&["hidden"]),
    FieldDef::new("evt.deltatime", FieldType::RelTime, "Delta.")
        .display("Delta")
        .saker_type("PT_RELTIME"),
    FieldDef::new("evt.deltatime.s", FieldType::RelTime, "Delta (s).")
        .display("Delta (s)")
        .saker_type("PT_RELTIME"),
    FieldDef::new("evt.deltatime.ns", FieldType::RelTime, "Delta (ns).")
        .display("Delta (ns)")
        .saker_type("PT_RELTIME"),
    FieldDef::new("evt.outputtime", FieldType::String, "Output Time.")
        .display("Output Time")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("evt.dir", FieldType::String, "Direction: > enter, < exit.")
        .display("Direction")
        .saker_type("PT_CHARBUF")
        .properties(&["hidden"]),
    FieldDef::new(
        "evt.type",
        FieldType::String,
        "Event name from the event table (generic events: the syscall name).",
    )
    .display("Type")
    .saker_type("PT_CHARBUF"),
    FieldDef::new("evt.type.is", FieldType::U64, "Type Is.")
        .display("Type Is")
        .saker_type("PT_UINT32")
        .index_arg(true)
        .dotted(),
    FieldDef::new("syscall.type", FieldType::String, "Syscall name for syscall events.")
        .display("Syscall Type")
        .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "evt.category",
        FieldType::String,
        "Event category (file, net, process, ...).",
    )
    .display("Category")
    .saker_type("PT_CHARBUF"),
    FieldDef::new("evt.cpu", FieldType::U64, "CPU the event was captured on.")
        .display("CPU Number")
        .saker_type("PT_INT16"),
    FieldDef::new(
        "evt.args",
        FieldType::String,
        "All parameters rendered name=value, space separated.",
    )
    .display("Arguments")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "evt.arg",
        FieldType::String,
        "One parameter by name or position, rendered (resolved form when there is one).",
    )
    .display("Argument")
    .saker_type("PT_CHARBUF")
    .index_arg(true)
    .key_arg(true)
    .dotted(),
    FieldDef::new(
        "evt.rawarg",
        FieldType::String,
        "One parameter by name, unformatted value.",
    )
    .display("Raw Argument")
    .saker_type("PT_DYN")
    .index_arg(true)
    .key_arg(true)
    .dotted(),
    FieldDef::new(
        "evt.info",
        FieldType::String,
        "Parameters rendered for display (as evt.args).",
    )
    .display("Information")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "evt.buffer",
        FieldType::String,
        "Data buffer of I/O events (parameter data).",
    )
    .display("Buffer")
    .saker_type("PT_BYTEBUF"),
    FieldDef::new("evt.buflen", FieldType::U64, "Length of the I/O data buffer.")
        .display("Buffer Length")
        .saker_type("PT_UINT64"),
    FieldDef::new(
        "evt.res",
        FieldType::String,
        "SUCCESS or the errno name of a failed call.",
    )
    .display("Return Value")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "evt.rawres",
        FieldType::U64,
        "Return value of the syscall (exit events).",
    )
    .display("Raw Return Value")
    .saker_type("PT_INT64"),
    FieldDef::new(
        "evt.failed",
        FieldType::Bool,
        "True for exit events with a negative return value.",
    )
    .display("Failed")
    .saker_type("PT_BOOL"),
    FieldDef::new("evt.is_io", FieldType::Bool, "Is I/O.")
        .display("Is I/O")
        .saker_type("PT_BOOL"),
    FieldDef::new("evt.is_io_read", FieldType::Bool, "Is Read.")
        .display("Is Read")
        .saker_type("PT_BOOL"),
    FieldDef::new("evt.is_io_write", FieldType::Bool, "Is Write.")
        .display("Is Write")
        .saker_type("PT_BOOL"),
    FieldDef::new("evt.io_dir", FieldType::String, "I/O Direction.")
        .display("I/O Direction")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("evt.is_wait", FieldType::Bool, "Is Wait.")
        .display("Is Wait")
        .saker_type("PT_BOOL"),
    FieldDef::new("evt.wait_latency", FieldType::RelTime, "Wait Latency.")
        .display("Wait Latency")
        .saker_type("PT_RELTIME")
        .properties(&["hidden"]),
    FieldDef::new("evt.is_syslog", FieldType::Bool, "Is Syslog.")
        .display("Is Syslog")
        .saker_type("PT_BOOL"),
    FieldDef::new("evt.count", FieldType::U64, "Count.")
        .display("Count")
        .saker_type("PT_UINT32"),
    FieldDef::new("evt.count.error", FieldType::U64, "Error Count.")
        .display("Error Count")
        .saker_type("PT_UINT32"),
    FieldDef::new("evt.count.error.file", FieldType::U64, "File Error Count.")
        .display("File Error Count")
        .saker_type("PT_UINT32"),
    FieldDef::new("evt.count.error.net", FieldType::U64, "Network Error Count.")
        .display("Network Error Count")
        .saker_type("PT_UINT32"),
    FieldDef::new("evt.count.error.memory", FieldType::U64, "Memory Error Count.")
        .display("Memory Error Count")
        .saker_type("PT_UINT32"),
    FieldDef::new("evt.count.error.other", FieldType::U64, "Other Error Count.")
        .display("Other Error Count")
        .saker_type("PT_UINT32"),
    FieldDef::new("evt.count.exit", FieldType::U64, "Exit Count.")
        .display("Exit Count")
        .saker_type("PT_UINT32"),
    FieldDef::new("evt.count.procinfo", FieldType::U64, "Procinfo Count.")
        .display("Procinfo Count")
        .saker_type("PT_UINT32")
        .properties(&["hidden"]),
    FieldDef::new("evt.count.threadinfo", FieldType::U64, "Thread Info Count.")
        .display("Thread Info Count")
        .saker_type("PT_UINT32")
        .properties(&["hidden"]),
    FieldDef::new("evt.around", FieldType::U64, "Around Interval.")
        .display("Around Interval")
        .saker_type("PT_UINT64")
        .key_arg(true),
    FieldDef::new("evt.abspath", FieldType::String, "Absolute Path.")
        .display("Absolute Path")
        .saker_type("PT_CHARBUF")
        .key_arg(true)
        .dotted(),
    FieldDef::new("evt.buflen.in", FieldType::U64, "Input Buffer Length.")
        .display("Input Buffer Length")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("evt.buflen.out", FieldType::U64, "Output Buffer Length.")
        .display("Output Buffer Length")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("evt.buflen.file", FieldType::U64, "File Buffer Length.")
        .display("File Buffer Length")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("evt.buflen.file.in", FieldType::U64, "File Input Buffer Length.")
        .display("File Input Buffer Length")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("evt.buflen.file.out", FieldType::U64, "File Output Buffer Length.")
        .display("File Output Buffer Length")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("evt.buflen.net", FieldType::U64, "Network Buffer Length.")
        .display("Network Buffer Length")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("evt.buflen.net.in", FieldType::U64, "Network Input Buffer Length.")
        .display("Network Input Buffer Length")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("evt.buflen.net.out", FieldType::U64, "Network Output Buffer Length.")
        .display("Network Output Buffer Length")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new(
        "evt.is_open_read",
        FieldType::Bool,
        "open family opened with read access.",
    )
    .display("Is Opened For Reading")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "evt.is_open_write",
        FieldType::Bool,
        "open family opened with write access.",
    )
    .display("Is Opened For Writing")
    .saker_type("PT_BOOL"),
    FieldDef::new("evt.infra.docker.name", FieldType::String, "Docker Name.")
        .display("Docker Name")
        .saker_type("PT_CHARBUF")
        .properties(&["hidden"]),
    FieldDef::new("evt.infra.docker.container.id", FieldType::String, "Docker ID.")
        .display("Docker ID")
        .saker_type("PT_CHARBUF")
        .properties(&["hidden"]),
    FieldDef::new("evt.infra.docker.container.name", FieldType::String, "Container Name.")
        .display("Container Name")
        .saker_type("PT_CHARBUF")
        .properties(&["hidden"]),
    FieldDef::new(
        "evt.infra.docker.container.image",
        FieldType::String,
        "Container Image.",
    )
    .display("Container Image")
    .saker_type("PT_CHARBUF")
    .properties(&["hidden"]),
    FieldDef::new(
        "evt.is_open_exec",
        FieldType::Bool,
        "open family created a file with an execute mode bit.",
    )
    .display("Is Created With Execute Permissions")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "evt.is_open_create",
        FieldType::Bool,
        "open family created the file (O_CREAT set and file created).",
    )
    .display("Is Created")
    .saker_type("PT_BOOL"),
    FieldDef::new("fd.num", FieldType::U64, "File descriptor of the event.")
        .display("FD Number")
        .saker_type("PT_INT64"),
    FieldDef::new(
        "fd.type",
        FieldType::String,
        "Kind of the file descriptor (file, ipv4, unix, ...).",
    )
    .display("FD Type")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "fd.typechar",
        FieldType::String,
        "One-letter kind of the file descriptor.",
    )
    .display("FD Type Char")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "fd.name",
        FieldType::String,
        "Full name of the fd (absolute path or connection tuple).",
    )
    .display("FD Name")
    .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.directory", FieldType::String, "Directory of the fd path.")
        .display("FD Directory")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.filename", FieldType::String, "Last path component of a file fd.")
        .display("FD Filename")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.ip", FieldType::IpAddr, "FD IP Address.")
        .display("FD IP Address")
        .saker_type("PT_IPADDR")
        .properties(&["sakerEitherEnd"]),
    FieldDef::new("fd.cip", FieldType::IpAddr, "FD Client Address.")
        .display("FD Client Address")
        .saker_type("PT_IPADDR"),
    FieldDef::new("fd.sip", FieldType::IpAddr, "FD Server Address.")
        .display("FD Server Address")
        .saker_type("PT_IPADDR"),
    FieldDef::new("fd.lip", FieldType::IpAddr, "FD Local Address.")
        .display("FD Local Address")
        .saker_type("PT_IPADDR"),
    FieldDef::new("fd.rip", FieldType::IpAddr, "FD Remote Address.")
        .display("FD Remote Address")
        .saker_type("PT_IPADDR"),
    FieldDef::new("fd.port", FieldType::U64, "FD Port.")
        .display("FD Port")
        .saker_type("PT_PORT")
        .properties(&["sakerEitherEnd"]),
    FieldDef::new("fd.cport", FieldType::U64, "FD Client Port.")
        .display("FD Client Port")
        .saker_type("PT_PORT"),
    FieldDef::new("fd.sport", FieldType::U64, "FD Server Port.")
        .display("FD Server Port")
        .saker_type("PT_PORT"),
    FieldDef::new("fd.lport", FieldType::U64, "FD Local Port.")
        .display("FD Local Port")
        .saker_type("PT_PORT"),
    FieldDef::new("fd.rport", FieldType::U64, "FD Remote Port.")
        .display("FD Remote Port")
        .saker_type("PT_PORT"),
    FieldDef::new("fd.l4proto", FieldType::String, "FD IP Protocol.")
        .display("FD IP Protocol")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.sockfamily", FieldType::String, "FD Socket Family.")
        .display("FD Socket Family")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.is_server", FieldType::Bool, "FD Server.")
        .display("FD Server")
        .saker_type("PT_BOOL"),
    FieldDef::new("fd.uid", FieldType::String, "FD ID.")
        .display("FD ID")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.containername", FieldType::String, "FD Container Name.")
        .display("FD Container Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.containerdirectory", FieldType::String, "FD Container Directory.")
        .display("FD Container Directory")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.proto", FieldType::U64, "FD Protocol.")
        .display("FD Protocol")
        .saker_type("PT_PORT")
        .properties(&["sakerEitherEnd"]),
    FieldDef::new("fd.cproto", FieldType::String, "FD Client Protocol.")
        .display("FD Client Protocol")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.sproto", FieldType::String, "FD Server Protocol.")
        .display("FD Server Protocol")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.lproto", FieldType::String, "FD Local Protocol.")
        .display("FD Local Protocol")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.rproto", FieldType::String, "FD Remote Protocol.")
        .display("FD Remote Protocol")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.net", FieldType::IpNet, "FD IP Network.")
        .display("FD IP Network")
        .saker_type("PT_IPNET")
        .properties(&["sakerEitherEnd"]),
    FieldDef::new("fd.cnet", FieldType::IpNet, "FD Client Network.")
        .display("FD Client Network")
        .saker_type("PT_IPNET"),
    FieldDef::new("fd.snet", FieldType::IpNet, "FD Server Network.")
        .display("FD Server Network")
        .saker_type("PT_IPNET"),
    FieldDef::new("fd.lnet", FieldType::IpNet, "FD Local Network.")
        .display("FD Local Network")
        .saker_type("PT_IPNET"),
    FieldDef::new("fd.rnet", FieldType::IpNet, "FD Remote Network.")
        .display("FD Remote Network")
        .saker_type("PT_IPNET"),
    FieldDef::new("fd.connected", FieldType::Bool, "FD Connected.")
        .display("FD Connected")
        .saker_type("PT_BOOL"),
    FieldDef::new("fd.name_changed", FieldType::Bool, "FD Name Changed.")
        .display("FD Name Changed")
        .saker_type("PT_BOOL"),
    FieldDef::new("fd.cip.name", FieldType::String, "FD Client Domain Name.")
        .display("FD Client Domain Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.sip.name", FieldType::String, "FD Server Domain Name.")
        .display("FD Server Domain Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.lip.name", FieldType::String, "FD Local Domain Name.")
        .display("FD Local Domain Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.rip.name", FieldType::String, "FD Remote Domain Name.")
        .display("FD Remote Domain Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.dev", FieldType::U64, "FD Device.")
        .display("FD Device")
        .saker_type("PT_INT32"),
    FieldDef::new("fd.dev.major", FieldType::U64, "FD Major Device.")
        .display("FD Major Device")
        .saker_type("PT_INT32"),
    FieldDef::new("fd.dev.minor", FieldType::U64, "FD Minor Device.")
        .display("FD Minor Device")
        .saker_type("PT_INT32"),
    FieldDef::new("fd.ino", FieldType::U64, "FD Inode Number.")
        .display("FD Inode Number")
        .saker_type("PT_INT64"),
    FieldDef::new("fd.nameraw", FieldType::String, "fd path as passed to the syscall.")
        .display("FD Name Raw")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fd.types", FieldType::String, "FD Type.")
        .display("FD Type")
        .saker_type("PT_CHARBUF")
        .index_arg(false)
        .list(),
    FieldDef::new("fd.is_upper_layer", FieldType::Bool, "FD Upper Layer.")
        .display("FD Upper Layer")
        .saker_type("PT_BOOL"),
    FieldDef::new("fd.is_lower_layer", FieldType::Bool, "FD Lower Layer.")
        .display("FD Lower Layer")
        .saker_type("PT_BOOL"),
    FieldDef::new("fdlist.nums", FieldType::String, "FD Numbers.")
        .display("FD Numbers")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fdlist.names", FieldType::String, "FD Names.")
        .display("FD Names")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fdlist.cips", FieldType::String, "FD Client Addresses.")
        .display("FD Client Addresses")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fdlist.sips", FieldType::String, "FD Source Addresses.")
        .display("FD Source Addresses")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fdlist.cports", FieldType::String, "FD Client Ports.")
        .display("FD Client Ports")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("fdlist.sports", FieldType::String, "FD Source Ports.")
        .display("FD Source Ports")
        .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "fs.path.name",
        FieldType::String,
        "Path for Filesystem-related operation.",
    )
    .display("Path for Filesystem-related operation")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "fs.path.nameraw",
        FieldType::String,
        "Raw path for Filesystem-related operation.",
    )
    .display("Raw path for Filesystem-related operation")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "fs.path.source",
        FieldType::String,
        "Source path for Filesystem-related operation.",
    )
    .display("Source path for Filesystem-related operation")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "fs.path.sourceraw",
        FieldType::String,
        "Source path for Filesystem-related operation.",
    )
    .display("Source path for Filesystem-related operation")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "fs.path.target",
        FieldType::String,
        "Target path for Filesystem-related operation.",
    )
    .display("Target path for Filesystem-related operation")
    .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "fs.path.targetraw",
        FieldType::String,
        "Target path for Filesystem-related operation.",
    )
    .display("Target path for Filesystem-related operation")
    .saker_type("PT_CHARBUF"),
    FieldDef::new("group.gid", FieldType::U64, "Effective group id.")
        .display("Group ID")
        .saker_type("PT_UINT32"),
    FieldDef::new("group.name", FieldType::String, "Group name.")
        .display("Group Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.exe", FieldType::String, "argv[0] of the process.")
        .display("First Argument")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.pexe", FieldType::String, "Parent First Argument.")
        .display("Parent First Argument")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.aexe", FieldType::String, "Ancestor First Argument.")
        .display("Ancestor First Argument")
        .saker_type("PT_CHARBUF")
        .index_arg(false)
        .properties(&["sakerAnyAncestor"]),
    FieldDef::new("proc.exepath", FieldType::String, "Full path of the executable.")
        .display("Process Executable Path")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.pexepath", FieldType::String, "Parent Process Executable Path.")
        .display("Parent Process Executable Path")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.aexepath", FieldType::String, "Ancestor Executable Path.")
        .display("Ancestor Executable Path")
        .saker_type("PT_CHARBUF")
        .index_arg(false)
        .properties(&["sakerAnyAncestor"]),
    FieldDef::new("proc.name", FieldType::String, "Process name (comm).")
        .display("Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.pname", FieldType::String, "Name of the parent process.")
        .display("Parent Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "proc.aname",
        FieldType::String,
        "Name of an ancestor ([0] = self); without index any ancestor.",
    )
    .display("Ancestor Name")
    .saker_type("PT_CHARBUF")
    .index_arg(false)
    .properties(&["sakerAnyAncestor"]),
    FieldDef::new(
        "proc.args",
        FieldType::String,
        "Arguments after argv[0], space separated.",
    )
    .display("Arguments")
    .saker_type("PT_CHARBUF")
    .index_arg(false),
    FieldDef::new("proc.aargs", FieldType::String, "Ancestor Arguments.")
        .display("Ancestor Arguments")
        .saker_type("PT_CHARBUF")
        .index_arg(false)
        .properties(&["sakerAnyAncestor"]),
    FieldDef::new(
        "proc.cmdline",
        FieldType::String,
        "Process name followed by its arguments.",
    )
    .display("Command Line")
    .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.pcmdline", FieldType::String, "Parent Command Line.")
        .display("Parent Command Line")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.acmdline", FieldType::String, "Ancestor Command Line.")
        .display("Ancestor Command Line")
        .saker_type("PT_CHARBUF")
        .index_arg(false)
        .properties(&["sakerAnyAncestor"]),
    FieldDef::new("proc.cmdnargs", FieldType::U64, "Number of Command Line args.")
        .display("Number of Command Line args")
        .saker_type("PT_UINT64"),
    FieldDef::new(
        "proc.cmdlenargs",
        FieldType::U64,
        "Total Count of Characters in Command Line args.",
    )
    .display("Total Count of Characters in Command Line args")
    .saker_type("PT_UINT64"),
    FieldDef::new("proc.exeline", FieldType::String, "Executable Command Line.")
        .display("Executable Command Line")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.env", FieldType::String, "Environment.")
        .display("Environment")
        .saker_type("PT_CHARBUF")
        .key_arg(false),
    FieldDef::new("proc.aenv", FieldType::String, "Ancestor Environment.")
        .display("Ancestor Environment")
        .saker_type("PT_CHARBUF")
        .index_arg(false)
        .properties(&["sakerAnyAncestor"]),
    FieldDef::new("proc.cwd", FieldType::String, "Current Working Directory.")
        .display("Current Working Directory")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.loginshellid", FieldType::U64, "Login Shell ID.")
        .display("Login Shell ID")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.tty", FieldType::U64, "Process TTY.")
        .display("Process TTY")
        .saker_type("PT_UINT32"),
    FieldDef::new("proc.pid", FieldType::U64, "Process id.")
        .display("Process ID")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.ppid", FieldType::U64, "Parent process id.")
        .display("Parent Process ID")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.apid", FieldType::U64, "Ancestor Process ID.")
        .display("Ancestor Process ID")
        .saker_type("PT_INT64")
        .index_arg(false)
        .properties(&["sakerAnyAncestor"]),
    FieldDef::new("proc.vpid", FieldType::U64, "Virtual Process ID.")
        .display("Virtual Process ID")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.pvpid", FieldType::U64, "Parent Virtual Process ID.")
        .display("Parent Virtual Process ID")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.sid", FieldType::U64, "Process Session ID.")
        .display("Process Session ID")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.sname", FieldType::String, "Process Session Name.")
        .display("Process Session Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.sid.exe", FieldType::String, "Process Session First Argument.")
        .display("Process Session First Argument")
        .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "proc.sid.exepath",
        FieldType::String,
        "Process Session Executable Path.",
    )
    .display("Process Session Executable Path")
    .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.vpgid", FieldType::U64, "Process Virtual Group ID.")
        .display("Process Virtual Group ID")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.vpgid.name", FieldType::String, "Process Group Name.")
        .display("Process Group Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.vpgid.exe", FieldType::String, "Process Group First Argument.")
        .display("Process Group First Argument")
        .saker_type("PT_CHARBUF"),
    FieldDef::new(
        "proc.vpgid.exepath",
        FieldType::String,
        "Process Group Executable Path.",
    )
    .display("Process Group Executable Path")
    .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.pgid", FieldType::U64, "Process Group ID.")
        .display("Process Group ID")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.pgid.name", FieldType::String, "Process Group Name.")
        .display("Process Group Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.pgid.exe", FieldType::String, "Process Group First Argument.")
        .display("Process Group First Argument")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.pgid.exepath", FieldType::String, "Process Group Executable Path.")
        .display("Process Group Executable Path")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.duration", FieldType::RelTime, "Process Duration.")
        .display("Process Duration")
        .saker_type("PT_RELTIME"),
    FieldDef::new("proc.ppid.duration", FieldType::RelTime, "Parent Process Duration.")
        .display("Parent Process Duration")
        .saker_type("PT_RELTIME"),
    FieldDef::new("proc.pid.ts", FieldType::RelTime, "Process start ts.")
        .display("Process start ts")
        .saker_type("PT_RELTIME"),
    FieldDef::new("proc.ppid.ts", FieldType::RelTime, "Parent Process start ts.")
        .display("Parent Process start ts")
        .saker_type("PT_RELTIME"),
    FieldDef::new(
        "proc.is_exe_writable",
        FieldType::Bool,
        "Process Executable Is Writable.",
    )
    .display("Process Executable Is Writable")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "proc.is_exe_upper_layer",
        FieldType::Bool,
        "Process Executable Is In Upper Layer.",
    )
    .display("Process Executable Is In Upper Layer")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "proc.is_exe_lower_layer",
        FieldType::Bool,
        "Process Executable Is In Lower Layer.",
    )
    .display("Process Executable Is In Lower Layer")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "proc.is_exe_from_memfd",
        FieldType::Bool,
        "Process Executable Is Stored In Memfd.",
    )
    .display("Process Executable Is Stored In Memfd")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "proc.is_sid_leader",
        FieldType::Bool,
        "Process Is Process Session Leader.",
    )
    .display("Process Is Process Session Leader")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "proc.is_vpgid_leader",
        FieldType::Bool,
        "Process Is Virtual Process Group Leader.",
    )
    .display("Process Is Virtual Process Group Leader")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "proc.is_pgid_leader",
        FieldType::Bool,
        "Process Is Process Group Leader.",
    )
    .display("Process Is Process Group Leader")
    .saker_type("PT_BOOL"),
    FieldDef::new(
        "proc.exe_ino",
        FieldType::U64,
        "Inode number of executable file on disk.",
    )
    .display("Inode number of executable file on disk")
    .saker_type("PT_INT64"),
    FieldDef::new(
        "proc.exe_ino.ctime",
        FieldType::AbsTime,
        "Last status change time (ctime) of executable file.",
    )
    .display("Last status change time (ctime) of executable file")
    .saker_type("PT_ABSTIME"),
    FieldDef::new(
        "proc.exe_ino.mtime",
        FieldType::AbsTime,
        "Last modification time (mtime) of executable file.",
    )
    .display("Last modification time (mtime) of executable file")
    .saker_type("PT_ABSTIME"),
    FieldDef::new(
        "proc.exe_ino.ctime_duration_proc_start",
        FieldType::AbsTime,
        "Number of nanoseconds between ctime exe file and proc clone ts.",
    )
    .display("Number of nanoseconds between ctime exe file and proc clone ts")
    .saker_type("PT_ABSTIME"),
    FieldDef::new(
        "proc.exe_ino.ctime_duration_pidns_start",
        FieldType::AbsTime,
        "Number of nanoseconds between pidns start ts and ctime exe file.",
    )
    .display("Number of nanoseconds between pidns start ts and ctime exe file")
    .saker_type("PT_ABSTIME"),
    FieldDef::new("proc.pidns_init_start_ts", FieldType::U64, "Start ts of pid namespace.")
        .display("Start ts of pid namespace")
        .saker_type("PT_UINT64"),
    FieldDef::new("thread.cap_permitted", FieldType::String, "Permitted capabilities.")
        .display("Permitted capabilities")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("thread.cap_inheritable", FieldType::String, "Inheritable capabilities.")
        .display("Inheritable capabilities")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("thread.cap_effective", FieldType::String, "Effective capabilities.")
        .display("Effective capabilities")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.fdopencount", FieldType::U64, "FD Count.")
        .display("FD Count")
        .saker_type("PT_UINT64"),
    FieldDef::new("proc.fdlimit", FieldType::U64, "FD Limit.")
        .display("FD Limit")
        .saker_type("PT_INT64"),
    FieldDef::new("proc.fdusage", FieldType::U64, "FD Usage.")
        .display("FD Usage")
        .saker_type("PT_DOUBLE"),
    FieldDef::new("proc.vmsize", FieldType::U64, "VM Size.")
        .display("VM Size")
        .saker_type("PT_UINT64"),
    FieldDef::new("proc.vmrss", FieldType::U64, "VM RSS.")
        .display("VM RSS")
        .saker_type("PT_UINT64"),
    FieldDef::new("proc.vmswap", FieldType::U64, "VM Swap.")
        .display("VM Swap")
        .saker_type("PT_UINT64"),
    FieldDef::new("thread.pfmajor", FieldType::U64, "Major Page Faults.")
        .display("Major Page Faults")
        .saker_type("PT_UINT64"),
    FieldDef::new("thread.pfminor", FieldType::U64, "Minor Page Faults.")
        .display("Minor Page Faults")
        .saker_type("PT_UINT64"),
    FieldDef::new("thread.tid", FieldType::U64, "Thread ID.")
        .display("Thread ID")
        .saker_type("PT_INT64"),
    FieldDef::new("thread.ismain", FieldType::Bool, "Main Thread.")
        .display("Main Thread")
        .saker_type("PT_BOOL"),
    FieldDef::new("thread.vtid", FieldType::U64, "Virtual Thread ID.")
        .display("Virtual Thread ID")
        .saker_type("PT_INT64"),
    FieldDef::new("thread.nametid", FieldType::String, "Thread Name + ID.")
        .display("Thread Name + ID")
        .saker_type("PT_CHARBUF")
        .properties(&["hidden"]),
    FieldDef::new("thread.exectime", FieldType::RelTime, "Scheduled Thread CPU Time.")
        .display("Scheduled Thread CPU Time")
        .saker_type("PT_RELTIME"),
    FieldDef::new("thread.totexectime", FieldType::RelTime, "Current Thread CPU Time.")
        .display("Current Thread CPU Time")
        .saker_type("PT_RELTIME"),
    FieldDef::new("thread.cgroups", FieldType::String, "Thread Cgroups.")
        .display("Thread Cgroups")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("thread.cgroup", FieldType::String, "Thread Cgroup.")
        .display("Thread Cgroup")
        .saker_type("PT_CHARBUF")
        .key_arg(true)
        .dotted(),
    FieldDef::new("proc.nthreads", FieldType::U64, "Threads.")
        .display("Threads")
        .saker_type("PT_UINT64"),
    FieldDef::new("proc.nchilds", FieldType::U64, "Children.")
        .display("Children")
        .saker_type("PT_UINT64"),
    FieldDef::new("thread.cpu", FieldType::U64, "Thread CPU.")
        .display("Thread CPU")
        .saker_type("PT_DOUBLE"),
    FieldDef::new("thread.cpu.user", FieldType::U64, "Thread User CPU.")
        .display("Thread User CPU")
        .saker_type("PT_DOUBLE"),
    FieldDef::new("thread.cpu.system", FieldType::U64, "Thread System CPU.")
        .display("Thread System CPU")
        .saker_type("PT_DOUBLE"),
    FieldDef::new("thread.vmsize", FieldType::U64, "Thread VM Size (kb).")
        .display("Thread VM Size (kb)")
        .saker_type("PT_UINT64"),
    FieldDef::new("thread.vmrss", FieldType::U64, "Thread VM RSS (kb).")
        .display("Thread VM RSS (kb)")
        .saker_type("PT_UINT64"),
    FieldDef::new("thread.vmsize.b", FieldType::U64, "Thread VM Size (b).")
        .display("Thread VM Size (b)")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("thread.vmrss.b", FieldType::U64, "Thread VM RSS (b).")
        .display("Thread VM RSS (b)")
        .saker_type("PT_UINT64")
        .properties(&["hidden"]),
    FieldDef::new("proc.stdin.type", FieldType::String, "Standard Input fd type.")
        .display("Standard Input fd type")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.stdout.type", FieldType::String, "Standard Output fd type.")
        .display("Standard Output fd type")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.stderr.type", FieldType::String, "Standard Error fd type.")
        .display("Standard Error fd type")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.stdin.name", FieldType::String, "Standard Input fd name.")
        .display("Standard Input fd name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.stdout.name", FieldType::String, "Standard Output fd name.")
        .display("Standard Output fd name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("proc.stderr.name", FieldType::String, "Standard Error fd name.")
        .display("Standard Error fd name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("user.uid", FieldType::U64, "Effective user id.")
        .display("User ID")
        .saker_type("PT_UINT32"),
    FieldDef::new("user.name", FieldType::String, "User name of the effective uid.")
        .display("User Name")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("user.homedir", FieldType::String, "Home Directory.")
        .display("Home Directory")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("user.shell", FieldType::String, "Shell.")
        .display("Shell")
        .saker_type("PT_CHARBUF"),
    FieldDef::new("user.loginuid", FieldType::U64, "Login User ID.")
        .display("Login User ID")
        .saker_type("PT_INT64"),
    FieldDef::new("user.loginname", FieldType::String, "Login User Name.")
        .display("Login User Name")
        .saker_type("PT_CHARBUF"),
];

/// Identifies a field of [`FIELDS`] by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum FieldId {
    /// `evt.latency`
    EvtLatency,
    /// `evt.latency.s`
    EvtLatencyS,
    /// `evt.latency.ns`
    EvtLatencyNs,
    /// `evt.latency.quantized`
    EvtLatencyQuantized,
    /// `evt.latency.human`
    EvtLatencyHuman,
    /// `evt.deltatime`
    EvtDeltatime,
    /// `evt.deltatime.s`
    EvtDeltatimeS,
    /// `evt.deltatime.ns`
    EvtDeltatimeNs,
    /// `evt.outputtime`
    EvtOutputtime,
    /// `evt.dir`
    EvtDir,
    /// `evt.type`
    EvtType,
    /// `evt.type.is`
    EvtTypeIs,
    /// `syscall.type`
    SyscallType,
    /// `evt.category`
    EvtCategory,
    /// `evt.cpu`
    EvtCpu,
    /// `evt.args`
    EvtArgs,
    /// `evt.arg`
    EvtArg,
    /// `evt.rawarg`
    EvtRawarg,
    /// `evt.info`
    EvtInfo,
    /// `evt.buffer`
    EvtBuffer,
    /// `evt.buflen`
    EvtBuflen,
    /// `evt.res`
    EvtRes,
    /// `evt.rawres`
    EvtRawres,
    /// `evt.failed`
    EvtFailed,
    /// `evt.is_io`
    EvtIsIo,
    /// `evt.is_io_read`
    EvtIsIoRead,
    /// `evt.is_io_write`
    EvtIsIoWrite,
    /// `evt.io_dir`
    EvtIoDir,
    /// `evt.is_wait`
    EvtIsWait,
    /// `evt.wait_latency`
    EvtWaitLatency,
    /// `evt.is_syslog`
    EvtIsSyslog,
    /// `evt.count`
    EvtCount,
    /// `evt.count.error`
    EvtCountError,
    /// `evt.count.error.file`
    EvtCountErrorFile,
    /// `evt.count.error.net`
    EvtCountErrorNet,
    /// `evt.count.error.memory`
    EvtCountErrorMemory,
    /// `evt.count.error.other`
    EvtCountErrorOther,
    /// `evt.count.exit`
    EvtCountExit,
    /// `evt.count.procinfo`
    EvtCountProcinfo,
    /// `evt.count.threadinfo`
    EvtCountThreadinfo,
    /// `evt.around`
    EvtAround,
    /// `evt.abspath`
    EvtAbspath,
    /// `evt.buflen.in`
    EvtBuflenIn,
    /// `evt.buflen.out`
    EvtBuflenOut,
    /// `evt.buflen.file`
    EvtBuflenFile,
    /// `evt.buflen.file.in`
    EvtBuflenFileIn,
    /// `evt.buflen.file.out`
    EvtBuflenFileOut,
    /// `evt.buflen.net`
    EvtBuflenNet,
    /// `evt.buflen.net.in`
    EvtBuflenNetIn,
    /// `evt.buflen.net.out`
    EvtBuflenNetOut,
    /// `evt.is_open_read`
    EvtIsOpenRead,
    /// `evt.is_open_write`
    EvtIsOpenWrite,
    /// `evt.infra.docker.name`
    EvtInfraDockerName,
    /// `evt.infra.docker.container.id`
    EvtInfraDockerContainerId,
    /// `evt.infra.docker.container.name`
    EvtInfraDockerContainerName,
    /// `evt.infra.docker.container.image`
    EvtInfraDockerContainerImage,
    /// `evt.is_open_exec`
    EvtIsOpenExec,
    /// `evt.is_open_create`
    EvtIsOpenCreate,
    /// `fd.num`
    FdNum,
    /// `fd.type`
    FdType,
    /// `fd.typechar`
    FdTypechar,
    /// `fd.name`
    FdName,
    /// `fd.directory`
    FdDirectory,
    /// `fd.filename`
    FdFilename,
    /// `fd.ip`
    FdIp,
    /// `fd.cip`
    FdCip,
    /// `fd.sip`
    FdSip,
    /// `fd.lip`
    FdLip,
    /// `fd.rip`
    FdRip,
    /// `fd.port`
    FdPort,
    /// `fd.cport`
    FdCport,
    /// `fd.sport`
    FdSport,
    /// `fd.lport`
    FdLport,
    /// `fd.rport`
    FdRport,
    /// `fd.l4proto`
    FdL4proto,
    /// `fd.sockfamily`
    FdSockfamily,
    /// `fd.is_server`
    FdIsServer,
    /// `fd.uid`
    FdUid,
    /// `fd.containername`
    FdContainername,
    /// `fd.containerdirectory`
    FdContainerdirectory,
    /// `fd.proto`
    FdProto,
    /// `fd.cproto`
    FdCproto,
    /// `fd.sproto`
    FdSproto,
    /// `fd.lproto`
    FdLproto,
    /// `fd.rproto`
    FdRproto,
    /// `fd.net`
    FdNet,
    /// `fd.cnet`
    FdCnet,
    /// `fd.snet`
    FdSnet,
    /// `fd.lnet`
    FdLnet,
    /// `fd.rnet`
    FdRnet,
    /// `fd.connected`
    FdConnected,
    /// `fd.name_changed`
    FdNameChanged,
    /// `fd.cip.name`
    FdCipName,
    /// `fd.sip.name`
    FdSipName,
    /// `fd.lip.name`
    FdLipName,
    /// `fd.rip.name`
    FdRipName,
    /// `fd.dev`
    FdDev,
    /// `fd.dev.major`
    FdDevMajor,
    /// `fd.dev.minor`
    FdDevMinor,
    /// `fd.ino`
    FdIno,
    /// `fd.nameraw`
    FdNameraw,
    /// `fd.types`
    FdTypes,
    /// `fd.is_upper_layer`
    FdIsUpperLayer,
    /// `fd.is_lower_layer`
    FdIsLowerLayer,
    /// `fdlist.nums`
    FdlistNums,
    /// `fdlist.names`
    FdlistNames,
    /// `fdlist.cips`
    FdlistCips,
    /// `fdlist.sips`
    FdlistSips,
    /// `fdlist.cports`
    FdlistCports,
    /// `fdlist.sports`
    FdlistSports,
    /// `fs.path.name`
    FsPathName,
    /// `fs.path.nameraw`
    FsPathNameraw,
    /// `fs.path.source`
    FsPathSource,
    /// `fs.path.sourceraw`
    FsPathSourceraw,
    /// `fs.path.target`
    FsPathTarget,
    /// `fs.path.targetraw`
    FsPathTargetraw,
    /// `group.gid`
    GroupGid,
    /// `group.name`
    GroupName,
    /// `proc.exe`
    ProcExe,
    /// `proc.pexe`
    ProcPexe,
    /// `proc.aexe`
    ProcAexe,
    /// `proc.exepath`
    ProcExepath,
    /// `proc.pexepath`
    ProcPexepath,
    /// `proc.aexepath`
    ProcAexepath,
    /// `proc.name`
    ProcName,
    /// `proc.pname`
    ProcPname,
    /// `proc.aname`
    ProcAname,
    /// `proc.args`
    ProcArgs,
    /// `proc.aargs`
    ProcAargs,
    /// `proc.cmdline`
    ProcCmdline,
    /// `proc.pcmdline`
    ProcPcmdline,
    /// `proc.acmdline`
    ProcAcmdline,
    /// `proc.cmdnargs`
    ProcCmdnargs,
    /// `proc.cmdlenargs`
    ProcCmdlenargs,
    /// `proc.exeline`
    ProcExeline,
    /// `proc.env`
    ProcEnv,
    /// `proc.aenv`
    ProcAenv,
    /// `proc.cwd`
    ProcCwd,
    /// `proc.loginshellid`
    ProcLoginshellid,
    /// `proc.tty`
    ProcTty,
    /// `proc.pid`
    ProcPid,
    /// `proc.ppid`
    ProcPpid,
    /// `proc.apid`
    ProcApid,
    /// `proc.vpid`
    ProcVpid,
    /// `proc.pvpid`
    ProcPvpid,
    /// `proc.sid`
    ProcSid,
    /// `proc.sname`
    ProcSname,
    /// `proc.sid.exe`
    ProcSidExe,
    /// `proc.sid.exepath`
    ProcSidExepath,
    /// `proc.vpgid`
    ProcVpgid,
    /// `proc.vpgid.name`
    ProcVpgidName,
    /// `proc.vpgid.exe`
    ProcVpgidExe,
    /// `proc.vpgid.exepath`
    ProcVpgidExepath,
    /// `proc.pgid`
    ProcPgid,
    /// `proc.pgid.name`
    ProcPgidName,
    /// `proc.pgid.exe`
    ProcPgidExe,
    /// `proc.pgid.exepath`
    ProcPgidExepath,
    /// `proc.duration`
    ProcDuration,
    /// `proc.ppid.duration`
    ProcPpidDuration,
    /// `proc.pid.ts`
    ProcPidTs,
    /// `proc.ppid.ts`
    ProcPpidTs,
    /// `proc.is_exe_writable`
    ProcIsExeWritable,
    /// `proc.is_exe_upper_layer`
    ProcIsExeUpperLayer,
    /// `proc.is_exe_lower_layer`
    ProcIsExeLowerLayer,
    /// `proc.is_exe_from_memfd`
    ProcIsExeFromMemfd,
    /// `proc.is_sid_leader`
    ProcIsSidLeader,
    /// `proc.is_vpgid_leader`
    ProcIsVpgidLeader,
    /// `proc.is_pgid_leader`
    ProcIsPgidLeader,
    /// `proc.exe_ino`
    ProcExeIno,
    /// `proc.exe_ino.ctime`
    ProcExeInoCtime,
    /// `proc.exe_ino.mtime`
    ProcExeInoMtime,
    /// `proc.exe_ino.ctime_duration_proc_start`
    ProcExeInoCtimeDurationProcStart,
    /// `proc.exe_ino.ctime_duration_pidns_start`
    ProcExeInoCtimeDurationPidnsStart,
    /// `proc.pidns_init_start_ts`
    ProcPidnsInitStartTs,
    /// `thread.cap_permitted`
    ThreadCapPermitted,
    /// `thread.cap_inheritable`
    ThreadCapInheritable,
    /// `thread.cap_effective`
    ThreadCapEffective,
    /// `proc.fdopencount`
    ProcFdopencount,
    /// `proc.fdlimit`
    ProcFdlimit,
    /// `proc.fdusage`
    ProcFdusage,
    /// `proc.vmsize`
    ProcVmsize,
    /// `proc.vmrss`
    ProcVmrss,
    /// `proc.vmswap`
    ProcVmswap,
    /// `thread.pfmajor`
    ThreadPfmajor,
    /// `thread.pfminor`
    ThreadPfminor,
    /// `thread.tid`
    ThreadTid,
    /// `thread.ismain`
    ThreadIsmain,
    /// `thread.vtid`
    ThreadVtid,
    /// `thread.nametid`
    ThreadNametid,
    /// `thread.exectime`
    ThreadExectime,
    /// `thread.totexectime`
    ThreadTotexectime,
    /// `thread.cgroups`
    ThreadCgroups,
    /// `thread.cgroup`
    ThreadCgroup,
    /// `proc.nthreads`
    ProcNthreads,
    /// `proc.nchilds`
    ProcNchilds,
    /// `thread.cpu`
    ThreadCpu,
    /// `thread.cpu.user`
    ThreadCpuUser,
    /// `thread.cpu.system`
    ThreadCpuSystem,
    /// `thread.vmsize`
    ThreadVmsize,
    /// `thread.vmrss`
    ThreadVmrss,
    /// `thread.vmsize.b`
    ThreadVmsizeB,
    /// `thread.vmrss.b`
    ThreadVmrssB,
    /// `proc.stdin.type`
    ProcStdinType,
    /// `proc.stdout.type`
    ProcStdoutType,
    /// `proc.stderr.type`
    ProcStderrType,
    /// `proc.stdin.name`
    ProcStdinName,
    /// `proc.stdout.name`
    ProcStdoutName,
    /// `proc.stderr.name`
    ProcStderrName,
    /// `user.uid`
    UserUid,
    /// `user.name`
    UserName,
    /// `user.homedir`
    UserHomedir,
    /// `user.shell`
    UserShell,
    /// `user.loginuid`
    UserLoginuid,
    /// `user.loginname`
    UserLoginname,
}

/// Every [`FieldId`], indexed by position.
pub const ALL_FIELD_IDS: &[FieldId] = &[
    FieldId::EvtLatency,
    FieldId::EvtLatencyS,
    FieldId::EvtLatencyNs,
    FieldId::EvtLatencyQuantized,
    FieldId::EvtLatencyHuman,
    FieldId::EvtDeltatime,
    FieldId::EvtDeltatimeS,
    FieldId::EvtDeltatimeNs,
    FieldId::EvtOutputtime,
    FieldId::EvtDir,
    FieldId::EvtType,
    FieldId::EvtTypeIs,
    FieldId::SyscallType,
    FieldId::EvtCategory,
    FieldId::EvtCpu,
    FieldId::EvtArgs,
    FieldId::EvtArg,
    FieldId::EvtRawarg,
    FieldId::EvtInfo,
    FieldId::EvtBuffer,
    FieldId::EvtBuflen,
    FieldId::EvtRes,
    FieldId::EvtRawres,
    FieldId::EvtFailed,
    FieldId::EvtIsIo,
    FieldId::EvtIsIoRead,
    FieldId::EvtIsIoWrite,
    FieldId::EvtIoDir,
    FieldId::EvtIsWait,
    FieldId::EvtWaitLatency,
    FieldId::EvtIsSyslog,
    FieldId::EvtCount,
    FieldId::EvtCountError,
    FieldId::EvtCountErrorFile,
    FieldId::EvtCountErrorNet,
    FieldId::EvtCountErrorMemory,
    FieldId::EvtCountErrorOther,
    FieldId::EvtCountExit,
    FieldId::EvtCountProcinfo,
    FieldId::EvtCountThreadinfo,
    FieldId::EvtAround,
    FieldId::EvtAbspath,
    FieldId::EvtBuflenIn,
    FieldId::EvtBuflenOut,
    FieldId::EvtBuflenFile,
    FieldId::EvtBuflenFileIn,
    FieldId::EvtBuflenFileOut,
    FieldId::EvtBuflenNet,
    FieldId::EvtBuflenNetIn,
    FieldId::EvtBuflenNetOut,
    FieldId::EvtIsOpenRead,
    FieldId::EvtIsOpenWrite,
    FieldId::EvtInfraDockerName,
    FieldId::EvtInfraDockerContainerId,
    FieldId::EvtInfraDockerContainerName,
    FieldId::EvtInfraDockerContainerImage,
    FieldId::EvtIsOpenExec,
    FieldId::EvtIsOpenCreate,
    FieldId::FdNum,
    FieldId::FdType,
    FieldId::FdTypechar,
    FieldId::FdName,
    FieldId::FdDirectory,
    FieldId::FdFilename,
    FieldId::FdIp,
    FieldId::FdCip,
    FieldId::FdSip,
    FieldId::FdLip,
    FieldId::FdRip,
    FieldId::FdPort,
    FieldId::FdCport,
    FieldId::FdSport,
    FieldId::FdLport,
    FieldId::FdRport,
    FieldId::FdL4proto,
    FieldId::FdSockfamily,
    FieldId::FdIsServer,
    FieldId::FdUid,
    FieldId::FdContainername,
    FieldId::FdContainerdirectory,
    FieldId::FdProto,
    FieldId::FdCproto,
    FieldId::FdSproto,
    FieldId::FdLproto,
    FieldId::FdRproto,
    FieldId::FdNet,
    FieldId::FdCnet,
    FieldId::FdSnet,
    FieldId::FdLnet,
    FieldId::FdRnet,
    FieldId::FdConnected,
    FieldId::FdNameChanged,
    FieldId::FdCipName,
    FieldId::FdSipName,
    FieldId::FdLipName,
    FieldId::FdRipName,
    FieldId::FdDev,
    FieldId::FdDevMajor,
    FieldId::FdDevMinor,
    FieldId::FdIno,
    FieldId::FdNameraw,
    FieldId::FdTypes,
    FieldId::FdIsUpperLayer,
    FieldId::FdIsLowerLayer,
    FieldId::FdlistNums,
    FieldId::FdlistNames,
    FieldId::FdlistCips,
    FieldId::FdlistSips,
    FieldId::FdlistCports,
    FieldId::FdlistSports,
    FieldId::FsPathName,
    FieldId::FsPathNameraw,
    FieldId::FsPathSource,
    FieldId::FsPathSourceraw,
    FieldId::FsPathTarget,
    FieldId::FsPathTargetraw,
    FieldId::GroupGid,
    FieldId::GroupName,
    FieldId::ProcExe,
    FieldId::ProcPexe,
    FieldId::ProcAexe,
    FieldId::ProcExepath,
    FieldId::ProcPexepath,
    FieldId::ProcAexepath,
    FieldId::ProcName,
    FieldId::ProcPname,
    FieldId::ProcAname,
    FieldId::ProcArgs,
    FieldId::ProcAargs,
    FieldId::ProcCmdline,
    FieldId::ProcPcmdline,
    FieldId::ProcAcmdline,
    FieldId::ProcCmdnargs,
    FieldId::ProcCmdlenargs,
    FieldId::ProcExeline,
    FieldId::ProcEnv,
    FieldId::ProcAenv,
    FieldId::ProcCwd,
    FieldId::ProcLoginshellid,
    FieldId::ProcTty,
    FieldId::ProcPid,
    FieldId::ProcPpid,
    FieldId::ProcApid,
    FieldId::ProcVpid,
    FieldId::ProcPvpid,
    FieldId::ProcSid,
    FieldId::ProcSname,
    FieldId::ProcSidExe,
    FieldId::ProcSidExepath,
    FieldId::ProcVpgid,
    FieldId::ProcVpgidName,
    FieldId::ProcVpgidExe,
    FieldId::ProcVpgidExepath,
    FieldId::ProcPgid,
    FieldId::ProcPgidName,
    FieldId::ProcPgidExe,
    FieldId::ProcPgidExepath,
    FieldId::ProcDuration,
    FieldId::ProcPpidDuration,
    FieldId::ProcPidTs,
    FieldId::ProcPpidTs,
    FieldId::ProcIsExeWritable,
    FieldId::ProcIsExeUpperLayer,
    FieldId::ProcIsExeLowerLayer,
    FieldId::ProcIsExeFromMemfd,
    FieldId::ProcIsSidLeader,
    FieldId::ProcIsVpgidLeader,
    FieldId::ProcIsPgidLeader,
    FieldId::ProcExeIno,
    FieldId::ProcExeInoCtime,
    FieldId::ProcExeInoMtime,
    FieldId::ProcExeInoCtimeDurationProcStart,
    FieldId::ProcExeInoCtimeDurationPidnsStart,
    FieldId::ProcPidnsInitStartTs,
    FieldId::ThreadCapPermitted,
    FieldId::ThreadCapInheritable,
    FieldId::ThreadCapEffective,
    FieldId::ProcFdopencount,
    FieldId::ProcFdlimit,
    FieldId::ProcFdusage,
    FieldId::ProcVmsize,
    FieldId::ProcVmrss,
    FieldId::ProcVmswap,
    FieldId::ThreadPfmajor,
    FieldId::ThreadPfminor,
    FieldId::ThreadTid,
    FieldId::ThreadIsmain,
    FieldId::ThreadVtid,
    FieldId::ThreadNametid,
    FieldId::ThreadExectime,
    FieldId::ThreadTotexectime,
    FieldId::ThreadCgroups,
    FieldId::ThreadCgroup,
    FieldId::ProcNthreads,
    FieldId::ProcNchilds,
    FieldId::ThreadCpu,
    FieldId::ThreadCpuUser,
    FieldId::ThreadCpuSystem,
    FieldId::ThreadVmsize,
    FieldId::ThreadVmrss,
    FieldId::ThreadVmsizeB,
    FieldId::ThreadVmrssB,
    FieldId::ProcStdinType,
    FieldId::ProcStdoutType,
    FieldId::ProcStderrType,
    FieldId::ProcStdinName,
    FieldId::ProcStdoutName,
    FieldId::ProcStderrName,
    FieldId::UserUid,
    FieldId::UserName,
    FieldId::UserHomedir,
    FieldId::UserShell,
    FieldId::UserLoginuid,
    FieldId::UserLoginname,
];

impl FieldId {
    /// The id of `FIELDS[index]`.
    pub fn from_index(index: usize) -> Option<FieldId> {
        ALL_FIELD_IDS.get(index).copied()
    }
    /// The field declaration.
    pub fn def(self) -> &'static FieldDef {
        &FIELDS[self as usize]
    }
}
