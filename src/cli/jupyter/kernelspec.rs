//! `anml jupyter install`: the kernelspec Jupyter finds the kernel by — a
//! `kernel.json` naming this binary, plus the 32×32 and 64×64 logos
//! JupyterLab's launcher shows — written where Jupyter looks: the user's
//! data directory (`--user`), the active environment (`--sys-prefix`) or
//! any prefix (`--prefix`).

use super::JupyterError;
use std::path::{Path, PathBuf};

use crate::notebook::ipynb::LANGUAGE;
pub use crate::notebook::ipynb::{KERNEL_DISPLAY_NAME as DISPLAY_NAME, KERNEL_NAME};

/// Where to install.
#[derive(Debug, Clone)]
pub enum Target {
    /// `$JUPYTER_DATA_DIR`, else the user data dir's `jupyter/`.
    User,
    /// The active virtualenv or conda environment.
    SysPrefix,
    /// `PREFIX/share/jupyter`.
    Prefix(PathBuf),
}

/// The Jupyter data directory of `target`.
pub fn data_dir(target: &Target) -> Result<PathBuf, JupyterError> {
    match target {
        Target::User => {
            if let Some(d) = std::env::var_os("JUPYTER_DATA_DIR").filter(|d| !d.is_empty()) {
                return Ok(PathBuf::from(d));
            }
            dirs::data_dir().map(|d| d.join("jupyter")).ok_or_else(|| {
                JupyterError::Install("no user data directory (is $HOME set?)".into())
            })
        }
        Target::SysPrefix => {
            let env = ["VIRTUAL_ENV", "CONDA_PREFIX"]
                .iter()
                .find_map(|v| std::env::var_os(v).filter(|p| !p.is_empty()))
                .map(PathBuf::from)
                .or_else(installed_env);
            env.map(|p| p.join("share").join("jupyter")).ok_or_else(|| {
                JupyterError::Install(
                    "--sys-prefix: no active environment ($VIRTUAL_ENV / $CONDA_PREFIX unset, and \
                     anml is not installed in a virtualenv); activate one or use --user or --prefix"
                        .into(),
                )
            })
        }
        Target::Prefix(p) => Ok(p.join("share").join("jupyter")),
    }
}

/// The virtualenv this binary is installed in, if any: the nearest
/// directory above it holding `pyvenv.cfg` (the wheel puts the binary in
/// `ENV/lib/pythonX.Y/site-packages/anml.scripts/`, behind the
/// `ENV/bin/anml` launcher).
fn installed_env() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .take(6)
        .find(|d| d.join("pyvenv.cfg").is_file())
        .map(Path::to_path_buf)
}

/// `kernel.json` for the binary at `exe`, started with the global flags
/// `flags` (limits, workspace, data directories) before `jupyter`.
pub fn kernel_json(exe: &Path, flags: &[String]) -> serde_json::Value {
    let mut argv = vec![exe.display().to_string()];
    argv.extend(flags.iter().cloned());
    argv.extend(["jupyter", "--connection-file", "{connection_file}"].map(String::from));
    serde_json::json!({
        "argv": argv,
        "display_name": DISPLAY_NAME,
        "language": LANGUAGE,
        "interrupt_mode": "message",
        "metadata": {
            "anml_version": crate::VERSION,
            "debugger": false
        }
    })
}

