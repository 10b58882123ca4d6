//! `SECURITY.md` names, for every attack, the tests that show it rejected. This checks that each
//! test it names exists (as a Cairo or Rust `fn`), so a renamed or deleted test cannot leave the
//! matrix pointing at nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the repository").to_owned()
}

/// Every `fn name` in the `.rs` and `.cairo` files under `dir`.
fn functions_under(dir: &Path, names: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let file_name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        if path.is_dir() {
            if !matches!(file_name, "target" | "node_modules" | "artifacts" | ".git") {
                functions_under(&path, names);
            }
        } else if file_name.ends_with(".rs") || file_name.ends_with(".cairo") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for rest in text.split("fn ").skip(1) {
                let name: String =
                    rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                names.insert(name);
            }
        }
    }
}

/// The backticked test names of the "Tests" column of the attack matrix.
fn named_tests(security: &str) -> Vec<String> {
    let matrix = security.split("## Attack matrix").nth(1).expect("an attack matrix section");
    let matrix = matrix.split("\n## ").next().unwrap_or_default();
    let mut names = Vec::new();
    for row in matrix.lines().filter(|line| line.starts_with("| ") && !line.starts_with("| #")) {
        let tests = row.trim_end_matches('|').rsplit('|').next().unwrap_or_default();
        for quoted in tests.split('`').skip(1).step_by(2) {
            let test_like = quoted.contains('_')
                && quoted.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if test_like {
                names.push(quoted.to_owned());
            }
        }
    }
    names
}

#[test]
fn every_test_the_attack_matrix_names_exists() {
    let root = repo();
    let security = std::fs::read_to_string(root.join("SECURITY.md")).expect("SECURITY.md");
    let mut functions = BTreeSet::new();
    for dir in ["contracts/src", "crates", "tests"] {
        functions_under(&root.join(dir), &mut functions);
    }
    let named = named_tests(&security);
    assert!(named.len() > 100, "the matrix names {} tests: is the table still parsed?", named.len());
    let missing: Vec<&String> = named.iter().filter(|name| !functions.contains(*name)).collect();
    assert!(missing.is_empty(), "SECURITY.md names tests that do not exist: {missing:?}");
}
