//! Deterministic mutation fuzzing of every reader of untrusted bytes (issue
//! 17): `.mat`, `.npz`, `.npy`, CSV, NAB's label JSON, notebook cells,
//! Jupyter `.ipynb` (both ways), the
//! registry's `meta.json` / `model.json` (every detector's model format,
//! loaded and then scored), run-store records, `sweep.json` and `results
//! merge` inputs. Each reader must return `Ok` or a typed error on every
//! input: a panic is a failure (caught, reported with the case and the
//! input saved under `$CARGO_TARGET_TMPDIR/fuzz-failures/`), and a header
//! claiming a huge array must be refused before it is allocated (an abort
//! would end the test).
//!
//! Seeds are real files from the dataset mirror (skipped when it is
//! absent) and tiny hand-built files; mutations are truncation, bit flips,
//! byte inserts/deletes/splices, header-field overwrites with huge numbers
//! and, for JSON, value-level edits (numbers → extremes, arrays emptied or
//! grown, keys dropped, types swapped). Every generator is a fixed-seed
//! ChaCha8, so a run is reproducible and a failure names its case. The
//! long-form, coverage-guided versions of these targets are in `fuzz/`.

mod common;

use anml::data::catalog::Format;
use anml::data::formats;
use anml::detectors::{DETECTORS, Detector, FittedDetector};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};
use std::io::{Cursor, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// The harness: mutations, panic capture, seeds.

/// Collects the cases that panicked.
struct Harness {
    target: &'static str,
    rng: ChaCha8Rng,
    failures: Vec<String>,
    cases: usize,
    accepted: usize,
}

impl Harness {
    fn new(target: &'static str, seed: u64) -> Self {
        let extra = std::env::var("ANML_FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        Self {
            target,
            rng: ChaCha8Rng::seed_from_u64(seed ^ extra),
            failures: Vec::new(),
            cases: 0,
            accepted: 0,
        }
    }

    /// Run `f` on `input` (it returns whether the reader accepted the
    /// input); a panic is recorded with the input saved, also one a reader
    /// caught itself (the panic hook counts every panic on this thread, and
    /// under `cargo fuzz` a caught panic still aborts).
    fn case(&mut self, input: &[u8], f: impl FnOnce() -> bool) {
        let n = self.cases;
        self.cases += 1;
        install_panic_counter();
        let before = PANICS.with(|p| p.borrow().len());
        IN_CASE.with(|c| c.set(true));
        let outcome = catch_unwind(AssertUnwindSafe(f));
        IN_CASE.with(|c| c.set(false));
        let seen: Vec<String> = PANICS.with(|p| p.borrow_mut().split_off(before));
        match outcome {
            Ok(accepted) if seen.is_empty() => self.accepted += usize::from(accepted),
            _ => self.record_panic(n, input, &seen.join("; ")),
        }
    }

    fn record_panic(&mut self, n: usize, input: &[u8], msg: &str) {
        {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
            let file = dir.join(format!("{}-{n}.bin", self.target));
            let saved = std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&file, input))
                .map(|()| file.display().to_string())
                .unwrap_or_else(|e| format!("(not saved: {e})"));
            self.failures.push(format!(
                "{} case {n}: panicked: {msg}\n  input ({} bytes) saved at {saved}",
                self.target,
                input.len()
            ));
        }
    }

    fn finish(self) {
        eprintln!(
            "{}: {} cases, {} accepted, {} panicked",
            self.target,
            self.cases,
            self.accepted,
            self.failures.len()
        );
        assert!(self.cases > 0, "{}: no cases ran (no seeds?)", self.target);
        assert!(
            self.failures.is_empty(),
            "{} of {} cases panicked:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }

    /// One to four byte-level mutations of `seed`. `hot` is the length of
    /// the header region where half of the edits land.
    fn mutate(&mut self, seed: &[u8], hot: usize) -> Vec<u8> {
        mutate_bytes(&mut self.rng, seed, hot)
    }
}

#[test]
fn the_harness_catches_and_reports_a_panic() {
    // A harness that could not see a panic would pass every target.
    let mut h = Harness::new("self_test", 1);
    h.case(b"boom", || panic!("planted"));
    h.case(b"fine", || true);
    assert_eq!((h.cases, h.accepted, h.failures.len()), (2, 1, 1));
    assert!(h.failures[0].contains("planted"), "{}", h.failures[0]);
    let r = catch_unwind(AssertUnwindSafe(|| h.finish()));
    assert!(r.is_err(), "finish() must fail when a case panicked");
}

thread_local! {
    /// Every panic on this thread since the harness started: message and place.
    static PANICS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Whether this thread is inside a harness case.
    static IN_CASE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A panic hook that records each panic inside a harness case
/// (thread-locally, so parallel tests do not mix) instead of printing it;
/// other panics (a failed assert) print as usual.
fn install_panic_counter() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let place = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            if IN_CASE.try_with(|c| c.get()).unwrap_or(false) {
                let _ = PANICS.try_with(|p| p.borrow_mut().push(format!("{msg}{place}")));
            } else {
                default(info);
            }
        }));
    });
}

