//! Obtains the Cairo corelib matching the pinned compiler.
//!
//! The cairo-lang crates on crates.io do not ship the corelib. The crates.io package `cairo-native`
//! at the exact version below carries the matching one in its `corelib/` folder; we let cargo
//! download that package (without building it) and use the folder from cargo's registry cache.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use local_devnet::cache_dir;

/// The Cairo version of the compiler crates and of the corelib.
pub const CAIRO_VERSION: &str = "2.16.0";
/// The crates.io package (and exact version) whose `corelib/` folder is the corelib for [`CAIRO_VERSION`].
const CORELIB_CARRIER: (&str, &str) = ("cairo-native", "=0.9.0-rc.2");

/// Returns the corelib root (the folder holding `Scarb.toml` and `src/`), downloading it if needed.
pub fn corelib_root() -> Result<PathBuf> {
    let manifest = write_fetch_manifest()?;
    let metadata = cargo_metadata(&manifest, true).or_else(|offline_error| {
        cargo_metadata(&manifest, false).with_context(|| format!("offline attempt: {offline_error:#}"))
    });
    let metadata = metadata.with_context(|| {
        format!(
            "could not obtain the Cairo {CAIRO_VERSION} corelib: it ships inside the crates.io package \
             {} {}, which cargo failed to download (is crates.io reachable?)",
            CORELIB_CARRIER.0, CORELIB_CARRIER.1
        )
    })?;
    let package_manifest = metadata["packages"]
        .as_array()
        .and_then(|packages| {
            packages.iter().find(|p| p["name"] == CORELIB_CARRIER.0)?["manifest_path"].as_str()
        })
        .with_context(|| format!("cargo metadata lists no package {}", CORELIB_CARRIER.0))?;
    let root = Path::new(package_manifest)
        .parent()
        .context("package manifest has no parent folder")?
        .join("corelib");
    check_corelib_version(&root)?;
    Ok(root)
}

fn write_fetch_manifest() -> Result<PathBuf> {
    let dir = cache_dir().join("corelib-fetch");
    std::fs::create_dir_all(dir.join("src")).with_context(|| format!("cannot create {}", dir.display()))?;
    let manifest = dir.join("Cargo.toml");
    let content = format!(
        "# Written by `cargo xtask`: lets cargo download the package carrying the Cairo corelib.\n\
         [package]\nname = \"corelib-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
         [workspace]\n\n[dependencies]\n{} = {{ version = \"{}\", default-features = false }}\n",
        CORELIB_CARRIER.0, CORELIB_CARRIER.1
    );
    std::fs::write(&manifest, content)?;
    std::fs::write(dir.join("src/lib.rs"), "")?;
    Ok(manifest)
}

fn cargo_metadata(manifest: &Path, offline: bool) -> Result<serde_json::Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["metadata", "--format-version", "1", "--manifest-path"]).arg(manifest);
    if offline {
        command.arg("--offline");
    }
    let output = command.output().context("cannot run cargo")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    serde_json::from_slice(&output.stdout).context("cargo metadata printed invalid JSON")
}

fn check_corelib_version(root: &Path) -> Result<()> {
    let scarb_toml = root.join("Scarb.toml");
    let text = std::fs::read_to_string(&scarb_toml).with_context(|| {
        format!("{} has no corelib (missing {})", CORELIB_CARRIER.0, scarb_toml.display())
    })?;
    let manifest: toml::Table = toml::from_str(&text)?;
    let version = manifest
        .get("package")
        .and_then(|package| package.get("version"))
        .and_then(|version| version.as_str())
        .unwrap_or("<none>");
    if version != CAIRO_VERSION {
        bail!("corelib at {} is version {version}, expected {CAIRO_VERSION}", root.display());
    }
    Ok(())
}
