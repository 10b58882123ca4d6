//! Runs the `#[test]` functions of the Cairo package with the cairo-lang test runner.

use std::path::Path;

use anyhow::{Context, Result};
use cairo_lang_compiler::db::{validate_corelib, RootDatabase};
use cairo_lang_compiler::project::{get_main_crate_ids_from_project, update_crate_roots_from_project_config};
use cairo_lang_filesystem::cfg::{Cfg, CfgSet};
use cairo_lang_filesystem::db::init_dev_corelib;
use cairo_lang_filesystem::ids::CrateInput;
use cairo_lang_lowering::optimizations::config::Optimizations;
use cairo_lang_lowering::utils::InliningStrategy;
use cairo_lang_starknet::starknet_plugin_suite;
use cairo_lang_test_plugin::{test_plugin_suite, TestsCompilationConfig};
use cairo_lang_test_runner::{CompiledTestRunner, TestCompiler, TestRunConfig};

use crate::contracts::CairoPackage;

/// Compiles the package's tests (warnings are errors) and runs those whose name contains `filter`;
/// with `resources`, prints what each test used (steps, builtins, syscalls).
///
/// Returns an error when compilation fails or any test fails.
pub fn run(package: &CairoPackage, corelib: &Path, filter: &str, resources: bool) -> Result<()> {
    // Const folding off for the tests only: with it, the Cairo 2.16 optimizer specializes test
    // helpers for constant `Passkey` arguments and then emits `dup<Passkey>` (not duplicable),
    // panicking the compiler. The deployed class (`cargo xtask build`) keeps every optimization,
    // and the end-to-end tests run that class on devnet.
    let Optimizations::Enabled(optimizations) =
        Optimizations::enabled_with_default_movable_functions(InliningStrategy::Default)
    else {
        unreachable!("enabled optimizations")
    };
    let mut db = RootDatabase::builder()
        .with_optimizations(Optimizations::Enabled(optimizations.with_skip_const_folding(true)))
        .with_cfg(CfgSet::from_iter([Cfg::name("test"), Cfg::kv("target", "test")]))
        .with_default_plugin_suite(test_plugin_suite())
        .with_default_plugin_suite(starknet_plugin_suite())
        .build()?;
    init_dev_corelib(&mut db, corelib.join("src"));
    validate_corelib(&db)?;
    let config = package.project_config()?;
    let crate_inputs: Vec<CrateInput> = get_main_crate_ids_from_project(&db, &config)
        .into_iter()
        .map(|id| id.long(&db).clone().into_crate_input(&db))
        .collect();
    update_crate_roots_from_project_config(&mut db, &config);

    let compiler = TestCompiler {
        db,
        main_crate_ids: crate_inputs.clone(),
        test_crate_ids: crate_inputs,
        allow_warnings: false,
        config: TestsCompilationConfig {
            starknet: true,
            contract_declarations: None,
            contract_crate_ids: None,
            executable_crate_ids: None,
            add_statements_functions: false,
            add_statements_code_locations: false,
            add_functions_debug_info: false,
            replace_ids: false,
        },
    };
    let compiled = compiler.build().context("compiling the Cairo tests failed (warnings count as errors)")?;
    let run_config = TestRunConfig {
        filter: filter.to_owned(),
        include_ignored: false,
        ignored: false,
        profiler_config: None,
        gas_enabled: true,
        print_resource_usage: resources,
    };
    CompiledTestRunner::new(compiled, run_config).run(Some(&compiler.db))?;
    Ok(())
}