/// Write the kernelspec for this binary under `target`, the kernel to
/// start with `flags`; returns its directory.
pub fn install(target: &Target, flags: &[String]) -> Result<PathBuf, JupyterError> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| JupyterError::Install(format!("cannot find this binary's path: {e}")))?;
    let dir = data_dir(target)?.join("kernels").join(KERNEL_NAME);
    let io = |path: &Path, e: std::io::Error| {
        JupyterError::Install(format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let json = serde_json::to_string_pretty(&kernel_json(&exe, flags))
        .map_err(|e| JupyterError::Install(e.to_string()))?;
    let spec = dir.join("kernel.json");
    crate::atomic_file::write(&spec, format!("{json}\n").as_bytes()).map_err(|e| io(&spec, e))?;
    for size in [32u32, 64] {
        let path = dir.join(format!("logo-{size}x{size}.png"));
        crate::atomic_file::write(&path, &logo_png(size)?).map_err(|e| io(&path, e))?;
    }
    Ok(dir)
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (a.0 + t * dx - p.0, a.1 + t * dy - p.1);
    (x * x + y * y).sqrt()
}

/// The logo at `size`×`size`: a time series with one anomalous spike
/// (white, the spike's tip red) on a rounded blue square, anti-aliased,
/// drawn here so no image file ships.
pub fn logo_png(size: u32) -> Result<Vec<u8>, JupyterError> {
    let s = f64::from(size);
    // the series in unit coordinates (y down)
    let pts: Vec<(f64, f64)> = [
        (0.14, 0.62),
        (0.26, 0.56),
        (0.36, 0.64),
        (0.46, 0.58),
        (0.54, 0.18),
        (0.62, 0.60),
        (0.74, 0.55),
        (0.86, 0.63),
    ]
    .iter()
    .map(|&(x, y)| (x * s, y * s))
    .collect();
    let spike = pts[4];
    let (radius, width) = (0.2 * s, 0.045 * s);
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let p = (f64::from(x) + 0.5, f64::from(y) + 0.5);
            // rounded square: distance outside the inner rectangle
            let qx = (p.0 - s / 2.0).abs() - (s / 2.0 - radius);
            let qy = (p.1 - s / 2.0).abs() - (s / 2.0 - radius);
            let outside = qx.max(0.0).hypot(qy.max(0.0)) - radius;
            let bg_alpha = (0.5 - outside).clamp(0.0, 1.0);
            let d = pts
                .windows(2)
                .map(|w| segment_distance(p, w[0], w[1]))
                .fold(f64::INFINITY, f64::min);
            let line = (width - d + 0.5).clamp(0.0, 1.0);
            let dot_d = ((p.0 - spike.0).powi(2) + (p.1 - spike.1).powi(2)).sqrt();
            let dot = (0.09 * s - dot_d + 0.5).clamp(0.0, 1.0);
            let mix = |bg: f64, fg: f64, a: f64| bg * (1.0 - a) + fg * a;
            let (mut r, mut g, mut b) = (31.0, 78.0, 121.0);
            (r, g, b) = (
                mix(r, 255.0, line),
                mix(g, 255.0, line),
                mix(b, 255.0, line),
            );
            (r, g, b) = (mix(r, 220.0, dot), mix(g, 50.0, dot), mix(b, 47.0, dot));
            rgba.extend([r as u8, g as u8, b as u8, (255.0 * bg_alpha) as u8]);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size, size);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let err =
            |e: png::EncodingError| JupyterError::Install(format!("cannot draw the logo: {e}"));
        let mut w = enc.write_header().map_err(err)?;
        w.write_image_data(&rgba).map_err(err)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_json_names_this_binary_and_message_interrupts() {
        let j = kernel_json(Path::new("/opt/anml/bin/anml"), &[]);
        assert_eq!(j["argv"][0], "/opt/anml/bin/anml");
        assert_eq!(j["argv"][3], "{connection_file}");
        let j = kernel_json(Path::new("/a"), &["--max-operations=5".into()]);
        assert_eq!(j["argv"][1], "--max-operations=5");
        assert_eq!(j["argv"][2], "jupyter");
        assert_eq!(j["interrupt_mode"], "message");
        assert_eq!(j["language"], "rhai");
    }

    #[test]
    fn logos_are_pngs_of_their_size() {
        for size in [32, 64] {
            let png = logo_png(size).unwrap();
            let d = png::Decoder::new(std::io::Cursor::new(png));
            let r = d.read_info().unwrap();
            assert_eq!((r.info().width, r.info().height), (size, size));
        }
    }

    #[test]
    fn prefix_installs_under_share_jupyter() {
        let d = data_dir(&Target::Prefix("/tmp/venv".into())).unwrap();
        assert_eq!(d, Path::new("/tmp/venv/share/jupyter"));
    }
}
