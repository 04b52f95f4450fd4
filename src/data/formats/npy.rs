//! NumPy `.npy` arrays (ADBench's `.npz` members, a time-series run's point
//! scores, `anml series profile` input), checked before they are allocated.
//!
//! Why it exists: `ndarray-npy` allocates the array its header claims before
//! it reads any data, and allocates the header length a file claims, so a
//! corrupt or hostile 20-byte file claiming 2^40 elements would abort the
//! process. [`read`] first checks the header length against the bytes
//! present, the element count against [`MAX_ELEMENTS`] and the data length
//! against the bytes that follow, and only then lets `ndarray-npy` read the
//! array, widened to `f64`.

use super::MAX_ELEMENTS;
use crate::data::DataError;
use ndarray::{ArrayD, IxDyn, OwnedRepr};
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadNpyExt, ReadableElement};
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The numeric element types read, by descriptor without its byte-order
/// prefix, with their size in bytes.
fn item_size(kind: &str) -> Option<usize> {
    Some(match kind {
        "f8" | "i8" | "u8" => 8,
        "f4" | "i4" | "u4" => 4,
        "i2" | "u2" => 2,
        "i1" | "u1" | "b1" | "b" | "B" => 1,
        _ => return None,
    })
}

/// Read a numeric `.npy` array from `bytes` as `f64` (its shape and memory
/// order as stored). `what` names the array in errors (`member \`X\``,
/// `point scores`); `origin` names the file.
pub fn read(bytes: &[u8], origin: &Path, what: &str) -> Result<ArrayD<f64>, DataError> {
    let bad = |message: String| DataError::Format {
        path: origin.to_path_buf(),
        format: "NPY",
        message: format!("{what}: {message}"),
    };
    if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
        return Err(bad("not a .npy array (no \\x93NUMPY magic)".to_string()));
    }
    let (header_len, prefix) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        2 | 3 => return Err(bad("truncated header".to_string())),
        v => return Err(bad(format!("unsupported .npy format version {v}"))),
    };
    let available = bytes.len() - prefix;
    if header_len > available {
        return Err(bad(format!(
            "header claims {header_len} bytes but only {available} follow"
        )));
    }
    let mut rest = bytes;
    let header = Header::from_reader(&mut rest).map_err(|e| bad(e.to_string()))?;
    let descriptor = header
        .type_descriptor
        .as_string()
        .ok_or_else(|| {
            bad(format!(
                "structured dtype {}; expected a numeric array",
                header.type_descriptor
            ))
        })?
        .clone();
    let kind = descriptor.trim_start_matches(['<', '>', '|', '=']);
    let size = item_size(kind).ok_or_else(|| {
        bad(format!(
            "unsupported dtype `{descriptor}` (expected a real integer, float or bool type)"
        ))
    })?;
    let claimed = header
        .shape
        .iter()
        .try_fold(1u128, |n, &d| n.checked_mul(d as u128))
        .unwrap_or(u128::MAX);
    if claimed > MAX_ELEMENTS as u128 {
        return Err(DataError::TooLarge {
            path: origin.to_path_buf(),
            what: format!("{what} (shape {:?})", header.shape),
            claimed,
            limit: MAX_ELEMENTS as u128,
            unit: "values",
        });
    }
    // claimed ≤ MAX_ELEMENTS, so this product fits.
    let need = claimed as usize * size;
    if rest.len() != need {
        return Err(bad(format!(
            "header claims shape {:?} of `{descriptor}` ({need} bytes) but {} data bytes follow",
            header.shape,
            rest.len()
        )));
    }
    let read = || -> Result<ArrayD<f64>, ndarray_npy::ReadNpyError> {
        Ok(match kind {
            "f8" => typed::<f64>(bytes)?,
            "f4" => typed::<f32>(bytes)?.mapv(f64::from),
            "i1" | "b" => typed::<i8>(bytes)?.mapv(f64::from),
            "u1" | "B" => typed::<u8>(bytes)?.mapv(f64::from),
            "i2" => typed::<i16>(bytes)?.mapv(f64::from),
            "u2" => typed::<u16>(bytes)?.mapv(f64::from),
            "i4" => typed::<i32>(bytes)?.mapv(f64::from),
            "u4" => typed::<u32>(bytes)?.mapv(f64::from),
            // Integers beyond 2^53 lose precision, as in NumPy's astype(float).
            "i8" => typed::<i64>(bytes)?.mapv(|v| v as f64),
            "u8" => typed::<u64>(bytes)?.mapv(|v| v as f64),
            _ => typed::<bool>(bytes)?.mapv(|v| if v { 1.0 } else { 0.0 }),
        })
    };
    read().map_err(|e| bad(e.to_string()))
}

fn typed<T: ReadableElement>(bytes: &[u8]) -> Result<ArrayD<T>, ndarray_npy::ReadNpyError> {
    ndarray::ArrayBase::<OwnedRepr<T>, IxDyn>::read_npy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use ndarray_npy::WriteNpyExt;

    fn origin() -> &'static Path {
        Path::new("t.npy")
    }

    fn npy_header(descr: &str, shape: &str, version: u8) -> Vec<u8> {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out
    }

    #[test]
    fn reads_numeric_types_as_f64() {
        let mut buf = Vec::new();
        array![[1i16, 2], [3, 4]].write_npy(&mut buf).unwrap();
        let a = read(&buf, origin(), "x").unwrap();
        assert_eq!(a.shape(), &[2, 2]);
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            vec![1.0, 2.0, 3.0, 4.0]
        );
        let mut buf = Vec::new();
        array![0.5f64, -1.0].write_npy(&mut buf).unwrap();
        let a = read(&buf, origin(), "x").unwrap();
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), vec![0.5, -1.0]);
    }

    #[test]
    fn a_huge_claimed_shape_is_refused_with_the_limit_named() {
        for (descr, shape) in [
            ("<f8", "(1099511627776,)"),
            ("<f8", "(4294967296, 4294967296)"),
            ("|u1", "(18446744073709551615, 18446744073709551615, 2)"),
            ("<i8", "(268435457,)"),
        ] {
            let bytes = npy_header(descr, shape, 1);
            match read(&bytes, origin(), "scores") {
                Err(DataError::TooLarge { limit, unit, .. }) => {
                    assert_eq!((limit, unit), (MAX_ELEMENTS as u128, "values"));
                }
                other => panic!("{descr} {shape}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_shape_larger_than_the_data_is_a_format_error() {
        let mut bytes = npy_header("<f8", "(1000000,)", 1);
        bytes.extend_from_slice(&1.0f64.to_le_bytes());
        let e = read(&bytes, origin(), "scores").unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, DataError::Format { format: "NPY", .. }),
            "{msg}"
        );
        assert!(
            msg.contains("8000000 bytes") && msg.contains("8 data bytes"),
            "{msg}"
        );
    }

    #[test]
    fn a_header_length_beyond_the_file_is_refused() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[2, 0]);
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(b"{}\n");
        let msg = read(&bytes, origin(), "x").unwrap_err().to_string();
        assert!(msg.contains("header claims 4294967295 bytes"), "{msg}");
    }

    #[test]
    fn structured_and_exotic_dtypes_are_refused() {
        for descr in ["<c16", "<M8[s]", "|S4", "<U3"] {
            let bytes = npy_header(descr, "(1,)", 1);
            let msg = read(&bytes, origin(), "x").unwrap_err().to_string();
            assert!(msg.contains("unsupported dtype"), "{descr}: {msg}");
        }
    }
}