const INTERESTING: &[u64] = &[
    0,
    1,
    0x7f,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    1 << 32,
    1 << 40,
    i64::MAX as u64,
    u64::MAX,
];

const HUGE_TEXT: &[&str] = &[
    "99999999999999999999999",
    "4294967296",
    "18446744073709551615",
    "-1",
    "1e308",
    "-0",
    "NaN",
    "inf",
    "",
    "1099511627776",
];

fn mutate_bytes(rng: &mut ChaCha8Rng, seed: &[u8], hot: usize) -> Vec<u8> {
    let mut b = seed.to_vec();
    let ops = if rng.random_bool(0.5) {
        1
    } else {
        rng.random_range(2..=4)
    };
    for _ in 0..ops {
        let pos = |rng: &mut ChaCha8Rng, len: usize| -> usize {
            if len == 0 {
                0
            } else if rng.random_bool(0.5) {
                rng.random_range(0..len.min(hot.max(1)))
            } else {
                rng.random_range(0..len)
            }
        };
        match rng.random_range(0..8) {
            0 => {
                let cut = rng.random_range(0..=b.len());
                b.truncate(cut);
            }
            1 => {
                for _ in 0..rng.random_range(1..=8) {
                    if !b.is_empty() {
                        let i = pos(rng, b.len());
                        b[i] ^= 1 << rng.random_range(0..8);
                    }
                }
            }
            2 => {
                let i = pos(rng, b.len() + 1).min(b.len());
                let n = rng.random_range(1..=16);
                let ins: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                b.splice(i..i, ins);
            }
            3 => {
                if !b.is_empty() {
                    let i = pos(rng, b.len());
                    let n = rng.random_range(1..=32).min(b.len() - i);
                    b.drain(i..i + n);
                }
            }
            4 | 5 => {
                // A header field overwritten with an extreme number.
                let v = INTERESTING[rng.random_range(0..INTERESTING.len())];
                let width = [1, 2, 4, 8][rng.random_range(0..4)];
                let bytes = if rng.random_bool(0.5) {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                if b.len() >= width {
                    let i = pos(rng, b.len() - width + 1).min(b.len() - width);
                    b[i..i + width].copy_from_slice(&bytes[..width]);
                }
            }
            6 => {
                // A run of ASCII digits replaced by a huge or odd number.
                let starts: Vec<usize> = (0..b.len())
                    .filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()))
                    .collect();
                if !starts.is_empty() {
                    let s = starts[rng.random_range(0..starts.len())];
                    let e = (s..b.len())
                        .find(|&i| !b[i].is_ascii_digit())
                        .unwrap_or(b.len());
                    let t = HUGE_TEXT[rng.random_range(0..HUGE_TEXT.len())];
                    b.splice(s..e, t.bytes());
                }
            }
            _ => {
                // Splice: copy one slice of the input over another place.
                if b.len() > 2 {
                    let a = rng.random_range(0..b.len());
                    let n = rng.random_range(1..=64).min(b.len() - a);
                    let chunk = b[a..a + n].to_vec();
                    let at = pos(rng, b.len());
                    b.splice(at..at, chunk);
                }
            }
        }
    }
    b
}

/// Value-level JSON mutation: one to three nodes replaced, emptied, grown
/// or retyped.
fn mutate_json(rng: &mut ChaCha8Rng, v: &Value) -> Value {
    let mut v = v.clone();
    for _ in 0..rng.random_range(1..=3) {
        let n = count_nodes(&v);
        let k = rng.random_range(0..n);
        let mut i = 0;
        edit_node(rng, &mut v, k, &mut i);
    }
    v
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(m) => m.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn edit_node(rng: &mut ChaCha8Rng, v: &mut Value, k: usize, i: &mut usize) -> bool {
    if *i == k {
        *v = replacement(rng, v);
        return true;
    }
    *i += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| edit_node(rng, c, k, i)),
        Value::Object(m) => m.values_mut().any(|c| edit_node(rng, c, k, i)),
        _ => false,
    }
}

