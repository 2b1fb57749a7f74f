//! The `rc-conform` binary: the command line lives in the library ([`rc_conform::cli`]).

fn main() -> std::process::ExitCode {
    rc_conform::cli::main()
}
