//! NumPy `.npz` archives (the ADBench collection).
//!
//! Why it exists: ADBench ships `X` and `y` as `.npz` members whose element
//! type varies by file (float64 mostly, but uint8, int16 and int64 too) and
//! whose `X` is stored in Fortran (column-major) order. Each member is
//! decompressed through a byte limit ([`MAX_DECOMPRESSED_BYTES`]: a zip bomb
//! stops there) and then read by the checked `.npy` reader ([`super::npy`]),
//! which refuses a header claiming more values than the bytes hold before
//! allocating; the result is converted to `f64` in standard layout.

use super::{MAX_DECOMPRESSED_BYTES, format_error, npy};
use crate::data::DataError;
use crate::data::catalog::Format;
use ndarray::{Array2, ArrayD, Ix2};
use std::io::{Cursor, Read};
use std::path::Path;
use zip::ZipArchive;

/// Read `X` (n × d) and `y` (n, or n × 1 / 1 × n) from `.npz` bytes.
pub fn read(bytes: &[u8], origin: &Path) -> Result<(Array2<f64>, Vec<f64>), DataError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| err(origin, format!("not a readable .npz (zip) archive: {e}")))?;
    let x = member(&mut zip, "X", origin)?;
    let y = member(&mut zip, "y", origin)?;

    let x = x
        .into_dimensionality::<Ix2>()
        .map_err(|_| err(origin, "member `X` must be 2-dimensional"))?;
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(err(
            origin,
            format!("member `X` has shape {n}×{d}; expected n×d with n, d ≥ 1"),
        ));
    }
    // `X` is usually Fortran-ordered; copy into a fresh standard-layout array.
    let x = x.as_standard_layout().into_owned();

    let y_shape = y.shape().to_vec();
    let y_ok = match y_shape.as_slice() {
        [len] => *len == n,
        [r, c] => (*r == n && *c == 1) || (*r == 1 && *c == n),
        _ => false,
    };
    if !y_ok {
        return Err(err(
            origin,
            format!(
                "member `y` has shape {}; expected ({n},) to match `X` ({n}×{d})",
                shape_str(&y_shape)
            ),
        ));
    }
    Ok((x, y.iter().copied().collect()))
}

/// Read one member (`name` or `name.npy`, as NumPy looks it up) as `f64`,
/// whatever numeric type it is stored as.
fn member(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    origin: &Path,
) -> Result<ArrayD<f64>, DataError> {
    let Some(index) = zip
        .index_for_name(name)
        .or_else(|| zip.index_for_name(&format!("{name}.npy")))
    else {
        let members: Vec<&str> = zip
            .file_names()
            .map(|m| m.strip_suffix(".npy").unwrap_or(m))
            .collect();
        let found = if members.is_empty() {
            "none".to_string()
        } else {
            let mut members = members;
            members.sort_unstable();
            members.join(", ")
        };
        return Err(err(
            origin,
            format!("no member `{name}`; members found: {found}"),
        ));
    };
    let what = format!("member `{name}`");
    let file = zip
        .by_index(index)
        .map_err(|e| err(origin, format!("{what}: {e}")))?;
    let too_large = |claimed: u64| DataError::TooLarge {
        path: origin.to_path_buf(),
        what: format!("{what} (decompressed)"),
        claimed: u128::from(claimed),
        limit: u128::from(MAX_DECOMPRESSED_BYTES),
        unit: "bytes",
    };
    if file.size() > MAX_DECOMPRESSED_BYTES {
        return Err(too_large(file.size()));
    }
    // The declared size may lie: the limit is enforced on what comes out.
    let mut data = Vec::new();
    file.take(MAX_DECOMPRESSED_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|e| err(origin, format!("{what}: {e}")))?;
    if data.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(too_large(data.len() as u64));
    }
    npy::read(&data, origin, &what).map_err(|e| match e {
        // Name the archive's format: the member is part of an NPZ file.
        DataError::Format { message, .. } => err(origin, message),
        other => other,
    })
}

fn shape_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
    match parts.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", parts.join(", ")),
    }
}