fn replacement(rng: &mut ChaCha8Rng, v: &Value) -> Value {
    let extremes = [
        json!(0),
        json!(-1),
        json!(1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1e308),
        json!(-1e308),
        json!(5e-324),
        json!(4294967296u64),
        json!(9007199254740993u64),
        json!(0.5),
        json!(1_000_000_000u64),
    ];
    match (v, rng.random_range(0..4)) {
        (Value::Number(_), 0..=2) => extremes[rng.random_range(0..extremes.len())].clone(),
        (Value::String(_), 0) => json!(""),
        (Value::String(s), 1) => json!(format!("{s}é\u{0}")),
        (Value::String(s), 2) => json!(s.chars().rev().collect::<String>()),
        (Value::Array(a), 0) if !a.is_empty() => {
            let mut a = a.clone();
            a.remove(rng.random_range(0..a.len()));
            Value::Array(a)
        }
        (Value::Array(a), 1) if !a.is_empty() => {
            let mut a = a.clone();
            let c = a[rng.random_range(0..a.len())].clone();
            a.push(c);
            Value::Array(a)
        }
        (Value::Array(_), 2) => json!([]),
        (Value::Object(m), 0) if !m.is_empty() => {
            let mut m = m.clone();
            let key = m.keys().nth(rng.random_range(0..m.len())).cloned();
            if let Some(key) = key {
                m.remove(&key);
            }
            Value::Object(m)
        }
        (Value::Object(m), 1) if !m.is_empty() => {
            let mut m = m.clone();
            let key = m.keys().nth(rng.random_range(0..m.len())).cloned();
            if let Some(key) = key {
                m.insert(key, Value::Null);
            }
            Value::Object(m)
        }
        _ => [
            Value::Null,
            json!(true),
            json!([]),
            json!({}),
            json!("x"),
            json!(-7),
            json!([1e300, -1e300]),
        ][rng.random_range(0..7)]
        .clone(),
    }
}

/// `n` cases times `ANML_FUZZ_SCALE` (default 1): longer local hunts,
/// with `ANML_FUZZ_SEED` mixed into every generator's seed for new cases.
fn scaled(n: u64) -> u64 {
    let scale = std::env::var("ANML_FUZZ_SCALE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    n * scale
}

/// With `ANML_FUZZ_SEEDS=<dir>` set, a seed is also written to
/// `<dir>/<target>/<name>` (how `fuzz/seed_corpus.sh` gets real model and
/// run-store files for the cargo-fuzz targets).
fn export_seed(target: &str, name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("ANML_FUZZ_SEEDS") {
        let dir = Path::new(&dir).join(target);
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(dir.join(name), bytes);
        }
    }
}

/// Files under the mirror's `dir` with extension `ext`, smallest first,
/// at most `n`. Empty (with a note) when the mirror is absent.
fn mirror_files(dir: &str, ext: &str, n: usize) -> Vec<(PathBuf, Vec<u8>)> {
    let root = common::mirror().join(dir);
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!(
            "note: {} absent; fuzzing hand-built seeds only",
            root.display()
        );
        return Vec::new();
    };
    let mut files: Vec<(u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.len(), p)))
        .collect();
    files.sort();
    files
        .into_iter()
        .take(n)
        .filter_map(|(_, p)| Some((p.clone(), std::fs::read(&p).ok()?)))
        .collect()
}

/// Deterministic data with a few far-out rows.
fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(11);
    let mut x = Array2::from_shape_simple_fn((n, d), || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    });
    for i in (0..n).step_by(7) {
        x.row_mut(i).mapv_inplace(|v| v * 6.0);
    }
    x
}

// ---------------------------------------------------------------------------
// Binary dataset formats.

/// A level-5 MAT-file with `arrays`, as written by mat5 (compressed).
fn mat_file(arrays: Vec<mat5::NamedArray>) -> Vec<u8> {
    mat5::MatFile {
        header_text: "MATLAB 5.0 MAT-file, anml fuzz seed".to_string(),
        arrays,
    }
    .write_bytes()
    .expect("write mat")
}

fn dense(name: &str, rows: usize, cols: usize, values: mat5::Values) -> mat5::NamedArray {
    mat5::NamedArray {
        name: name.to_string(),
        matrix: mat5::Matrix::Dense(mat5::DenseMatrix { rows, cols, values }),
    }
}

/// The same MAT-file with every `miCOMPRESSED` element inflated in place,
/// so byte mutations reach the matrix headers (dimensions, classes).
fn inflate_mat(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes[..128.min(bytes.len())].to_vec();
    let mut pos = 128;
    while pos + 8 <= bytes.len() {
        let tag = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let n = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let Some(data) = bytes.get(pos + 8..pos + 8 + n) else {
            break;
        };
        if tag == 15 {
            let mut inner = Vec::new();
            if flate2::read::ZlibDecoder::new(data)
                .read_to_end(&mut inner)
                .is_err()
            {
                return bytes.to_vec();
            }
            out.extend_from_slice(&inner);
            while !out.len().is_multiple_of(8) {
                out.push(0);
            }
            pos += 8 + n;
        } else {
            let end = (pos + 8 + n.div_ceil(8) * 8).min(bytes.len());
            out.extend_from_slice(&bytes[pos..end]);
            pos = end;
        }
    }
    out
}

