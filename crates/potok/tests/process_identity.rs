mod support; fn main() -> std::process::ExitCode { support::run([]) }
