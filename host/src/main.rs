fn main() {
    eprintln!("saker: not yet wired");
    std::process::exit(1);
}