fn mat_seeds() -> Vec<Vec<u8>> {
    use mat5::{Matrix, NamedArray, SparseMatrix, Values};
    let mut seeds = vec![
        mat_file(vec![
            dense("X", 3, 2, Values::F64(vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0])),
            dense("y", 3, 1, Values::F64(vec![0.0, 1.0, 0.0])),
        ]),
        mat_file(vec![
            dense("X", 2, 2, Values::I16(vec![1, -3, 5, 2])),
            dense("y", 1, 2, Values::U8(vec![1, 0])),
        ]),
        mat_file(vec![
            NamedArray {
                name: "X".to_string(),
                matrix: Matrix::Sparse(SparseMatrix {
                    rows: 2,
                    cols: 2,
                    row_indices: vec![1, 0],
                    col_ptr: vec![0, 1, 2],
                    values: Values::F64(vec![3.0, 7.0]),
                }),
            },
            dense("y", 2, 1, Values::Bool(vec![false, true])),
        ]),
    ];
    for (_, bytes) in mirror_files("odds", "mat", 3) {
        seeds.push(bytes);
    }
    let inflated: Vec<Vec<u8>> = seeds.iter().map(|s| inflate_mat(s)).collect();
    seeds.extend(inflated);
    seeds
}

#[test]
fn mat_reader_never_panics() {
    let seeds = mat_seeds();
    let mut h = Harness::new("mat", 0x6d61_7401);
    for seed in &seeds {
        for _ in 0..scaled(200) {
            let input = h.mutate(seed, 400);
            h.case(&input, || {
                let ok = formats::mat::read(&input, Path::new("fuzz.mat")).is_ok();
                let _ = formats::parse(Format::Mat, &input, Path::new("fuzz.mat"), "fuzz");
                ok
            });
        }
    }
    h.finish();
}

fn npy_bytes<A: ndarray_npy::WriteNpyExt>(a: &A) -> Vec<u8> {
    let mut buf = Vec::new();
    a.write_npy(&mut buf).expect("write npy");
    buf
}

/// An `.npz` whose members are stored (not deflated), so byte mutations
/// reach the `.npy` headers.
fn stored_npz(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in members {
        // A duplicate name (a mutated member renamed) is skipped.
        if w.start_file(name.as_str(), opts).is_ok() {
            w.write_all(bytes).expect("zip write");
        }
    }
    w.finish().expect("zip finish").into_inner()
}

/// Every member of an archive, by name.
fn npz_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Vec::new();
    };
    (0..z.len())
        .filter_map(|i| {
            let mut f = z.by_index(i).ok()?;
            let mut out = Vec::new();
            f.read_to_end(&mut out).ok()?;
            Some((f.name().to_string(), out))
        })
        .collect()
}

fn npz_seeds() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    use ndarray::{ShapeBuilder, array};
    let x_f = Array2::from_shape_vec((3, 2).f(), vec![1.0f64, 3.0, 5.0, 2.0, 4.0, 6.0]).unwrap();
    let mut npys = vec![
        npy_bytes(&x_f),
        npy_bytes(&array![0.0f64, 1.0, 0.0]),
        npy_bytes(&array![[1i16, 2], [3, 4], [5, 6]]),
        npy_bytes(&array![0u8, 1, 0]),
        npy_bytes(&array![false, true, false]),
        npy_bytes(&array![[0i64], [1], [0]]),
    ];
    let mut npzs = vec![
        stored_npz(&[
            ("X.npy".into(), npys[0].clone()),
            ("y.npy".into(), npys[1].clone()),
        ]),
        stored_npz(&[
            ("X.npy".into(), npys[2].clone()),
            ("y.npy".into(), npys[4].clone()),
        ]),
    ];
    for (_, bytes) in mirror_files("adbench", "npz", 3) {
        let members = npz_members(&bytes);
        npys.extend(members.iter().map(|(_, b)| b.clone()));
        npzs.push(stored_npz(&members));
        npzs.push(bytes);
    }
    (npzs, npys)
}

#[test]
fn npz_reader_never_panics() {
    let (npzs, _) = npz_seeds();
    let mut h = Harness::new("npz", 0x6e70_7a01);
    for seed in &npzs {
        let members = npz_members(seed);
        for i in 0..scaled(150) {
            // Half the cases mutate one member and re-pack the archive, so
            // the CRCs hold and the bytes reach the .npy reader; the rest
            // mutate the archive itself (the .npy headers of a stored
            // member sit after its 30-byte local header and name).
            let input = if i % 2 == 0 && !members.is_empty() {
                let mut m = members.clone();
                let k = h.rng.random_range(0..m.len());
                m[k].1 = h.mutate(&m[k].1, 128);
                if h.rng.random_bool(0.2) {
                    m[k].0 =
                        ["X", "y", "X.npy", "y.npy", "Y.npy", "x"][h.rng.random_range(0..6)].into();
                }
                stored_npz(&m)
            } else {
                h.mutate(seed, 200)
            };
            h.case(&input, || {
                formats::npz::read(&input, Path::new("fuzz.npz")).is_ok()
            });
        }
    }
    h.finish();
}

