//! The `tapin` binary: everything lives in the library's command line.

/// mimalloc rather than the system allocator: a request makes many small,
/// short-lived allocations across two worker threads, and glibc's arenas
/// spent a tenth of an authenticated GET in malloc and free (`cargo xtask
/// bench`: see the table's PostgreSQL and SQLite rows).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tapin_server::cli::main()
}
