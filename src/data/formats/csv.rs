//! CSV tables (time-series exports, user data).
//!
//! Why it exists: labelled time series (TimeEval/GutenTAG exports, NAB-style
//! files) and hand-made tables come as CSV. The layout understood here: a
//! header row; a label column named `is_anomaly`, `label`, `y` or `anomaly`
//! (any case); a `timestamp` column, which is ignored; every other column is
//! a numeric feature. A first row whose fields are all numbers is data, not
//! a header (what `numpy.savetxt` writes): its columns are named `col0`,
//! `col1`, … and are all features, so no value is ever dropped as a header.
//! Errors name the line and the column.

use super::format_error;
use crate::data::DataError;
use crate::data::catalog::Format;
use ndarray::Array2;
use std::path::Path;

/// Accepted label-column names (compared case-insensitively).
pub const LABEL_COLUMNS: &[&str] = &["is_anomaly", "label", "y", "anomaly"];
/// Column names that are skipped (compared case-insensitively).
pub const IGNORED_COLUMNS: &[&str] = &["timestamp"];

/// A parsed CSV table.
#[derive(Debug, Clone)]
pub struct CsvTable {
    /// n × d feature matrix (standard layout).
    pub x: Array2<f64>,
    /// Raw label values, if the table has a label column.
    pub y: Option<Vec<f64>>,
    /// Names of the feature columns, in order.
    pub feature_names: Vec<String>,
    /// Every header name, in file order.
    pub columns: Vec<String>,
    /// The `timestamp` column's fields as written, if the table has one.
    pub timestamps: Option<Vec<String>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Feature,
    Label,
    Ignored,
}

/// Parse CSV bytes. A missing label column is not an error here (`y` is
/// `None`); [`super::parse`] requires one for datasets.
pub fn read(bytes: &[u8], origin: &Path) -> Result<CsvTable, DataError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(bytes);
    let mut records = reader.records();

    let header = match records.next() {
        None => return Err(err(origin, "empty file: no header row")),
        Some(r) => r.map_err(|e| csv_error(origin, &e))?,
    };
    // All numbers: a headerless file; the row is data.
    let headerless = header
        .iter()
        .all(|f| !f.is_empty() && f.parse::<f64>().is_ok());
    let columns: Vec<String> = if headerless {
        (0..header.len()).map(|i| format!("col{i}")).collect()
    } else {
        header.iter().map(str::to_string).collect()
    };
    let first_row = headerless.then(|| Ok(header.clone()));
    if columns.iter().all(String::is_empty) {
        return Err(err(origin, "line 1: empty header row"));
    }
    let roles = column_roles(&columns, origin)?;
    let feature_names: Vec<String> = columns
        .iter()
        .zip(&roles)
        .filter(|(_, r)| **r == Role::Feature)
        .map(|(c, _)| c.clone())
        .collect();
    if feature_names.is_empty() {
        return Err(err(
            origin,
            format!(
                "line 1: no feature columns in header: {}",
                columns.join(", ")
            ),
        ));
    }
    let has_label = roles.contains(&Role::Label);
    let timestamp_col = columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case("timestamp"));
    let mut timestamps: Vec<String> = Vec::new();

    let mut values: Vec<f64> = Vec::new();
    let mut labels: Vec<f64> = Vec::new();
    let mut n = 0usize;
    for record in first_row.into_iter().chain(records) {
        let record = record.map_err(|e| csv_error(origin, &e))?;
        let line = record.position().map_or(n + 2, |p| p.line() as usize);
        // A blank line comes through as one empty field; skip it.
        if record.len() == 1 && record.get(0).is_some_and(str::is_empty) && columns.len() > 1 {
            continue;
        }
        if record.len() != columns.len() {
            return Err(err(
                origin,
                format!(
                    "line {line}: expected {} fields (as in the header), found {}",
                    columns.len(),
                    record.len()
                ),
            ));
        }
        for (col, (field, role)) in record.iter().zip(&roles).enumerate() {
            if *role == Role::Ignored {
                if Some(col) == timestamp_col {
                    timestamps.push(field.to_string());
                }
                continue;
            }
            let value = field.parse::<f64>().map_err(|_| {
                let shown = if field.is_empty() {
                    "an empty field".to_string()
                } else {
                    format!("`{field}`")
                };
                err(
                    origin,
                    format!(
                        "line {line}, column {} (`{}`): {shown} is not a number",
                        col + 1,
                        columns[col]
                    ),
                )
            })?;
            match role {
                Role::Feature => values.push(value),
                Role::Label => labels.push(value),
                Role::Ignored => {}
            }
        }
        n += 1;
    }
    if n == 0 {
        return Err(err(origin, "no data rows after the header"));
    }
    let d = feature_names.len();
    let x = Array2::from_shape_vec((n, d), values)
        .map_err(|e| err(origin, format!("internal shape error: {e}")))?;
    Ok(CsvTable {
        x,
        y: has_label.then_some(labels),
        feature_names,
        columns,
        timestamps: timestamp_col.map(|_| timestamps),
    })
}

