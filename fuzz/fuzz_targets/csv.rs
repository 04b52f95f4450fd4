//! CSV tables, labelled datasets and time-series CSVs (NAB windows too).
#![no_main]
use anml::data::catalog::Format;
use anml::data::formats;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.csv");
    let _ = formats::csv::read(data, p);
    let _ = formats::parse(Format::Csv, data, p, "fuzz");
    let _ = formats::series::read_csv(data, p, "fuzz");
    let windows = [(
        "2014-01-01 00:00:00".to_string(),
        "2014-01-02 00:00:00.000000".to_string(),
    )];
    let _ = formats::series::read_nab(data, p, &windows);
});