#[test]
fn npy_reader_never_panics() {
    let (_, npys) = npz_seeds();
    let mut h = Harness::new("npy", 0x6e70_7901);
    for seed in &npys {
        for _ in 0..scaled(300) {
            let input = h.mutate(seed, 128);
            h.case(&input, || {
                formats::npy::read(&input, Path::new("fuzz.npy"), "fuzz").is_ok()
            });
        }
    }
    h.finish();
}

#[test]
fn npy_and_npz_refuse_huge_claimed_shapes_before_allocating() {
    // Regression (issue 17): ndarray-npy allocated whatever a header
    // claimed, so a 90-byte file claiming 2^40 float64 values aborted the
    // process. Each must now be a typed TooLarge error naming the limit.
    let header = |shape: &str| {
        let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out
    };
    for shape in ["(1099511627776,)", "(65536, 65536, 65536)", "(268435457,)"] {
        let npy = header(shape);
        let e = formats::npy::read(&npy, Path::new("h.npy"), "scores").unwrap_err();
        assert!(
            matches!(e, anml::data::DataError::TooLarge { .. }),
            "{shape}: {e}"
        );
        assert!(
            e.to_string().contains("the limit is 268435456 values"),
            "{e}"
        );
        let npz = stored_npz(&[("X.npy".into(), npy.clone()), ("y.npy".into(), npy)]);
        let e = formats::npz::read(&npz, Path::new("h.npz")).unwrap_err();
        assert!(
            matches!(e, anml::data::DataError::TooLarge { .. }),
            "{shape}: {e}"
        );
    }
}

// ---------------------------------------------------------------------------
// Text formats.

fn csv_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = vec![
        b"a,b,label\n1,2,0\n3,4,1\n".to_vec(),
        b"timestamp,value,is_anomaly\n2014-01-01 00:00:00,1.5,0\n2014-01-01 00:05:00,9,1\n"
            .to_vec(),
        b"1,2,3\n4,5,6\n".to_vec(),
        "\u{feff}x,\u{e9}t\u{e9},y\n\"1\",\"2e3\",1\n\n-0,inf,0\n"
            .as_bytes()
            .to_vec(),
    ];
    // NAB's series are in sub-folders; take the smallest few of one.
    let nab = common::mirror().join("nab/data");
    if let Ok(dirs) = std::fs::read_dir(&nab) {
        let mut dirs: Vec<PathBuf> = dirs
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        if let Some(d) = dirs.first() {
            let rel = d
                .strip_prefix(common::mirror())
                .unwrap()
                .to_string_lossy()
                .to_string();
            for (_, b) in mirror_files(&rel, "csv", 2) {
                // The first 200 lines: enough structure, fast to mutate.
                let text = String::from_utf8_lossy(&b);
                let head: Vec<&str> = text.lines().take(200).collect();
                seeds.push(head.join("\n").into_bytes());
            }
        }
    }
    for (_, b) in mirror_files("ts", "csv", 2) {
        let text = String::from_utf8_lossy(&b);
        let head: Vec<&str> = text.lines().take(200).collect();
        seeds.push(head.join("\n").into_bytes());
    }
    seeds
}

#[test]
fn csv_readers_never_panic() {
    let seeds = csv_seeds();
    let windows = vec![(
        "2014-01-01 00:00:00".to_string(),
        "2014-01-01 00:05:00.000000".to_string(),
    )];
    let mut h = Harness::new("csv", 0x6373_7601);
    for seed in &seeds {
        for _ in 0..scaled(300) {
            let input = h.mutate(seed, 64);
            h.case(&input, || {
                let p = Path::new("fuzz.csv");
                let ok = formats::csv::read(&input, p).is_ok();
                let _ = formats::parse(Format::Csv, &input, p, "fuzz");
                let _ = formats::series::read_csv(&input, p, "fuzz");
                let _ = formats::series::read_nab(&input, p, &windows);
                ok
            });
        }
    }
    h.finish();
}