fn column_roles(columns: &[String], origin: &Path) -> Result<Vec<Role>, DataError> {
    let mut label: Option<usize> = None;
    let mut roles = Vec::with_capacity(columns.len());
    for (i, name) in columns.iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        let role = if LABEL_COLUMNS.contains(&lower.as_str()) {
            if let Some(first) = label {
                return Err(err(
                    origin,
                    format!(
                        "line 1: two label columns, `{}` (column {}) and `{name}` (column {})",
                        columns[first],
                        first + 1,
                        i + 1
                    ),
                ));
            }
            label = Some(i);
            Role::Label
        } else if IGNORED_COLUMNS.contains(&lower.as_str()) {
            Role::Ignored
        } else {
            Role::Feature
        };
        roles.push(role);
    }
    Ok(roles)
}

fn csv_error(origin: &Path, e: &::csv::Error) -> DataError {
    let message = match e.position() {
        Some(p) => format!("line {}: {}", p.line(), e),
        None => e.to_string(),
    };
    err(origin, message)
}

fn err(origin: &Path, message: impl Into<String>) -> DataError {
    format_error(origin, Format::Csv, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn origin() -> &'static Path {
        Path::new("t.csv")
    }

    fn msg(bytes: &[u8]) -> String {
        let e = read(bytes, origin()).unwrap_err();
        assert!(matches!(e, DataError::Format { format: "CSV", .. }), "{e}");
        e.to_string()
    }

    #[test]
    fn timeeval_layout() {
        let t = read(
            b"timestamp,value-0,value-1,is_anomaly\n0,1.5,2,0\n1, -3e2 ,4,1\n",
            origin(),
        )
        .unwrap();
        assert_eq!(t.x, array![[1.5, 2.0], [-300.0, 4.0]]);
        assert_eq!(t.y, Some(vec![0.0, 1.0]));
        assert_eq!(t.feature_names, vec!["value-0", "value-1"]);
    }

    #[test]
    fn label_names_any_case_and_bom_and_crlf() {
        for name in ["is_anomaly", "Label", "y", "ANOMALY"] {
            let src = format!("\u{feff}a,{name}\r\n1,1\r\n2,0\r\n");
            let t = read(src.as_bytes(), origin()).unwrap();
            assert_eq!(t.y, Some(vec![1.0, 0.0]), "{name}");
            assert_eq!(t.feature_names, vec!["a"]);
        }
    }

    #[test]
    fn a_headerless_numeric_file_keeps_its_first_row() {
        // what numpy.savetxt writes: no header, one value per line
        let t = read(b"1.5\n-2e-3\n7\n", origin()).unwrap();
        assert_eq!(t.x, array![[1.5], [-0.002], [7.0]]);
        assert_eq!(t.feature_names, vec!["col0"]);
        assert_eq!(t.y, None);
        let t = read(b"1,2\n3,4\n", origin()).unwrap();
        assert_eq!(t.x, array![[1.0, 2.0], [3.0, 4.0]]);
        // one non-numeric name makes the row a header
        let t = read(b"value,2\n3,4\n", origin()).unwrap();
        assert_eq!(t.x, array![[3.0, 4.0]]);
    }

    #[test]
    fn no_label_column_gives_none() {
        let t = read(b"timestamp,value\n0,1\n1,2\n", origin()).unwrap();
        assert!(t.y.is_none());
        assert_eq!(t.x.dim(), (2, 1));
    }

    #[test]
    fn blank_lines_are_skipped() {
        let t = read(b"a,label\n1,0\n\n2,1\n", origin()).unwrap();
        assert_eq!(t.x.nrows(), 2);
    }

    #[test]
    fn bad_number_names_line_and_column() {
        let m = msg(b"a,b,label\n1,2,0\n3,x4,1\n");
        assert!(
            m.contains("line 3, column 2 (`b`)") && m.contains("`x4` is not a number"),
            "{m}"
        );
        let m = msg(b"a,label\n,0\n");
        assert!(m.contains("line 2, column 1 (`a`): an empty field"), "{m}");
    }

    #[test]
    fn ragged_row_names_line() {
        let m = msg(b"a,b,label\n1,2,0\n3,1\n");
        assert!(
            m.contains("line 3: expected 3 fields") && m.contains("found 2"),
            "{m}"
        );
    }

    #[test]
    fn empty_and_header_only_files() {
        assert!(msg(b"").contains("empty file"));
        assert!(msg(b"a,label\n").contains("no data rows"));
        assert!(msg(b"timestamp,label\n1,0\n").contains("no feature columns"));
    }

    #[test]
    fn two_label_columns_are_ambiguous() {
        let m = msg(b"a,label,y\n1,0,0\n");
        assert!(m.contains("two label columns"), "{m}");
    }

    #[test]
    fn invalid_utf8_is_reported_with_line() {
        let m = msg(b"a,label\n1,0\n\xff\xfe,1\n");
        assert!(m.contains("line 3"), "{m}");
    }
}
