//! The `tapin` binary: everything lives in the library's command line.

fn main() -> std::process::ExitCode {
    tapin_server::cli::main()
}
