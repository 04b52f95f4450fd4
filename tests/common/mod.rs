//! Shared test helpers: the dataset mirror, temp workspaces, and running the
//! real `anml` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `$ANML_DATA_MIRROR`, else `../shared/datasets` beside the repository.
pub fn mirror() -> PathBuf {
    std::env::var_os("ANML_DATA_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"))
}

/// A fresh workspace with its own empty dataset cache.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// `anml` with the workspace, cache and mirror set, downloads off.
    pub fn anml(&self) -> Command {
        self.anml_with_mirror(&mirror())
    }

    pub fn anml_with_mirror(&self, mirror: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_anml"));
        c.env_remove("ANML_DATA_MIRROR")
            .env_remove("ANML_DATA_DIR")
            .env_remove("ANML_WORKSPACE")
            .arg("--workspace")
            .arg(self.root())
            .arg("--data-dir")
            .arg(self.cache())
            .arg("--data-mirror")
            .arg(mirror)
            .arg("--offline");
        c
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root().join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
