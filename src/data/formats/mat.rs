//! MATLAB level-5 MAT-files (the ODDS collection).
//!
//! Why it exists: ODDS distributes its datasets as `.mat` files holding `X`
//! (n × d) and `y` (n × 1). MATLAB stores matrices column-major and in any
//! numeric class (ODDS uses double, uint8 and int16); this reader accepts
//! every real numeric class, dense or sparse, and returns a row-major `f64`
//! matrix plus the labels as `f64`.
//!
//! Sizes are checked before `mat5` or this reader allocates them: the file
//! and every `miCOMPRESSED` element inflated may hold at most 64 MiB
//! (`MAT_MAX_BYTES`), and a matrix may claim at most
//! [`MAX_ELEMENTS`] values (a sparse matrix's zeros are not in the file).
//! The framing `mat5` would panic on (a small element over 4 bytes, a
//! negative dimension) is refused first as a format error.

use super::{MAX_ELEMENTS, format_error};
use crate::data::DataError;
use crate::data::catalog::Format;
use mat5::{DenseMatrix, MatFile, Matrix, SparseMatrix};
use ndarray::Array2;
use std::io::Read;
use std::path::Path;

/// Read `X` and `y` from MAT-file bytes. `y` may be n × 1 or 1 × n.
pub fn read(bytes: &[u8], origin: &Path) -> Result<(Array2<f64>, Vec<f64>), DataError> {
    read_vars(bytes, origin, "X", "y")
}

/// Read the matrix `x_key` (n × d) and the labels `y_key` (n × 1 or 1 × n),
/// for files that use other names than `X`/`y` (PyOD's `ts_demo.mat`).
pub fn read_vars(
    bytes: &[u8],
    origin: &Path,
    x_key: &str,
    y_key: &str,
) -> Result<(Array2<f64>, Vec<f64>), DataError> {
    let file = decode(bytes, origin)?;
    let x_var = variable(&file, x_key, origin)?;
    let y_var = variable(&file, y_key, origin)?;

    let (n, d) = (x_var.rows(), x_var.cols());
    if n == 0 || d == 0 {
        return Err(err(
            origin,
            format!("variable `{x_key}` has shape {n}×{d}; expected n×d with n, d ≥ 1"),
        ));
    }
    let x_values = column_major_values(x_var, x_key, origin)?;
    let x = Array2::from_shape_fn((n, d), |(i, j)| x_values[i + j * n]);

    let (yr, yc) = (y_var.rows(), y_var.cols());
    if !((yr == n && yc == 1) || (yr == 1 && yc == n)) {
        return Err(err(
            origin,
            format!(
                "variable `{y_key}` has shape {yr}×{yc}; expected {n}×1 or 1×{n} to match `{x_key}` ({n}×{d})"
            ),
        ));
    }
    // n × 1 and 1 × n hold their n values in the same (column-major) order.
    let y = column_major_values(y_var, y_key, origin)?;
    Ok((x, y))
}

/// Parse the container. Everything that made `mat5` panic or allocate
/// without bound is refused first by [`precheck`]; the `catch_unwind`
/// stays as a last line of defence (a panic in a future `mat5` is still a
/// format error, not a crash).
fn decode(bytes: &[u8], origin: &Path) -> Result<MatFile, DataError> {
    precheck(bytes, origin, MAT_MAX_BYTES)?;
    match std::panic::catch_unwind(|| MatFile::read_bytes(bytes)) {
        Ok(Ok(file)) => Ok(file),
        Ok(Err(e)) => Err(err(origin, e.to_string())),
        Err(_) => Err(err(
            origin,
            "corrupt MAT-file (a length field is inconsistent)",
        )),
    }
}

/// The most bytes a MAT-file, or one of its compressed elements once
/// inflated, may hold: 64 MiB (the largest ODDS file inflates to a few
/// MiB). Tighter than [`super::MAX_DECOMPRESSED_BYTES`] because `mat5` widens
/// integer data through `i128` (16 bytes per 1-byte value), so its peak
/// memory is up to 16× this.
const MAT_MAX_BYTES: u64 = 1 << 26;

const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// A forward walk over tagged data elements, framed exactly as `mat5`
/// reads them (8-byte tags or 4-byte "small elements"; padding to 8 bytes
/// except after `miCOMPRESSED`). It stops quietly where `mat5` would report
/// truncation, and fails on a small element claiming more than 4 bytes
/// (`mat5` computes `4 - n` and panics).
/// One element: its byte offset, data type and data.
type Element<'a> = (usize, u32, &'a [u8]);

