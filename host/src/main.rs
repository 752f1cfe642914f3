use clap::Parser;

fn main() -> std::process::ExitCode {
    saker::app::main(saker::cli::Cli::parse())
}
