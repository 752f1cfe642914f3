//! The `saker` command line: Falco's flags (0.35, including those later releases dropped —
//! `-e`, `-D`, `-T`, `-t`, `-A` — and 0.44's), plus Saker's subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;

/// Where the configuration is looked for without `-c`: Saker's own, then Falco's (an existing
/// Falco install keeps working).
pub const DEFAULT_CONFIG_FILES: [&str; 2] = ["/etc/saker/saker.yaml", crate::config::DEFAULT_CONFIG_FILE];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CliError {
    /// Falco's text; its test suite matches it.
    #[error("You can not specify both disabled (-D/-T) and enabled (-t) rules")]
    DisabledAndEnabledRules,
    #[error("You can not mix --enable-source and --disable-source")]
    MixedSourceSelection,
    #[error("You can not specify more than one of -e, --modern-bpf and --nodriver")]
    SeveralEventOrigins,
    #[error("--capture records live capture; it cannot be used with -e")]
    CaptureWithReplay,
    #[error("{flag} can only be used together with --list")]
    NeedsList { flag: &'static str },
}

/// Saker: a Falco-compatible runtime-security engine.
#[derive(Debug, Clone, Parser, PartialEq)]
#[command(name = "saker", disable_version_flag = true, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Configuration file (falco.yaml format).
    #[arg(short = 'c', value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Rules file or directory; repeatable. Replaces `rules_files` of the configuration.
    #[arg(short = 'r', value_name = "RULES_FILE")]
    pub rules_files: Vec<PathBuf>,

    /// Set a configuration key: `-o key.path=value`, `-o plugins[0].open_params=…`; repeatable.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,

    /// Load and validate the rules file(s), print the result and exit; repeatable.
    #[arg(short = 'V', long = "validate", value_name = "RULES_FILE")]
    pub validate: Vec<PathBuf>,

    /// Print the name and description of every rule and exit.
    #[arg(short = 'L')]
    pub describe_all_rules: bool,

    /// Print the name and description of one rule and exit.
    #[arg(short = 'l', value_name = "RULE")]
    pub describe_rule: Option<String>,

    /// List the fields of every source, or of SOURCE only (`--list=SOURCE` or `--list SOURCE`).
    #[arg(long = "list", value_name = "SOURCE", num_args = 0..=1, default_missing_value = "")]
    pub list_fields: Option<String>,

    /// Print the loaded plugins and exit.
    #[arg(long = "list-plugins")]
    pub list_plugins: bool,

    /// List the supported events and exit (Falco 0.35 `--list-syscall-events`, 0.44 `--list-events`).
    #[arg(long = "list-events", alias = "list-syscall-events")]
    pub list_events: bool,

    /// Print a plugin's description, init schema and fields, and exit.
    #[arg(long = "plugin-info", value_name = "PLUGIN")]
    pub plugin_info: Option<String>,

    /// Stop after SECONDS.
    #[arg(short = 'M', value_name = "SECONDS")]
    pub duration_seconds: Option<u64>,

    /// Monitor every event, including high-volume ones (Falco ≤ 0.40; same as `-o base_syscalls.all=true`).
    #[arg(short = 'A')]
    pub all_events: bool,

    /// Disable rules whose name contains SUBSTRING; repeatable (Falco ≤ 0.38).
    #[arg(short = 'D', value_name = "SUBSTRING")]
    pub disabled_rule_substrings: Vec<String>,

    /// Disable rules with tag TAG; repeatable (Falco ≤ 0.38).
    #[arg(short = 'T', value_name = "TAG")]
    pub disabled_tags: Vec<String>,

    /// Run only rules with tag TAG; repeatable (Falco ≤ 0.38).
    #[arg(short = 't', value_name = "TAG")]
    pub enabled_tags: Vec<String>,

    /// Enable only this event source (others are disabled); repeatable.
    #[arg(long = "enable-source", value_name = "SOURCE")]
    pub enable_sources: Vec<String>,

    /// Disable this event source; repeatable.
    #[arg(long = "disable-source", value_name = "SOURCE")]
    pub disable_sources: Vec<String>,

    /// Load configuration, plugins and rules, then exit without processing events.
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Print the version and exit.
    #[arg(long = "version")]
    pub version: bool,

    /// Replay a capture file (Falco ≤ 0.37; same as `-o engine.kind=replay -o engine.replay.capture_file=FILE`).
    #[arg(short = 'e', value_name = "CAPTURE_FILE")]
    pub capture_file: Option<PathBuf>,

    /// Saker: while capturing live, also record the events to this `.scap` file (same as
    /// `-o capture_file=FILE`).
    #[arg(long = "capture", value_name = "FILE")]
    pub record_file: Option<PathBuf>,

    /// Verbose output.
    #[arg(short = 'v')]
    pub verbose: bool,

    /// With --list: print field names only.
    #[arg(short = 'N')]
    pub names_only: bool,

    /// With --list: print Markdown.
    #[arg(long = "markdown")]
    pub markdown: bool,

    /// Print support information (version, config, rules files) as JSON and exit.
    #[arg(long = "support")]
    pub support: bool,

    /// Print data buffers in base64 (same as `-o buffer_format_base64=true`).
    #[arg(short = 'b', long = "print-base64")]
    pub print_base64: bool,

    /// Extra output format (`c`/`container`, `k`/`kubernetes`), accepted for compatibility.
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    pub print_format: Option<String>,

    /// Write the process id to this file.
    #[arg(short = 'P', long = "pidfile", value_name = "PID_FILE")]
    pub pidfile: Option<PathBuf>,

    /// Flush every output line (same as `-o buffered_outputs=false`).
    #[arg(short = 'U', long = "unbuffered")]
    pub unbuffered: bool,

    /// Use the modern eBPF probe (Falco 0.35; same as `-o engine.kind=modern_ebpf`).
    #[arg(long = "modern-bpf")]
    pub modern_bpf: bool,

    /// Run without a syscall driver (Falco 0.35; same as `-o engine.kind=nodriver`).
    #[arg(long = "nodriver")]
    pub nodriver: bool,

    /// Print the system page size and exit.
    #[arg(long = "page-size")]
    pub page_size: bool,

    /// Print the JSON schema of the configuration and exit.
    #[arg(long = "config-schema")]
    pub config_schema: bool,

    /// Print the JSON schema of rules files and exit.
    #[arg(long = "rule-schema")]
    pub rule_schema: bool,
}