fn err(origin: &Path, message: impl Into<String>) -> DataError {
    format_error(origin, Format::Npz, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, ShapeBuilder, array};
    use ndarray_npy::{NpzWriter, WritableElement};

    fn origin() -> &'static Path {
        Path::new("test.npz")
    }

    fn npz_with<A, B>(x: &A, y: &B) -> Vec<u8>
    where
        A: ndarray_npy::WriteNpyExt,
        B: ndarray_npy::WriteNpyExt,
    {
        let mut w = NpzWriter::new_compressed(Cursor::new(Vec::new()));
        w.add_array("X", x).unwrap();
        w.add_array("y", y).unwrap();
        w.finish().unwrap().into_inner()
    }

    /// X = [[1, 2], [3, 4], [5, 6]] in Fortran order with element type T.
    fn fortran_x<T: WritableElement + Clone + From<u8>>() -> Array2<T> {
        let col_major: Vec<T> = [1u8, 3, 5, 2, 4, 6].into_iter().map(T::from).collect();
        Array2::from_shape_vec((3, 2).f(), col_major).unwrap()
    }

    fn check(bytes: &[u8]) {
        let (x, y) = read(bytes, origin()).unwrap();
        assert!(x.is_standard_layout());
        assert_eq!(x, array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_eq!(y, vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn every_stored_dtype_converts_to_f64() {
        let y_f64 = array![0.0f64, 1.0, 0.0];
        let y_i64 = array![0i64, 1, 0];
        check(&npz_with(&fortran_x::<f64>(), &y_f64));
        check(&npz_with(&fortran_x::<f32>(), &y_i64));
        check(&npz_with(&fortran_x::<u8>(), &y_f64));
        check(&npz_with(&fortran_x::<i16>(), &y_i64));
        check(&npz_with(&fortran_x::<i32>(), &array![0i32, 1, 0]));
        check(&npz_with(&fortran_x::<i64>(), &array![false, true, false]));
        check(&npz_with(&fortran_x::<u16>(), &array![0u8, 1, 0]));
        check(&npz_with(&fortran_x::<u32>(), &y_f64));
        check(&npz_with(&fortran_x::<u64>(), &y_f64));
        // Standard (C) order too, and a column-vector y.
        let x_c = array![[1i8, 2], [3, 4], [5, 6]];
        check(&npz_with(&x_c, &array![[0.0f64], [1.0], [0.0]]));
    }

    #[test]
    fn garbage_is_a_format_error() {
        let e = read(b"PK\x03\x04 this is not really a zip archive", origin()).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, DataError::Format { format: "NPZ", .. }),
            "{msg}"
        );
        assert!(msg.contains("test.npz") && msg.contains("zip"), "{msg}");
    }

    #[test]
    fn missing_member_is_named() {
        let mut w = NpzWriter::new(Cursor::new(Vec::new()));
        w.add_array("X", &fortran_x::<f64>()).unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let msg = read(&bytes, origin()).unwrap_err().to_string();
        assert!(
            msg.contains("no member `y`") && msg.contains("members found: X"),
            "{msg}"
        );
    }

    #[test]
    fn label_shape_must_match() {
        let bytes = npz_with(&fortran_x::<f64>(), &Array1::<f64>::zeros(4));
        let msg = read(&bytes, origin()).unwrap_err().to_string();
        assert!(
            msg.contains("`y` has shape (4,)") && msg.contains("(3,)"),
            "{msg}"
        );
    }

    #[test]
    fn x_must_be_two_dimensional() {
        let bytes = npz_with(&array![1.0f64, 2.0, 3.0], &array![0.0f64, 1.0, 0.0]);
        let msg = read(&bytes, origin()).unwrap_err().to_string();
        assert!(msg.contains("`X` must be 2-dimensional"), "{msg}");
    }

    /// An archive holding `members` (name, raw `.npy` bytes), stored.
    fn raw_npz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_member_claiming_a_huge_shape_is_refused_before_allocating() {
        let header = |shape: &str| {
            let dict = format!("{{'descr': '<f8', 'fortran_order': True, 'shape': {shape}, }}\n");
            let mut out = b"\x93NUMPY\x01\x00".to_vec();
            out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
            out.extend_from_slice(dict.as_bytes());
            out
        };
        // 2^40 values (8 TiB) claimed by a 100-byte member: TooLarge.
        let bytes = raw_npz(&[
            ("X.npy", header("(1048576, 1048576)")),
            ("y.npy", header("(3,)")),
        ]);
        match read(&bytes, origin()) {
            Err(DataError::TooLarge { what, unit, .. }) => {
                assert!(what.contains("member `X`"), "{what}");
                assert_eq!(unit, "values");
            }
            other => panic!("{other:?}"),
        }
        // Under the limit but more than the bytes present: a format error.
        let bytes = raw_npz(&[("X.npy", header("(1000, 1000)")), ("y.npy", header("(3,)"))]);
        let e = read(&bytes, origin()).unwrap_err();
        assert!(matches!(e, DataError::Format { format: "NPZ", .. }), "{e}");
        assert!(e.to_string().contains("8000000 bytes"), "{e}");
    }

    #[test]
    fn truncated_archive_is_a_format_error() {
        let bytes = npz_with(&fortran_x::<f64>(), &array![0.0f64, 1.0, 0.0]);
        for cut in [0, 4, bytes.len() / 2, bytes.len() - 1] {
            let e = read(&bytes[..cut], origin()).unwrap_err();
            assert!(matches!(e, DataError::Format { .. }), "cut {cut}: {e}");
        }
    }
}
