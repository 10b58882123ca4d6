//! `local-devnet install`: installs the pinned starknet-devnet into the cache folder if missing
//! and prints its path. (`stark-session devnet start` runs it.)

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args != ["install"] {
        eprintln!("usage: local-devnet install");
        return ExitCode::from(2);
    }
    match local_devnet::ensure_installed() {
        Ok(path) => {
            println!("starknet-devnet {} at {}", local_devnet::DEVNET_VERSION, path.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
