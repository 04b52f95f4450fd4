//! The script-facing API: thin functions that convert between Rhai values
//! and library types, call the library, and map errors. One file per domain;
//! `register` is the one registration point, and the function metadata it
//! produces (names, signatures, doc comments with examples) drives `:help`,
//! completion and the docs-as-tests run.

mod arrays;
mod compare;
mod convert;
mod datasets;
mod detectors;
mod drift;
mod explain;
mod matrix;
mod metrics;
mod plots;
mod registry;
mod results;
mod series;
mod sweeps;
mod tables;
mod thresholds;

use super::types::{
    DatasetRef, Labels, Matrix, ProfileRef, ResultRef, Runs, SeriesRef, SplitRef, Table, Vector,
};
use crate::detectors::{Detector, FittedDetector};
use rhai::{Engine, exported_module};

/// Register every script-facing type and function on `engine`.
pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Matrix>("Matrix")
        .register_type_with_name::<Vector>("Vector")
        .register_type_with_name::<Labels>("Labels")
        .register_type_with_name::<DatasetRef>("Dataset")
        .register_type_with_name::<SplitRef>("Split")
        .register_type_with_name::<Detector>("Detector")
        .register_type_with_name::<FittedDetector>("FittedDetector")
        .register_type_with_name::<ResultRef>("RunResult")
        .register_type_with_name::<Table>("Table")
        .register_type_with_name::<Runs>("Runs")
        .register_type_with_name::<SeriesRef>("TimeSeries")
        .register_type_with_name::<ProfileRef>("MatrixProfile")
        .register_type_with_name::<crate::plot::Plot>("Plot")
        .register_type_with_name::<crate::compare::Comparison>("Comparison");
    for module in [
        exported_module!(arrays::arrays_api),
        exported_module!(datasets::datasets_api),
        exported_module!(matrix::matrix_api),
        exported_module!(detectors::detectors_api),
        exported_module!(drift::drift_api),
        exported_module!(explain::explain_api),
        exported_module!(metrics::metrics_api),
        exported_module!(results::results_api),
        exported_module!(sweeps::sweeps_api),
        exported_module!(series::series_api),
        exported_module!(plots::plots_api),
        exported_module!(registry::registry_api),
        exported_module!(tables::tables_api),
        exported_module!(thresholds::thresholds_api),
        exported_module!(compare::compare_api),
    ] {
        engine.register_global_module(module.into());
    }
    results::register_metric_getters(engine);
    thresholds::register_threshold_fns(engine);
}