struct Elements<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Elements<'a> {
    fn new(buf: &'a [u8], pos: usize) -> Self {
        Self { buf, pos }
    }

    fn word(&self, at: usize) -> Option<u32> {
        let b = self.buf.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The next element's byte offset, data type and data.
    fn next(&mut self) -> Result<Option<Element<'a>>, String> {
        let pos = self.pos;
        let Some(first) = self.word(pos) else {
            return Ok(None);
        };
        let small = (first >> 16) as usize;
        if small != 0 {
            if small > 4 {
                return Err(format!(
                    "the small data element at byte {pos} claims {small} bytes (at most 4 fit)"
                ));
            }
            let data = self.buf.get(pos + 4..pos + 4 + small).unwrap_or(&[]);
            self.pos = pos.saturating_add(8);
            return Ok(Some((pos, first & 0xFFFF, data)));
        }
        let Some(n) = self.word(pos + 4).map(|n| n as usize) else {
            return Ok(None);
        };
        let start = pos + 8;
        let Some(data) = start
            .checked_add(n)
            .and_then(|end| self.buf.get(start..end))
        else {
            return Ok(None);
        };
        let padded = if first == MI_COMPRESSED {
            n
        } else {
            n.div_ceil(8) * 8
        };
        self.pos = start.saturating_add(padded);
        Ok(Some((pos, first, data)))
    }
}

