//! `anml series list|profile`: the registered time series, and the matrix
//! profile of one series (a registered one or a .npy/CSV file). The
//! time-series suites are ordinary sweeps (`anml benchmark --suite nab|ucr`).

use super::Outcome;
use super::args::{GlobalOpts, ListArgs, ProfileArgs, SeriesCommand};
use super::common::{print_json, registry, styled_table};
use crate::bench::BenchError;
use crate::data::series_catalog::{SERIES, SERIES_NAMING_RULE};
use crate::data::{DataError, formats};
use crate::detectors::{DetectorError, matrix_profile};
use crate::error::Error;
use crate::results::ResultError;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

pub fn series(g: &GlobalOpts, c: &SeriesCommand) -> Result<Outcome, Error> {
    match c {
        SeriesCommand::List(a) => list(g, a),
        SeriesCommand::Profile(a) => profile(g, a),
    }
}

fn list(g: &GlobalOpts, a: &ListArgs) -> Result<Outcome, Error> {
    let reg = registry(g)?;
    if a.json {
        let rows: Vec<Value> = SERIES
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "collection": s.collection.name(),
                    "n_points": s.n_points,
                    "n_channels": s.n_channels,
                    "n_anomalous_points": s.n_anomalous_points,
                    "files": s.layout.files().iter().map(|f| json!({"path": f.path, "sha256": f.sha256, "url": f.url})).collect::<Vec<_>>(),
                    "cached": s.layout.files().iter().all(|f| std::fs::metadata(reg.cache_path(f)).is_ok_and(|m| m.len() == f.bytes)),
                    "description": s.description,
                })
            })
            .collect();
        return print_json(&rows);
    }
    let mut t = styled_table(vec![
        "name",
        "points",
        "channels",
        "anomalous",
        "description",
    ]);
    for s in SERIES {
        t.add_row(vec![
            s.name.to_string(),
            s.n_points.to_string(),
            s.n_channels.to_string(),
            s.n_anomalous_points.to_string(),
            s.description.to_string(),
        ]);
    }
    println!("{t}");
    println!("{SERIES_NAMING_RULE}");
    Ok(Outcome::Success)
}

/// Read a univariate series from a .npy (1-D, or n × 1) or CSV file.
fn read_values(path: &Path) -> Result<Vec<f64>, Error> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        let bad = |e: String| DataError::Format {
            path: path.to_path_buf(),
            format: "NPY",
            message: e,
        };
        // The checked reader (sizes verified before allocating); any
        // numeric dtype is widened to f64.
        let a = formats::npy::read(&bytes, path, "series")?;
        if a.ndim() == 1 {
            return Ok(a.iter().copied().collect());
        }
        let a = a
            .into_dimensionality::<ndarray::Ix2>()
            .map_err(|e| bad(format!("expected a 1-D or n × 1 float64 array: {e}")))?;
        if a.ncols() != 1 {
            return Err(bad(format!(
                "array is {} × {}; expected one column",
                a.nrows(),
                a.ncols()
            ))
            .into());
        }
        return Ok(a.column(0).to_vec());
    }
    let parts = formats::series::read_csv(&bytes, path, &path.display().to_string())?;
    Ok(parts.values.column(0).to_vec())
}

fn profile(g: &GlobalOpts, a: &ProfileArgs) -> Result<Outcome, Error> {
    if a.repeat == 0 {
        return Err(BenchError::flag("--repeat", "must be at least 1").into());
    }
    let (name, values) = match (&a.input, &a.series) {
        (Some(p), _) => (p.display().to_string(), read_values(p)?),
        (None, Some(s)) => {
            let ts = registry(g)?.load_series(s)?;
            let v = ts.univariate()?.to_vec();
            (ts.name, v)
        }
        (None, None) => unreachable!("clap requires --input or --series"),
    };
    let mut seconds = Vec::with_capacity(a.repeat);
    let mut mp = None;
    for _ in 0..a.repeat {
        let t0 = Instant::now();
        let r = matrix_profile::self_join(&values, a.m).map_err(DetectorError::from)?;
        seconds.push(t0.elapsed().as_secs_f64());
        mp = Some(r);
    }
    let Some(mp) = mp else {
        unreachable!("repeat >= 1")
    };
    let top =
        matrix_profile::discords(&mp, a.discords.max(1), None).map_err(DetectorError::from)?;
    if let Some(out) = &a.output {
        use ndarray_npy::WriteNpyExt;
        let mut buf = Vec::new();
        ndarray::Array1::from(mp.profile.clone())
            .write_npy(&mut buf)
            .map_err(|e| BenchError::Encode {
                what: "the profile",
                message: e.to_string(),
            })?;
        crate::atomic_file::write(out, &buf).map_err(|source| ResultError::Io {
            path: out.clone(),
            source,
        })?;
    }
    if a.json {
        let v = json!({
            "series": name,
            "n": values.len(),
            "m": a.m,
            "threads": rayon::current_num_threads(),
            "seconds": seconds,
            "discords": top.iter().map(|d| json!({"index": d.index, "distance": d.distance})).collect::<Vec<_>>(),
        });
        println!("{v}");
        return Ok(Outcome::Success);
    }
    let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{name}: n = {}, m = {}, {} subsequences, {:.3} s (best of {}) on {} threads",
        values.len(),
        a.m,
        mp.profile.len(),
        best,
        a.repeat,
        rayon::current_num_threads()
    );
    let mut t = styled_table(vec!["rank", "index", "distance"]);
    for (i, d) in top.iter().enumerate() {
        t.add_row(vec![
            (i + 1).to_string(),
            d.index.to_string(),
            format!("{:.6}", d.distance),
        ]);
    }
    println!("{t}");
    Ok(Outcome::Success)
}
