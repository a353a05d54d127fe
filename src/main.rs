//! The `ctmigrate` binary: everything happens in [`ctmigrate::run`].

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(ctmigrate::run(std::env::args_os()))
}
