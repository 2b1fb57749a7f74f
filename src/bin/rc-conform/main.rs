//! The `rc-conform` binary: the command line lives in the library ([`rc_conform::cli`]).

/// mimalloc instead of the system allocator: a run allocates and frees many small strings
/// and JSON values on several threads at once, where glibc's allocator spent a tenth of the
/// process's processor time and grew its per-thread heaps a page range at a time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rc_conform::cli::main()
}