#[test]
fn nab_label_json_never_panics() {
    let mut seeds: Vec<Vec<u8>> = vec![
        br#"{"a/b.csv": [["2014-01-01 00:00:00.000000", "2014-01-02 00:00:00.000000"]], "c.csv": []}"#
            .to_vec(),
    ];
    if let Ok(b) = std::fs::read(common::mirror().join("nab/labels/combined_windows.json")) {
        seeds.push(b);
    }
    let stamps: Vec<String> = [
        "2014-01-01 00:00:00",
        "2014-01-01 12:00:00.5",
        "",
        "é",
        "2014-01-01 00:00:00.123456789",
        "2014-13-45 99:99:99",
        "x2014-01-01 00:00:00é",
        "2014-01-01T00:00:00Z",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut h = Harness::new("nab_json", 0x6e61_6201);
    for seed in &seeds {
        let parsed: Option<Value> = serde_json::from_slice(seed).ok();
        for i in 0..scaled(500) {
            let input = match (&parsed, i % 2) {
                (Some(v), 0) => serde_json::to_vec(&mutate_json(&mut h.rng, v)).unwrap(),
                _ => h.mutate(seed, 256),
            };
            let mut rng = ChaCha8Rng::seed_from_u64(i);
            let mut ts = stamps.clone();
            for t in ts.iter_mut() {
                *t = String::from_utf8_lossy(&mutate_bytes(&mut rng, t.as_bytes(), 32)).to_string();
            }
            h.case(&input, || {
                let Ok(w) = formats::series::parse_nab_windows(&input, Path::new("w.json")) else {
                    return false;
                };
                for spans in w.values() {
                    let _ = formats::series::window_labels(&ts, spans);
                    let _ = formats::series::window_labels(&stamps, spans);
                }
                true
            });
        }
    }
    h.finish();
}

#[test]
fn notebook_cell_parser_never_panics() {
    let mut seeds: Vec<Vec<u8>> = vec![
        b"let a = 1;\n// %% first\n//| label: one\n//| echo: false\nprint(a);\n// %% [markdown]\n// # Title\n//\n// text\n// %%\n//| error: true\nthrow 1;\n".to_vec(),
        "// %% [markdown]\n// é ü 日本\n// %%   \n//| label: a-b_c\n1\n".as_bytes().to_vec(),
    ];
    if let Ok(b) =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/odds_tour.rhai"))
    {
        seeds.push(b);
    }
    let tokens: &[&str] = &[
        "// %%",
        "// %% [markdown]",
        "//| label: ",
        "//| echo: ",
        "//| error: maybe",
        "//|",
        "\n",
        "\r\n",
        "é",
        "[markdown",
        "//| label: é",
    ];
    let mut h = Harness::new("notebook", 0x6e62_0001);
    for seed in &seeds {
        for _ in 0..scaled(600) {
            let mut input = h.mutate(seed, 64);
            // Also splice in the format's own tokens.
            for _ in 0..h.rng.random_range(0..4) {
                let t = tokens[h.rng.random_range(0..tokens.len())];
                let at = h.rng.random_range(0..=input.len());
                input.splice(at..at, t.bytes());
            }
            let text = String::from_utf8_lossy(&input).to_string();
            h.case(&input, || {
                let Ok(cells) = anml::notebook::parse(&text) else {
                    return false;
                };
                for c in &cells {
                    let _ = c.name();
                }
                true
            });
        }
    }
    h.finish();
}

#[test]
fn ipynb_reader_never_panics() {
    let tour = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/odds_tour.rhai"),
    )
    .unwrap_or_else(|_| "// %%\n1\n".into());
    let crlf = "\r\n// %% [markdown]\r\n  // x\r\n// %% t\r\n//| label: a\r\n/* open\r\n";
    let mut seeds: Vec<Vec<u8>> = [tour.as_str(), crlf]
        .iter()
        .filter_map(|t| anml::notebook::ipynb::to_ipynb(t).ok())
        .map(|nb| anml::notebook::ipynb::to_json_text(&nb).into_bytes())
        .collect();
    seeds.push(
        br##"{"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# t\n", "attachments": {"a.png": {"image/png": "AA=="}}},
            {"cell_type": "code", "metadata": {"tags": ["raises-exception"]}, "source": ["x\r\n", "y"], "outputs": [], "execution_count": 1},
            {"cell_type": "raw", "metadata": {}, "source": "r"}]}"##
            .to_vec(),
    );
    let mut h = Harness::new("ipynb", 0x6970_7901);
    for (i, seed) in seeds.iter().enumerate() {
        export_seed("ipynb", &format!("seed-{i}.ipynb"), seed);
    }
    for seed in &seeds {
        let parsed: Option<Value> = serde_json::from_slice(seed).ok();
        for i in 0..scaled(400) {
            let input = match (&parsed, i % 3) {
                (Some(v), 0 | 1) => serde_json::to_vec(&mutate_json(&mut h.rng, v)).unwrap(),
                _ => h.mutate(seed, 256),
            };
            let text = String::from_utf8_lossy(&input).to_string();
            h.case(&input, || {
                let Ok(rhai) = anml::notebook::ipynb::from_ipynb(&text) else {
                    return false;
                };
                // What it wrote reads back as a notebook and converts again.
                assert!(anml::notebook::parse(&rhai).is_ok(), "{rhai:?}");
                assert!(anml::notebook::ipynb::to_ipynb(&rhai).is_ok(), "{rhai:?}");
                true
            });
        }
    }
    h.finish();
}

// ---------------------------------------------------------------------------
// The model registry: model.json for every detector, and meta.json.

