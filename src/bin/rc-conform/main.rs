//! The `rc-conform` binary: the command line lives in the library ([`rc_conform::cli`]).

use std::io::Write as _;

/// mimalloc instead of the system allocator: a run allocates and frees many small strings
/// and JSON values on several threads at once, where glibc's allocator spent a tenth of the
/// process's processor time and grew its per-thread heaps a page range at a time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let exit = rc_conform::cli::main();
    // Everything the command writes is written: the reports and the ledger are flushed and
    // closed files, the terminal's streams are flushed here. What is left would only be
    // undone: the exit handlers free the heap, and mimalloc sweeps every page of it (about
    // 1.8 ms of every run, after its last byte is written).
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    end(exit.code())
}

/// Ends the process with `code` at once, without the C library's exit handlers.
#[cfg(unix)]
#[allow(unsafe_code)]
fn end(code: u8) -> ! {
    // SAFETY: `_exit` takes no pointers and cannot fail; it ends the process without running
    // exit handlers, which own nothing that must reach disk (the streams are flushed above).
    unsafe { libc::_exit(i32::from(code)) }
}

/// Ends the process with `code`, the portable way.
#[cfg(not(unix))]
fn end(code: u8) -> std::process::ExitCode {
    std::process::ExitCode::from(code)
}
