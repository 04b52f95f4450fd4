//! NumPy `.npz` archives (the ADBench collection).
//!
//! Why it exists: ADBench ships `X` and `y` as `.npz` members whose element
//! type varies by file (float64 mostly, but uint8, int16 and int64 too) and
//! whose `X` is stored in Fortran (column-major) order. `ndarray-npy` reads
//! one element type at a time, so this reader first learns the stored type
//! (a cheap one-byte probe whose mismatch error carries the `.npy` type
//! descriptor, before any data is allocated), then reads the member once with
//! the matching Rust type and converts to `f64` in standard layout.

use super::format_error;
use crate::data::DataError;
use crate::data::catalog::Format;
use ndarray::{Array2, ArrayD, Ix2, IxDyn, OwnedRepr};
use ndarray_npy::{NpzReader, ReadNpyError, ReadNpzError, ReadableElement};
use std::io::Cursor;
use std::path::Path;

/// Read `X` (n × d) and `y` (n, or n × 1 / 1 × n) from `.npz` bytes.
pub fn read(bytes: &[u8], origin: &Path) -> Result<(Array2<f64>, Vec<f64>), DataError> {
    let mut npz = NpzReader::new(Cursor::new(bytes))
        .map_err(|e| err(origin, format!("not a readable .npz (zip) archive: {e}")))?;
    let members = npz
        .names()
        .map_err(|e| err(origin, format!("unreadable .npz member list: {e}")))?;
    for name in ["X", "y"] {
        if !members.iter().any(|m| m == name) {
            let found = if members.is_empty() {
                "none".to_string()
            } else {
                members.join(", ")
            };
            return Err(err(
                origin,
                format!("no member `{name}`; members found: {found}"),
            ));
        }
    }
    let x = member(&mut npz, "X", origin)?;
    let y = member(&mut npz, "y", origin)?;

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

/// Read one member as `f64`, whatever numeric type it is stored as.
fn member(
    npz: &mut NpzReader<Cursor<&[u8]>>,
    name: &str,
    origin: &Path,
) -> Result<ArrayD<f64>, DataError> {
    // Probe with a one-byte type: it checks the descriptor before reading or
    // allocating, and a mismatch reports the stored descriptor.
    let descriptor = match typed::<u8>(npz, name) {
        Ok(a) => return Ok(a.mapv(f64::from)),
        Err(ReadNpzError::Npy(ReadNpyError::WrongDescriptor(desc))) => {
            desc.as_string().cloned().ok_or_else(|| {
                err(
                    origin,
                    format!(
                        "member `{name}` has a structured dtype {desc}; expected a numeric array"
                    ),
                )
            })?
        }
        Err(e) => return Err(member_error(e, name, origin)),
    };
    // Descriptors are `<f8`, `>i2`, `|u1`, `|b1`, …: byte order then kind and size.
    let kind = descriptor.trim_start_matches(['<', '>', '|', '=']);
    let read = |npz: &mut NpzReader<Cursor<&[u8]>>| -> Result<ArrayD<f64>, ReadNpzError> {
        Ok(match kind {
            "f8" => typed::<f64>(npz, name)?,
            "f4" => typed::<f32>(npz, name)?.mapv(f64::from),
            "i1" => typed::<i8>(npz, name)?.mapv(f64::from),
            "i2" => typed::<i16>(npz, name)?.mapv(f64::from),
            "u2" => typed::<u16>(npz, name)?.mapv(f64::from),
            "i4" => typed::<i32>(npz, name)?.mapv(f64::from),
            "u4" => typed::<u32>(npz, name)?.mapv(f64::from),
            // Integers beyond 2^53 lose precision, as in NumPy's astype(float).
            "i8" => typed::<i64>(npz, name)?.mapv(|v| v as f64),
            "u8" => typed::<u64>(npz, name)?.mapv(|v| v as f64),
            "b1" => typed::<bool>(npz, name)?.mapv(|v| if v { 1.0 } else { 0.0 }),
            _ => {
                return Err(ReadNpzError::Npy(ReadNpyError::ParseData(
                    format!("unsupported dtype `{descriptor}` (expected a real integer, float or bool type)").into(),
                )));
            }
        })
    };
    read(npz).map_err(|e| member_error(e, name, origin))
}

fn typed<T: ReadableElement>(
    npz: &mut NpzReader<Cursor<&[u8]>>,
    name: &str,
) -> Result<ArrayD<T>, ReadNpzError> {
    npz.by_name::<OwnedRepr<T>, IxDyn>(name)
}

fn member_error(e: ReadNpzError, name: &str, origin: &Path) -> DataError {
    err(origin, format!("member `{name}`: {e}"))
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

    #[test]
    fn truncated_archive_is_a_format_error() {
        let bytes = npz_with(&fortran_x::<f64>(), &array![0.0f64, 1.0, 0.0]);
        for cut in [0, 4, bytes.len() / 2, bytes.len() - 1] {
            let e = read(&bytes[..cut], origin()).unwrap_err();
            assert!(matches!(e, DataError::Format { .. }), "cut {cut}: {e}");
        }
    }
}