/// Every registered detector fitted on a tiny set, serialised.
fn fitted_models() -> Vec<(&'static str, Vec<u8>)> {
    let x = data(48, 3, 1);
    DETECTORS
        .iter()
        .filter_map(|spec| {
            let det = Detector::new(spec.name, &Map::new()).ok()?;
            let fitted = det.fit(x.view()).ok()?;
            Some((spec.name, fitted.to_bytes().ok()?))
        })
        .collect()
}

/// Load `bytes` as a model and, when it loads, score and re-save it: the
/// path `anml registry load` + `score` takes.
fn use_model(bytes: &[u8]) -> bool {
    let Ok(f) = FittedDetector::from_bytes(bytes) else {
        return false;
    };
    let d = f.n_features();
    if (1..=64).contains(&d) {
        let _ = f.score_samples(data(5, d, 9).view());
        let _ = f.predict(data(3, d, 4).view(), None);
    }
    let _ = f.to_bytes();
    let _ = f.decision_threshold();
    true
}

#[test]
fn every_detector_model_format_loads_or_errors_never_panics() {
    let models = fitted_models();
    assert!(models.len() >= DETECTORS.len() / 2, "few detectors fitted");
    let mut h = Harness::new("model_json", 0x6d6f_6401);
    for (name, bytes) in &models {
        export_seed("model_json", &format!("{name}.json"), bytes);
        let v: Value = serde_json::from_slice(bytes).expect("model json");
        for i in 0..scaled(80) {
            let input = if i % 4 == 3 {
                h.mutate(bytes, 128)
            } else {
                serde_json::to_vec(&mutate_json(&mut h.rng, &v)).unwrap()
            };
            h.case(&input, || use_model(&input));
            if let Some(last) = h.failures.last_mut()
                && !last.contains("detector ")
            {
                last.push_str(&format!(" (detector {name})"));
            }
        }
    }
    h.finish();
}

#[test]
fn registry_meta_and_model_files_never_panic() {
    use anml::registry::{ArtefactRegistry as Registry, Provenance, VersionChoice};
    let dir = tempfile::tempdir().unwrap();
    let reg = Registry::new(dir.path().join("reg"));
    let x = data(40, 2, 3);
    let fitted = Detector::new("hbos", &Map::new())
        .unwrap()
        .fit(x.view())
        .unwrap();
    let prov = Provenance {
        dataset: Some("toy".into()),
        dataset_sha256: Some("ab".repeat(32)),
        split: None,
        seed: Some(1),
        metrics: None,
        run_id: None,
    };
    reg.publish("m", &fitted, &prov, &VersionChoice::exact("1.0.0").unwrap())
        .unwrap();
    let entry = dir.path().join("reg/m/1.0.0");
    let meta_bytes = std::fs::read(entry.join("meta.json")).unwrap();
    let model_bytes = std::fs::read(entry.join("model.json")).unwrap();
    let meta: Value = serde_json::from_slice(&meta_bytes).unwrap();
    let model: Value = serde_json::from_slice(&model_bytes).unwrap();
    let mut h = Harness::new("registry", 0x7265_6701);
    for i in 0..scaled(400) {
        let (meta_in, model_in) = match i % 4 {
            0 => (
                serde_json::to_vec(&mutate_json(&mut h.rng, &meta)).unwrap(),
                model_bytes.clone(),
            ),
            1 => (h.mutate(&meta_bytes, 256), model_bytes.clone()),
            _ => {
                // A mutated model whose meta carries its digest, so the
                // bytes get past the integrity check to the parser.
                let m = if i % 4 == 2 {
                    serde_json::to_vec(&mutate_json(&mut h.rng, &model)).unwrap()
                } else {
                    h.mutate(&model_bytes, 128)
                };
                let mut mv = meta.clone();
                mv["sha256"] = json!(format!("sha256:{}", anml::hashing::sha256_hex(&m)));
                (serde_json::to_vec_pretty(&mv).unwrap(), m)
            }
        };
        std::fs::write(entry.join("meta.json"), &meta_in).unwrap();
        std::fs::write(entry.join("model.json"), &model_in).unwrap();
        let mut input = meta_in.clone();
        input.extend_from_slice(b"\n----model----\n");
        input.extend_from_slice(&model_in);
        h.case(&input, || {
            let _ = reg.show("m");
            let _ = reg.show("m@1");
            let _ = reg.list();
            let _ = reg.verify();
            let _ = reg.entries();
            let Ok((f, _)) = reg.load("m@1.0.0") else {
                return false;
            };
            let _ = f.score_samples(data(4, f.n_features().clamp(1, 8), 2).view());
            true
        });
    }
    h.finish();
}

// ---------------------------------------------------------------------------
// Run stores: records, sweep.json, `results merge` inputs.

