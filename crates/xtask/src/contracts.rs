//! Compiles the Scarb package in `contracts/` with the pinned compiler, without Scarb.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use cairo_lang_compiler::db::{validate_corelib, RootDatabase};
use cairo_lang_compiler::diagnostics::DiagnosticsReporter;
use cairo_lang_compiler::project::{
    get_main_crate_ids_from_project, update_crate_roots_from_project_config, ProjectConfig,
    ProjectConfigContent,
};
use cairo_lang_compiler::CompilerConfig;
use cairo_lang_defs::ids::NamedLanguageElementId;
use cairo_lang_filesystem::db::init_dev_corelib;
use cairo_lang_filesystem::ids::CrateInput;
use cairo_lang_lowering::optimizations::config::Optimizations;
use cairo_lang_lowering::utils::InliningStrategy;
use cairo_lang_starknet::compile::compile_prepared_db;
use cairo_lang_starknet::contract::find_contracts;
use cairo_lang_starknet::starknet_plugin_suite;
use cairo_lang_starknet_classes::allowed_libfuncs::ListSelector;
use cairo_lang_starknet_classes::casm_contract_class::CasmContractClass;
use cairo_lang_starknet_classes::contract_class::ContractClass;
use serde::Serialize;

use crate::corelib::CAIRO_VERSION;

/// The Scarb package being compiled: its name, edition and source folder.
pub struct CairoPackage {
    /// Package name from `Scarb.toml`; also the Cairo crate name.
    pub name: String,
    /// Cairo edition from `Scarb.toml`.
    pub edition: String,
    /// The package folder (holding `Scarb.toml`).
    pub dir: PathBuf,
}

impl CairoPackage {
    /// Reads the package description from `<dir>/Scarb.toml`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("Scarb.toml");
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let manifest: toml::Table =
            toml::from_str(&text).with_context(|| format!("invalid TOML in {}", path.display()))?;
        let field = |name: &str| {
            manifest
                .get("package")
                .and_then(|package| package.get(name))
                .and_then(|value| value.as_str())
                .map(str::to_owned)
                .with_context(|| format!("{} has no [package] {name}", path.display()))
        };
        Ok(Self { name: field("name")?, edition: field("edition")?, dir: dir.to_owned() })
    }

    /// The Cairo project description the compiler understands (Scarb's `cairo_project.toml` equivalent).
    pub fn project_config(&self) -> Result<ProjectConfig> {
        let content: ProjectConfigContent = toml::from_str(&format!(
            "[crate_roots]\n{} = {:?}\n\n[config.global]\nedition = {:?}\n",
            self.name,
            self.dir.join("src"),
            self.edition
        ))?;
        Ok(ProjectConfig { base_path: self.dir.clone(), content })
    }
}

/// One compiled contract: its artifacts (file name → bytes) and hashes.
pub struct CompiledContract {
    /// The contract module's name, e.g. `SessionAccount`.
    pub name: String,
    /// Sierra contract class JSON.
    pub sierra_json: String,
    /// CASM compiled contract class JSON.
    pub casm_json: String,
    /// The Sierra class hash.
    pub class_hash: starknet::core::types::Felt,
    /// The Blake2s compiled class hash (what a declare v3 carries).
    pub compiled_class_hash: starknet::core::types::Felt,
}

/// Compiles every `#[starknet::contract]` of the package; compiler warnings are errors.
pub fn compile(package: &CairoPackage, corelib: &Path) -> Result<Vec<CompiledContract>> {
    let mut db = RootDatabase::builder()
        .with_optimizations(Optimizations::enabled_with_default_movable_functions(InliningStrategy::Default))
        .with_default_plugin_suite(starknet_plugin_suite())
        .build()?;
    init_dev_corelib(&mut db, corelib.join("src"));
    validate_corelib(&db)?;
    let config = package.project_config()?;
    let main_crate_inputs: Vec<CrateInput> = get_main_crate_ids_from_project(&db, &config)
        .into_iter()
        .map(|id| id.long(&db).clone().into_crate_input(&db))
        .collect();
    update_crate_roots_from_project_config(&mut db, &config);
    let main_crate_ids = CrateInput::into_crate_ids(&db, main_crate_inputs.clone());

    let declarations = find_contracts(&db, &main_crate_ids);
    if declarations.is_empty() {
        bail!("no #[starknet::contract] found in {}", package.dir.display());
    }
    let names: Vec<String> = declarations.iter().map(|d| d.submodule_id.name(&db).to_string(&db)).collect();
    let compiler_config = CompilerConfig {
        diagnostics_reporter: DiagnosticsReporter::stderr().with_crates(&main_crate_inputs),
        replace_ids: true,
        ..CompilerConfig::default()
    };
    let classes = compile_prepared_db(&db, &declarations.iter().collect::<Vec<_>>(), compiler_config)
        .context("Cairo compilation failed (warnings count as errors)")?;
    names.into_iter().zip(classes).map(|(name, class)| finish(name, class)).collect()
}

fn finish(name: String, class: ContractClass) -> Result<CompiledContract> {
    let program = class.extract_sierra_program(false)?;
    program
        .validate_version_compatible(ListSelector::DefaultList)
        .with_context(|| format!("{name} uses a libfunc Starknet does not allow"))?;
    let casm = CasmContractClass::from_contract_class(class.clone(), program, false, usize::MAX)
        .with_context(|| format!("Sierra to CASM compilation of {name} failed"))?;
    let compiled_class_hash =
        starknet::core::types::Felt::from_bytes_be(&casm.compiled_class_hash().to_bytes_be());
    let sierra_json = to_json(&class)?;
    let casm_json = to_json(&casm)?;
    let sierra: starknet::core::types::contract::SierraClass = serde_json::from_str(&sierra_json)?;
    let class_hash = sierra.class_hash().with_context(|| format!("class hash of {name}"))?;
    Ok(CompiledContract { name, sierra_json, casm_json, class_hash, compiled_class_hash })
}

fn to_json(value: &impl Serialize) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// The artifact files of a compile: file name → content, manifest included.
pub fn artifact_files(
    package: &CairoPackage,
    contracts: &[CompiledContract],
) -> Result<BTreeMap<String, String>> {
    #[derive(Serialize)]
    struct ManifestEntry<'a> {
        name: &'a str,
        sierra: String,
        casm: String,
        class_hash: String,
        compiled_class_hash: String,
    }
    #[derive(Serialize)]
    struct Manifest<'a> {
        cairo_version: &'a str,
        package: &'a str,
        contracts: Vec<ManifestEntry<'a>>,
    }
    let mut files = BTreeMap::new();
    let mut entries = Vec::new();
    for contract in contracts {
        let stem = format!("{}_{}", package.name, contract.name);
        let sierra = format!("{stem}.contract_class.json");
        let casm = format!("{stem}.compiled_contract_class.json");
        files.insert(sierra.clone(), contract.sierra_json.clone());
        files.insert(casm.clone(), contract.casm_json.clone());
        entries.push(ManifestEntry {
            name: &contract.name,
            sierra,
            casm,
            class_hash: format!("{:#066x}", contract.class_hash),
            compiled_class_hash: format!("{:#066x}", contract.compiled_class_hash),
        });
    }
    let manifest = Manifest { cairo_version: CAIRO_VERSION, package: &package.name, contracts: entries };
    files.insert(MANIFEST_FILE.to_owned(), to_json(&manifest)?);
    Ok(files)
}

/// Name of the artifact index listing each contract's files and hashes.
pub const MANIFEST_FILE: &str = "manifest.json";
