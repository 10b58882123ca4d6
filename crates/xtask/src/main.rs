//! `cargo xtask`: the project's pinned Cairo toolchain and local-chain installer.
//!
//! - `cargo xtask build` compiles `contracts/` and writes the committed artifacts;
//!   `cargo xtask build --check` fails when the committed artifacts differ from a fresh compile.
//! - `cargo xtask test [FILTER]` runs the Cairo `#[test]` functions.
//! - `cargo xtask corelib` prints where the pinned corelib is.

mod cairo_tests;
mod contracts;
mod corelib;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use crate::contracts::{artifact_files, CairoPackage};

/// The project's Cairo toolchain (Cairo 2.16.0 compiler crates, no Scarb needed).
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile the contracts and write their Sierra/CASM artifacts (or check them with --check).
    Build {
        /// Do not write: fail if the committed artifacts differ from a fresh compile.
        #[arg(long)]
        check: bool,
    },
    /// Run the Cairo unit tests of the contracts package.
    Test {
        /// Run only tests whose path contains this text.
        #[arg(default_value = "")]
        filter: String,
        /// Print each test's Cairo steps, builtins and syscalls (what a cost change moves).
        #[arg(long)]
        resources: bool,
    },
    /// Print the folder of the pinned Cairo corelib, downloading it if needed.
    Corelib,
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let root = workspace_root();
    match cli.command {
        Command::Build { check } => build(&root, check),
        Command::Test { filter, resources } => {
            let package = CairoPackage::load(&root.join("contracts"))?;
            cairo_tests::run(&package, &corelib::corelib_root()?, &filter, resources)
        }
        Command::Corelib => {
            println!("{}", corelib::corelib_root()?.display());
            Ok(())
        }
    }
}

/// The folder the committed contract artifacts live in.
const ARTIFACTS_DIR: &str = "contracts/artifacts";

fn build(root: &Path, check: bool) -> Result<()> {
    let package = CairoPackage::load(&root.join("contracts"))?;
    let compiled = contracts::compile(&package, &corelib::corelib_root()?)?;
    for contract in &compiled {
        println!(
            "{}\n  class hash:          {:#066x}\n  compiled class hash: {:#066x} (Blake2s)",
            contract.name, contract.class_hash, contract.compiled_class_hash
        );
    }
    let files = artifact_files(&package, &compiled)?;
    let dir = root.join(ARTIFACTS_DIR);
    if check {
        check_artifacts(&dir, &files)
    } else {
        write_artifacts(&dir, &files)
    }
}

fn check_artifacts(dir: &Path, files: &std::collections::BTreeMap<String, String>) -> Result<()> {
    let mut stale = Vec::new();
    for (name, content) in files {
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(content.as_str()) {
            stale.push(name.clone());
        }
    }
    for entry in existing_artifacts(dir)? {
        if !files.contains_key(&entry) {
            stale.push(format!("{entry} (no longer produced)"));
        }
    }
    if !stale.is_empty() {
        bail!(
            "committed artifacts in {} differ from a fresh compile of contracts/src:\n  {}\n\
             run `cargo xtask build` and commit the result",
            dir.display(),
            stale.join("\n  ")
        );
    }
    println!("artifacts in {} match the sources", dir.display());
    Ok(())
}

fn write_artifacts(dir: &Path, files: &std::collections::BTreeMap<String, String>) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for entry in existing_artifacts(dir)? {
        if !files.contains_key(&entry) {
            std::fs::remove_file(dir.join(&entry))?;
        }
    }
    for (name, content) in files {
        std::fs::write(dir.join(name), content)?;
    }
    println!("wrote {} files to {}", files.len(), dir.display());
    Ok(())
}

fn existing_artifacts(dir: &Path) -> Result<Vec<String>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            names.push(name);
        }
    }
    Ok(names)
}

/// The workspace this run is for. `cargo run` sets `CARGO_MANIFEST_DIR` at run time: prefer it to
/// the compile-time value, which points at whichever clone built a binary shared through a common
/// `CARGO_TARGET_DIR`.
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let root = manifest_dir.join("../..");
    root.canonicalize().unwrap_or(root)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn files() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("a.json".to_owned(), "{}\n".to_owned()),
            ("manifest.json".to_owned(), "[]\n".to_owned()),
        ])
    }

    #[test]
    fn check_fails_when_a_committed_artifact_is_edited_missing_or_extra() {
        let dir = std::env::temp_dir().join(format!("xtask-artifacts-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_artifacts(&dir, &files()).unwrap();
        check_artifacts(&dir, &files()).unwrap();

        std::fs::write(dir.join("a.json"), "{\"edited\": true}\n").unwrap();
        let error = check_artifacts(&dir, &files()).unwrap_err().to_string();
        assert!(error.contains("a.json"), "{error}");

        write_artifacts(&dir, &files()).unwrap();
        std::fs::write(dir.join("stale.json"), "{}").unwrap();
        let error = check_artifacts(&dir, &files()).unwrap_err().to_string();
        assert!(error.contains("stale.json (no longer produced)"), "{error}");

        std::fs::remove_file(dir.join("stale.json")).unwrap();
        std::fs::remove_file(dir.join("a.json")).unwrap();
        assert!(check_artifacts(&dir, &files()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
