//! Every registered time series loads from the mirror with its registered
//! shape, labels land where the sources put them, and a tampered file is
//! refused.

mod common;

use anml::data::series_catalog::{SERIES, SeriesCollection, find_series};
use anml::data::{DataError, DatasetRegistry, Training};

fn registry(cache: &std::path::Path) -> DatasetRegistry {
    DatasetRegistry::new(cache.to_path_buf())
        .with_mirror(Some(common::mirror()))
        .with_download(false)
}

#[test]
fn every_registered_series_loads_with_its_registered_shape() {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry(dir.path());
    for spec in SERIES {
        let s = reg
            .load_series_spec(spec)
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        assert_eq!(s.len(), spec.n_points, "{}", spec.name);
        assert_eq!(s.sha256.len(), 64);
    }
}

#[test]
fn ucr_135_has_its_prefix_and_its_one_anomaly() {
    let dir = tempfile::tempdir().unwrap();
    let s = registry(dir.path())
        .load_series("ucr/135_InternalBleeding16")
        .unwrap();
    assert_eq!(s.training, Training::Prefix(1200));
    assert_eq!(s.ranges(), vec![(4187, 4198)]);
    assert_eq!(s.univariate().unwrap()[0], 63.73215);
}

#[test]
fn nab_windows_become_point_labels() {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry(dir.path());
    // nyc_taxi: 5 windows in combined_windows.json.
    let s = reg.load_series("nab/realKnownCause/nyc_taxi").unwrap();
    assert_eq!(s.ranges().len(), 5);
    let ts = s.timestamps.as_ref().unwrap();
    let (start, end) = s.ranges()[0];
    assert_eq!(ts[start], "2014-10-30 15:30:00");
    assert_eq!(ts[end], "2014-11-03 22:30:00");
    let none = reg
        .load_series("nab/artificialNoAnomaly/art_daily_no_noise")
        .unwrap();
    assert!(none.ranges().is_empty());
    assert_eq!(
        SERIES
            .iter()
            .filter(|s| s.collection == SeriesCollection::Nab)
            .count(),
        58
    );
}

#[test]
fn a_tampered_series_file_is_refused_and_unknown_names_get_a_hint() {
    let mirror = tempfile::tempdir().unwrap();
    let spec = find_series("ucr/135_InternalBleeding16").unwrap();
    for f in spec.layout.files() {
        let src = common::mirror().join(f.path);
        let dst = mirror.path().join(f.path);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        let mut bytes = std::fs::read(&src).unwrap();
        if f.path.ends_with("TRAIN.csv") {
            bytes[40] ^= 1;
        }
        std::fs::write(&dst, bytes).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let reg = DatasetRegistry::new(cache.path().to_path_buf())
        .with_mirror(Some(mirror.path().to_path_buf()))
        .with_download(false);
    let e = reg.load_series(spec.name).unwrap_err();
    assert!(matches!(e, DataError::Hash(_)), "{e}");
    let e = reg.load_series("ucr/135_internal").unwrap_err().to_string();
    assert!(e.contains("unknown dataset"), "{e}");
    let e = reg.load_series("nab/nyc_taxi").unwrap_err().to_string();
    assert!(e.contains("nab/realKnownCause/nyc_taxi"), "{e}");
}