/// Check what `mat5` will read before it reads it: the file and every
/// `miCOMPRESSED` element inflated hold at most `limit` ([`MAT_MAX_BYTES`]),
/// so `mat5`'s unbounded `read_to_end` never meets a zlib bomb; no small
/// element claims more than 4 bytes; and no matrix has a negative
/// dimension (`mat5` casts it to `usize::MAX` and overflows). Other
/// malformations are left for `mat5` to report as errors.
fn precheck(bytes: &[u8], origin: &Path, limit: u64) -> Result<(), DataError> {
    if bytes.len() as u64 > limit {
        return Err(DataError::TooLarge {
            path: origin.to_path_buf(),
            what: "the MAT-file".to_string(),
            claimed: bytes.len() as u128,
            limit: u128::from(limit),
            unit: "bytes",
        });
    }
    let mut top = Elements::new(bytes, 128);
    while bytes.len().saturating_sub(top.pos) >= 8 {
        let Some((pos, dtype, data)) = top.next().map_err(|m| err(origin, m))? else {
            break;
        };
        match dtype {
            MI_COMPRESSED => {
                let mut inflated = Vec::new();
                let read = flate2::read::ZlibDecoder::new(data)
                    .take(limit + 1)
                    .read_to_end(&mut inflated);
                if inflated.len() as u64 > limit {
                    return Err(DataError::TooLarge {
                        path: origin.to_path_buf(),
                        what: format!("the compressed element at byte {pos}"),
                        claimed: inflated.len() as u128,
                        limit: u128::from(limit),
                        unit: "bytes (decompressed)",
                    });
                }
                if read.is_err() {
                    // A corrupt stream: mat5 reports it and stops there.
                    return Ok(());
                }
                // mat5 reads the first element of the inflated bytes.
                let first = Elements::new(&inflated, 0)
                    .next()
                    .map_err(|m| err(origin, format!("compressed element at byte {pos}: {m}")))?;
                if let Some((_, MI_MATRIX, matrix)) = first {
                    check_matrix(matrix).map_err(|m| {
                        err(origin, format!("compressed element at byte {pos}: {m}"))
                    })?;
                }
            }
            MI_MATRIX => check_matrix(data).map_err(|m| err(origin, m))?,
            // mat5 refuses any other top-level element and stops there.
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// The sub-elements of one `miMATRIX`: small-element sizes, and the
/// dimensions (the second sub-element) non-negative.
fn check_matrix(data: &[u8]) -> Result<(), String> {
    let mut sub = Elements::new(data, 0);
    let _flags = sub.next()?;
    if let Some((pos, dtype, dims)) = sub.next()? {
        let width = match dtype {
            1 | 2 => 1,
            3 | 4 => 2,
            5..=7 => 4,
            9 | 12 | 13 => 8,
            _ => 0,
        };
        if width > 0 {
            for c in dims.chunks_exact(width) {
                let mut b = [0u8; 8];
                b[..width].copy_from_slice(c);
                let v: f64 = match dtype {
                    1 => f64::from(c[0] as i8),
                    3 => f64::from(i16::from_le_bytes([b[0], b[1]])),
                    5 => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    7 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    9 => f64::from_le_bytes(b),
                    12 => i64::from_le_bytes(b) as f64,
                    // Unsigned types cannot be negative.
                    _ => 0.0,
                };
                if (v as i64) < 0 {
                    return Err(format!(
                        "the matrix dimensions at byte {pos} include a negative size ({v})"
                    ));
                }
            }
        }
    }
    while sub.next()?.is_some() {}
    Ok(())
}

fn variable<'a>(file: &'a MatFile, name: &str, origin: &Path) -> Result<&'a Matrix, DataError> {
    file.get(name).ok_or_else(|| {
        let found: Vec<String> = file
            .arrays
            .iter()
            .map(|a| format!("{} ({}×{})", a.name, a.matrix.rows(), a.matrix.cols()))
            .collect();
        let found = if found.is_empty() {
            "none".to_string()
        } else {
            found.join(", ")
        };
        err(
            origin,
            format!("no variable `{name}`; variables found: {found}"),
        )
    })
}

/// All `rows × cols` values in column-major order, widened to `f64`.
fn column_major_values(m: &Matrix, name: &str, origin: &Path) -> Result<Vec<f64>, DataError> {
    let (rows, cols) = (m.rows(), m.cols());
    let len = rows.checked_mul(cols).ok_or_else(|| {
        err(
            origin,
            format!("variable `{name}` has an impossible shape {rows}×{cols}"),
        )
    })?;
    if len > MAX_ELEMENTS {
        return Err(DataError::TooLarge {
            path: origin.to_path_buf(),
            what: format!("variable `{name}` ({rows}×{cols})"),
            claimed: len as u128,
            limit: MAX_ELEMENTS as u128,
            unit: "values",
        });
    }
    match m {
        Matrix::Dense(dense) => dense_values(dense, len, name, origin),
        Matrix::Sparse(sparse) => sparse_values(sparse, len, name, origin),
    }
}

fn dense_values(
    m: &DenseMatrix,
    len: usize,
    name: &str,
    origin: &Path,
) -> Result<Vec<f64>, DataError> {
    if m.values.len() != len {
        return Err(err(
            origin,
            format!(
                "variable `{name}` declares shape {}×{} but holds {} values",
                m.rows,
                m.cols,
                m.values.len()
            ),
        ));
    }
    Ok(m.values.to_f64())
}

fn sparse_values(
    m: &SparseMatrix,
    len: usize,
    name: &str,
    origin: &Path,
) -> Result<Vec<f64>, DataError> {
    let bad = |what: &str| {
        err(
            origin,
            format!("sparse variable `{name}` ({}×{}): {what}", m.rows, m.cols),
        )
    };
    if m.col_ptr.len().checked_sub(1) != Some(m.cols) || m.row_indices.len() != m.values.len() {
        return Err(bad("column pointers or row indices have the wrong length"));
    }
    let values = m.values.to_f64();
    let mut out = vec![0.0; len];
    for (j, bounds) in m.col_ptr.windows(2).enumerate() {
        let (start, end) = (bounds[0], bounds[1]);
        if start > end || end > values.len() {
            return Err(bad(
                "column pointers are not increasing within the stored entries",
            ));
        }
        for (&i, &v) in m.row_indices[start..end].iter().zip(&values[start..end]) {
            if i >= m.rows {
                return Err(bad("a row index is out of range"));
            }
            out[i + j * m.rows] = v;
        }
    }
    Ok(out)
}

fn err(origin: &Path, message: impl Into<String>) -> DataError {
    format_error(origin, Format::Mat, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mat5::{NamedArray, Values};

    fn mat_bytes(arrays: Vec<NamedArray>) -> Vec<u8> {
        MatFile {
            header_text: "MATLAB 5.0 MAT-file, anml test".to_string(),
            arrays,
        }
        .write_bytes()
        .unwrap()
    }

    fn dense(name: &str, rows: usize, cols: usize, values: Values) -> NamedArray {
        NamedArray {
            name: name.to_string(),
            matrix: Matrix::Dense(DenseMatrix { rows, cols, values }),
        }
    }

    fn origin() -> &'static Path {
        Path::new("test.mat")
    }

    #[test]
    fn reads_column_major_into_row_major() {
        // X = [[1, 2], [3, 4], [5, 6]] stored column-major as int16.
        let bytes = mat_bytes(vec![
            dense("X", 3, 2, Values::I16(vec![1, 3, 5, 2, 4, 6])),
            dense("y", 3, 1, Values::F64(vec![0.0, 1.0, 0.0])),
        ]);
        let (x, y) = read(&bytes, origin()).unwrap();
        assert!(x.is_standard_layout());
        assert_eq!(x, ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_eq!(y, vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn every_numeric_class_and_row_vector_labels() {
        let classes = vec![
            Values::F32(vec![1.5, 2.5]),
            Values::U8(vec![1, 2]),
            Values::I8(vec![-1, 2]),
            Values::U16(vec![1, 2]),
            Values::I32(vec![-1, 2]),
            Values::U32(vec![1, 2]),
            Values::I64(vec![-1, 2]),
            Values::U64(vec![1, 2]),
        ];
        for values in classes {
            let expect = values.to_f64();
            let bytes = mat_bytes(vec![
                dense("X", 2, 1, values),
                dense("y", 1, 2, Values::U8(vec![1, 0])),
            ]);
            let (x, y) = read(&bytes, origin()).unwrap();
            assert_eq!(x.column(0).to_vec(), expect);
            assert_eq!(y, vec![1.0, 0.0]);
        }
    }

    #[test]
    fn sparse_x_is_densified() {
        // 2 × 2 with (0,1) = 7 and (1,0) = 3.
        let x = NamedArray {
            name: "X".to_string(),
            matrix: Matrix::Sparse(SparseMatrix {
                rows: 2,
                cols: 2,
                row_indices: vec![1, 0],
                col_ptr: vec![0, 1, 2],
                values: Values::F64(vec![3.0, 7.0]),
            }),
        };
        let bytes = mat_bytes(vec![x, dense("y", 2, 1, Values::F64(vec![0.0, 1.0]))]);
        let (x, _) = read(&bytes, origin()).unwrap();
        assert_eq!(x, ndarray::array![[0.0, 7.0], [3.0, 0.0]]);
    }

    #[test]
    fn missing_variable_is_named() {
        let bytes = mat_bytes(vec![dense("X_uni", 2, 1, Values::F64(vec![1.0, 2.0]))]);
        let msg = read(&bytes, origin()).unwrap_err().to_string();
        assert!(
            msg.contains("no variable `X`") && msg.contains("X_uni (2×1)"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_label_shape_is_named() {
        let bytes = mat_bytes(vec![
            dense("X", 3, 1, Values::F64(vec![1.0, 2.0, 3.0])),
            dense("y", 2, 1, Values::F64(vec![0.0, 1.0])),
        ]);
        let msg = read(&bytes, origin()).unwrap_err().to_string();
        assert!(
            msg.contains("`y` has shape 2×1") && msg.contains("3×1 or 1×3"),
            "{msg}"
        );
    }

    #[test]
    fn empty_x_is_rejected() {
        let bytes = mat_bytes(vec![
            dense("X", 0, 0, Values::F64(vec![])),
            dense("y", 0, 0, Values::F64(vec![])),
        ]);
        let msg = read(&bytes, origin()).unwrap_err().to_string();
        assert!(msg.contains("`X` has shape 0×0"), "{msg}");
    }

    #[test]
    fn corrupt_length_field_is_an_error_not_a_crash() {
        // A "small element" tag claiming 8 bytes (at most 4 are allowed).
        let mut bytes = b"MATLAB 5.0 MAT-file".to_vec();
        bytes.resize(116, b' ');
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&[0x00, 0x01, b'I', b'M']);
        bytes.extend_from_slice(&((8u32 << 16) | 14).to_le_bytes());
        bytes.extend_from_slice(&[0; 12]);
        let e = read(&bytes, origin()).unwrap_err();
        assert!(matches!(e, DataError::Format { format: "MAT", .. }), "{e}");
        // Refused by the precheck, not caught as a panic inside mat5.
        assert!(
            e.to_string().contains("claims 8 bytes (at most 4 fit)"),
            "{e}"
        );
    }

    /// An uncompressed miMATRIX element holding `sub` (already framed).
    fn raw_matrix(sub: &[u8]) -> Vec<u8> {
        let mut bytes = b"MATLAB 5.0 MAT-file".to_vec();
        bytes.resize(116, b' ');
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&[0x00, 0x01, b'I', b'M']);
        bytes.extend_from_slice(&14u32.to_le_bytes());
        bytes.extend_from_slice(&(sub.len() as u32).to_le_bytes());
        bytes.extend_from_slice(sub);
        bytes
    }

    #[test]
    fn a_negative_dimension_is_a_format_error_not_a_panic() {
        // Found by tests/fuzz_parsers.rs: mat5 casts a dimension of -1 to
        // usize::MAX and overflows computing `cols + 1` for a sparse matrix.
        let mut sub = Vec::new();
        // Array flags: miUINT32, 8 bytes, class 5 (sparse).
        sub.extend_from_slice(&6u32.to_le_bytes());
        sub.extend_from_slice(&8u32.to_le_bytes());
        sub.extend_from_slice(&[5, 0, 0, 0, 0, 0, 0, 0]);
        // Dimensions: miINT32, [2, -1].
        sub.extend_from_slice(&5u32.to_le_bytes());
        sub.extend_from_slice(&8u32.to_le_bytes());
        sub.extend_from_slice(&2i32.to_le_bytes());
        sub.extend_from_slice(&(-1i32).to_le_bytes());
        // Name "X" as a small element, then empty ir, jc, pr.
        sub.extend_from_slice(&((1u32 << 16) | 1).to_le_bytes());
        sub.extend_from_slice(b"X\0\0\0");
        for _ in 0..3 {
            sub.extend_from_slice(&5u32.to_le_bytes());
            sub.extend_from_slice(&0u32.to_le_bytes());
        }
        let e = read(&raw_matrix(&sub), origin()).unwrap_err();
        assert!(matches!(e, DataError::Format { format: "MAT", .. }), "{e}");
        assert!(e.to_string().contains("negative size (-1)"), "{e}");
    }

    #[test]
    fn a_sparse_matrix_claiming_huge_dimensions_is_refused_before_allocating() {
        // 2^20 × 2^20 with one stored entry: 2^40 zeros to fill in.
        let huge = 1usize << 20;
        let mut col_ptr = vec![0usize; huge + 1];
        col_ptr.iter_mut().skip(1).for_each(|p| *p = 1);
        let x = NamedArray {
            name: "X".to_string(),
            matrix: Matrix::Sparse(SparseMatrix {
                rows: huge,
                cols: huge,
                row_indices: vec![0],
                col_ptr,
                values: Values::F64(vec![1.0]),
            }),
        };
        let bytes = mat_bytes(vec![x, dense("y", 1, 1, Values::F64(vec![0.0]))]);
        match read(&bytes, origin()) {
            Err(DataError::TooLarge {
                claimed,
                limit,
                unit,
                ..
            }) => {
                assert_eq!(claimed, 1u128 << 40);
                assert_eq!((limit, unit), (MAX_ELEMENTS as u128, "values"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_zlib_bomb_is_refused_at_the_decompression_limit() {
        use flate2::{Compression, write::ZlibEncoder};
        use std::io::Write;
        // A miCOMPRESSED element inflating to 4 MiB + 8 bytes, checked
        // against a 4 MiB limit (the real one, 2 GiB, works the same way).
        let limit = 4 << 20;
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&14u32.to_le_bytes()).unwrap();
        enc.write_all(&u32::MAX.to_le_bytes()).unwrap();
        enc.write_all(&vec![0u8; limit as usize]).unwrap();
        let payload = enc.finish().unwrap();
        let mut bytes = b"MATLAB 5.0 MAT-file".to_vec();
        bytes.resize(116, b' ');
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&[0x00, 0x01, b'I', b'M']);
        bytes.extend_from_slice(&15u32.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&payload);
        match precheck(&bytes, origin(), limit) {
            Err(DataError::TooLarge {
                claimed,
                limit: l,
                unit,
                ..
            }) => {
                assert_eq!((claimed, l), (u128::from(limit) + 1, u128::from(limit)));
                assert!(unit.contains("decompressed"), "{unit}");
            }
            other => panic!("{other:?}"),
        }
        // The same element under a limit it fits: passed on to mat5.
        assert!(precheck(&bytes, origin(), limit + 8).is_ok());
        // A file larger than the limit is refused before it is walked.
        match precheck(&bytes, origin(), 64) {
            Err(DataError::TooLarge {
                unit: "bytes",
                limit: 64,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_and_garbage_bytes_are_format_errors() {
        let bytes = mat_bytes(vec![
            dense("X", 3, 1, Values::F64(vec![1.0, 2.0, 3.0])),
            dense("y", 3, 1, Values::F64(vec![0.0, 1.0, 0.0])),
        ]);
        for cut in [0, 10, 127, 128 + 12, bytes.len() - 5] {
            let e = read(&bytes[..cut], origin()).unwrap_err();
            assert!(
                matches!(e, DataError::Format { format: "MAT", .. }),
                "cut {cut}: {e}"
            );
        }
        let e = read(b"definitely not a mat file", origin()).unwrap_err();
        assert!(e.to_string().contains("test.mat"), "{e}");
    }
}