/// A one-run suite store written by the real binary, or `None` without
/// the mirror.
fn real_store(sb: &common::Sandbox) -> Option<PathBuf> {
    let out = sb.root().join("store");
    if !common::mirror().join("odds").is_dir() {
        eprintln!("note: no dataset mirror; skipping the run-store seeds");
        return None;
    }
    let o = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", "wbc"])
        .args(["--models", "hbos", "--seeds", "0", "--output"])
        .arg(&out)
        .output()
        .expect("run anml");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(out)
}

#[test]
fn run_store_records_manifests_and_merge_inputs_never_panic() {
    use anml::bench::{RunStore, merge_stores};
    use anml::results::StoredRun;
    let sb = common::Sandbox::new();
    let Some(store_dir) = real_store(&sb) else {
        return;
    };
    let src = RunStore::new(&store_dir);
    let ids = src.run_ids().unwrap();
    let id = ids.first().expect("one run").clone();
    let record = std::fs::read(src.path_of(&id)).unwrap();
    let manifest = std::fs::read(store_dir.join("sweep.json")).unwrap();
    export_seed("run_record", "record.json", &record);
    export_seed("run_record", "sweep.json", &manifest);
    let record_v: Value = serde_json::from_slice(&record).unwrap();
    let manifest_v: Value = serde_json::from_slice(&manifest).unwrap();
    let scores = npy_bytes(&ndarray::array![0.5f64, 1.5, -2.0]);
    let registry = anml::data::DatasetRegistry::new(sb.cache())
        .with_mirror(Some(common::mirror()))
        .with_download(false);

    let mut h = Harness::new("run_store", 0x7275_6e01);
    for i in 0..scaled(300) {
        let rec_in = if i % 2 == 0 {
            serde_json::to_vec(&mutate_json(&mut h.rng, &record_v)).unwrap()
        } else {
            h.mutate(&record, 256)
        };
        let man_in = if i % 3 == 0 {
            serde_json::to_vec(&mutate_json(&mut h.rng, &manifest_v)).unwrap()
        } else if i % 3 == 1 {
            h.mutate(&manifest, 256)
        } else {
            manifest.clone()
        };
        let scores_in = h.mutate(&scores, 128);
        // A copy of the store holding the mutated files.
        let case_dir = sb.root().join(format!("case{i}"));
        let store = RunStore::new(&case_dir);
        std::fs::create_dir_all(store.runs_dir()).unwrap();
        std::fs::write(store.path_of(&id), &rec_in).unwrap();
        std::fs::write(store.scores_path(&id), &scores_in).unwrap();
        std::fs::write(case_dir.join("sweep.json"), &man_in).unwrap();
        let mut input = rec_in.clone();
        input.extend_from_slice(b"\n----sweep.json----\n");
        input.extend_from_slice(&man_in);
        let merge_too = i % 5 == 0;
        let out = RunStore::new(sb.root().join(format!("merged{i}")));
        h.case(&input, || {
            if let Ok(text) = std::str::from_utf8(&rec_in) {
                let _ = StoredRun::from_json(text);
            }
            let found = matches!(store.get(&id), Ok(anml::bench::Lookup::Found(_)));
            let _ = store.run_ids();
            let _ = store.read_manifest();
            let _ = store.read_scores(&id);
            if merge_too {
                let _ = merge_stores(std::slice::from_ref(&store), &out, &registry);
            }
            found
        });
        let _ = std::fs::remove_dir_all(&case_dir);
    }
    h.finish();
}

/// A 90-byte `.npy` whose header claims 2^40 float64 values (8 TiB).
fn huge_claim_npy() -> Vec<u8> {
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }\n";
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

#[test]
fn series_profile_refuses_a_huge_npy_claim_with_the_limit_named() {
    // Regression (issue 17): `anml series profile --input x.npy` read the
    // file with ndarray-npy, which allocated the claimed 8 TiB and aborted.
    let sb = common::Sandbox::new();
    let path = sb.root().join("huge.npy");
    std::fs::write(&path, huge_claim_npy()).unwrap();
    let o = sb
        .anml()
        .args(["series", "profile", "--input"])
        .arg(&path)
        .args(["--m", "10"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.code().is_some(), "killed by a signal: {stderr}");
    assert!(!o.status.success(), "{stderr}");
    assert!(
        stderr.contains("the limit is 268435456 values") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn a_run_stores_scores_file_claiming_a_huge_array_is_a_store_error() {
    // Regression (issue 17): RunStore::read_scores allocated what the
    // scores file's header claimed.
    let dir = tempfile::tempdir().unwrap();
    let store = anml::bench::RunStore::new(dir.path());
    std::fs::create_dir_all(store.runs_dir()).unwrap();
    let id = "ab".repeat(32);
    std::fs::write(store.scores_path(&id), huge_claim_npy()).unwrap();
    let e = store.read_scores(&id).unwrap_err();
    assert!(
        matches!(e, anml::bench::BenchError::BadStoreFile { .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("the limit is 268435456 values"),
        "{e}"
    );
}
