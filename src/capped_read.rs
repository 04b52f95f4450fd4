//! Reading a text file a user names, whole, under a size cap: the REPL's
//! `:load`, an `.ipynb`, a Jupyter connection file. Only regular files are
//! read (a FIFO would block, `/dev/zero` never ends and reports size 0),
//! and the cap holds both before reading and while reading (the file may
//! grow in between), so no input can make anml read without bound.

use std::io::Read;
use std::path::Path;

/// Why a capped read failed.
#[derive(Debug)]
pub enum CappedReadError {
    /// Opening or reading failed (missing, no permission, not UTF-8).
    Io(std::io::Error),
    /// The path is a directory, FIFO, device or socket.
    NotAFile,
    /// The file holds (at least) `bytes` bytes, more than the cap.
    TooLarge { bytes: u64 },
}

/// The text of the regular file `path`, if it is at most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, CappedReadError> {
    let meta = std::fs::metadata(path).map_err(CappedReadError::Io)?;
    if !meta.is_file() {
        return Err(CappedReadError::NotAFile);
    }
    if meta.len() > limit {
        return Err(CappedReadError::TooLarge { bytes: meta.len() });
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_string(&mut text))
        .map_err(CappedReadError::Io)?;
    if text.len() as u64 > limit {
        return Err(CappedReadError::TooLarge {
            bytes: text.len() as u64,
        });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_under_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        std::fs::write(&f, "hello").unwrap();
        assert_eq!(read_text(&f, 5).unwrap(), "hello");
        assert!(matches!(
            read_text(&f, 4),
            Err(CappedReadError::TooLarge { bytes: 5 })
        ));
        assert!(matches!(
            read_text(dir.path(), 100),
            Err(CappedReadError::NotAFile)
        ));
        assert!(matches!(
            read_text(Path::new("/dev/zero"), 100),
            Err(CappedReadError::NotAFile)
        ));
        assert!(matches!(
            read_text(&dir.path().join("missing"), 100),
            Err(CappedReadError::Io(_))
        ));
    }
}