#[derive(Debug, Clone, Subcommand, PartialEq)]
pub enum Command {
    /// Work with plugin libraries.
    #[command(subcommand)]
    Plugins(PluginsCommand),
}

#[derive(Debug, Clone, Subcommand, PartialEq)]
pub enum PluginsCommand {
    /// Print a plugin's embedded manifest (name, version, capabilities, fields) without running it.
    Inspect(InspectArgs),
}

#[derive(Debug, Clone, Args, PartialEq)]
pub struct InspectArgs {
    /// The plugin library (`libfoo.so`).
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl Cli {
    /// Checks the combinations Falco rejects, with Falco's messages.
    pub fn validate(&self) -> Result<(), CliError> {
        if (!self.disabled_rule_substrings.is_empty() || !self.disabled_tags.is_empty())
            && !self.enabled_tags.is_empty()
        {
            return Err(CliError::DisabledAndEnabledRules);
        }
        if !self.enable_sources.is_empty() && !self.disable_sources.is_empty() {
            return Err(CliError::MixedSourceSelection);
        }
        let origins = [self.capture_file.is_some(), self.modern_bpf, self.nodriver];
        if origins.iter().filter(|&&set| set).count() > 1 {
            return Err(CliError::SeveralEventOrigins);
        }
        if self.record_file.is_some() && self.capture_file.is_some() {
            return Err(CliError::CaptureWithReplay);
        }
        if self.list_fields.is_none() {
            if self.names_only {
                return Err(CliError::NeedsList { flag: "-N" });
            }
            if self.markdown && !self.list_events {
                return Err(CliError::NeedsList { flag: "--markdown" });
            }
        }
        Ok(())
    }

    /// The configuration file to load: `-c`, else the first of [`DEFAULT_CONFIG_FILES`] that
    /// exists, else none (built-in defaults, as Falco when it finds no file).
    pub fn config_file(&self) -> Option<PathBuf> {
        match &self.config {
            Some(path) => Some(path.clone()),
            None => DEFAULT_CONFIG_FILES.iter().map(PathBuf::from).find(|p| p.is_file()),
        }
    }

    /// The rules files to load: `-r` replaces the configuration's `rules_files` (as Falco).
    pub fn rules_files(&self, config: &Config) -> Vec<PathBuf> {
        if self.rules_files.is_empty() {
            config.rules_files.clone()
        } else {
            self.rules_files.clone()
        }
    }

    /// The configuration overrides this command line stands for, in order: those implied by
    /// legacy flags (`-e`, `--capture`, `-A`, `-U`, `-b`, `--modern-bpf`, `--nodriver`) first, then every
    /// `-o`, so an explicit `-o` wins.
    pub fn config_overrides(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(file) = &self.capture_file {
            out.push("engine.kind=replay".to_string());
            out.push(format!("engine.replay.capture_file={}", file.display()));
        }
        if self.modern_bpf {
            out.push("engine.kind=modern_ebpf".to_string());
        }
        if self.nodriver {
            out.push("engine.kind=nodriver".to_string());
        }
        if let Some(file) = &self.record_file {
            out.push(format!("capture_file={}", file.display()));
        }
        if self.all_events {
            out.push("base_syscalls.all=true".to_string());
        }
        if self.unbuffered {
            out.push("buffered_outputs=false".to_string());
        }
        if self.print_base64 {
            out.push("buffer_format_base64=true".to_string());
        }
        out.extend(self.options.iter().cloned());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("saker").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn the_conformance_command_line_parses() {
        let cli = parse(&[
            "-V",
            "rules/a.yaml",
            "-r",
            "rules/a.yaml",
            "-r",
            "rules/b.yaml",
            "-D",
            "rule x",
            "-c",
            "../falco.yaml",
            "-e",
            "trace_files/cat_write.scap",
            "-o",
            "json_output=True",
            "-o",
            "priority=debug",
            "-v",
            "--enable-source=k8s_audit",
            "--enable-source",
            "syscall",
            "-o",
            "plugins[0].open_params=x.json",
            "-T",
            "tag",
            "-M",
            "5",
            "-A",
        ]);
        assert_eq!(cli.validate, vec![PathBuf::from("rules/a.yaml")]);
        assert_eq!(cli.rules_files.len(), 2);
        assert_eq!(cli.disabled_rule_substrings, vec!["rule x"]);
        assert_eq!(cli.enable_sources, vec!["k8s_audit", "syscall"]);
        assert_eq!(cli.duration_seconds, Some(5));
        assert!(cli.all_events && cli.verbose);
        assert_eq!(
            cli.config_overrides(),
            vec![
                "engine.kind=replay",
                "engine.replay.capture_file=trace_files/cat_write.scap",
                "base_syscalls.all=true",
                "json_output=True",
                "priority=debug",
                "plugins[0].open_params=x.json",
            ]
        );
        assert_eq!(cli.validate(), Ok(()));
        assert_eq!(cli.config_file(), Some(PathBuf::from("../falco.yaml")));
        let (config, _) = Config::load(None, &["rules_files=[/etc/x.yaml]".to_string()]).unwrap();
        assert_eq!(
            cli.rules_files(&config),
            [PathBuf::from("rules/a.yaml"), PathBuf::from("rules/b.yaml")]
        );
        assert_eq!(parse(&[]).rules_files(&config), [PathBuf::from("/etc/x.yaml")]);
    }

    #[test]
    fn list_takes_an_optional_source() {
        assert_eq!(parse(&["--list"]).list_fields.as_deref(), Some(""));
        assert_eq!(parse(&["--list", "-N"]).list_fields.as_deref(), Some(""));
        assert_eq!(parse(&["--list=syscall"]).list_fields.as_deref(), Some("syscall"));
        assert_eq!(
            parse(&["--list", "k8s_audit"]).list_fields.as_deref(),
            Some("k8s_audit")
        );
        assert_eq!(parse(&["--list-plugins"]).list_fields, None);
        assert!(parse(&["--list-plugins"]).list_plugins);
    }

    #[test]
    fn falco_rejections_keep_falco_texts() {
        let err = parse(&["-D", "x", "-t", "y"]).validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "You can not specify both disabled (-D/-T) and enabled (-t) rules"
        );
        assert_eq!(
            parse(&["-T", "x", "-t", "y"]).validate(),
            Err(CliError::DisabledAndEnabledRules)
        );
        assert_eq!(
            parse(&["--enable-source=a", "--disable-source=b"]).validate(),
            Err(CliError::MixedSourceSelection)
        );
        assert_eq!(parse(&["-N"]).validate(), Err(CliError::NeedsList { flag: "-N" }));
        assert_eq!(
            parse(&["--capture", "out.scap", "-e", "in.scap"]).validate(),
            Err(CliError::CaptureWithReplay)
        );
        assert!(Cli::try_parse_from(["saker", "-M", "abc"]).is_err());
    }

    #[test]
    fn plugins_inspect_subcommand() {
        let cli = parse(&["plugins", "inspect", "libjson.so", "--json"]);
        assert_eq!(
            cli.command,
            Some(Command::Plugins(PluginsCommand::Inspect(InspectArgs {
                file: PathBuf::from("libjson.so"),
                json: true
            })))
        );
    }
}
