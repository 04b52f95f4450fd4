//! Names, version choices and version requirements: the rules that decide
//! which directory a publish writes and which one a load reads.

use super::RegistryError;
use semver::{Version, VersionReq};
use std::str::FromStr;

/// Longest artefact name (the first character plus 63 more).
pub const MAX_NAME_LEN: usize = 64;

/// Check an artefact name: `^[a-z0-9][a-z0-9_.-]{0,63}$` and no `..`. Names
/// become directory names, so anything that could climb out of the registry
/// (`/`, `..`) or clash with the `name@version` syntax (`@`) is refused.
pub fn validate_name(name: &str) -> Result<(), RegistryError> {
    let bad = |reason: &str| RegistryError::InvalidName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(bad("it is empty")),
        Some(c) if !(c.is_ascii_lowercase() || c.is_ascii_digit()) => {
            return Err(bad("it must start with a lower-case letter or a digit"));
        }
        Some(_) => {}
    }
    if name.len() > MAX_NAME_LEN {
        return Err(bad("it is longer than 64 characters"));
    }
    if let Some(c) =
        chars.find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c)))
    {
        return Err(bad(&format!(
            "`{c}` is not allowed (use a-z, 0-9, `_`, `.`, `-`)"
        )));
    }
    if name.contains("..") {
        return Err(bad("it contains `..`"));
    }
    Ok(())
}

/// Which part of the version a bump increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    Patch,
    Minor,
    Major,
}

impl FromStr for Bump {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "patch" => Ok(Bump::Patch),
            "minor" => Ok(Bump::Minor),
            "major" => Ok(Bump::Major),
            other => Err(RegistryError::InvalidVersion {
                text: other.to_string(),
                message: "a bump is `patch`, `minor` or `major`".into(),
            }),
        }
    }
}

/// The version a publish asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionChoice {
    /// Exactly this version; publishing it twice is an error.
    Exact(Version),
    /// The next version after the highest published release.
    Bump(Bump),
}

impl VersionChoice {
    /// An exact version from text (`1.2.0`, `2.0.0-rc.1`). Build metadata
    /// (`+abc`) is refused: semver ignores it for ordering, so `1.0.0+a` and
    /// `1.0.0+b` would be two directories no requirement could tell apart.
    pub fn exact(text: &str) -> Result<Self, RegistryError> {
        let v = Version::parse(text.trim()).map_err(|e| RegistryError::InvalidVersion {
            text: text.to_string(),
            message: e.to_string(),
        })?;
        if !v.build.is_empty() {
            return Err(RegistryError::InvalidVersion {
                text: text.to_string(),
                message: "build metadata (`+…`) is not allowed in a published version".into(),
            });
        }
        Ok(VersionChoice::Exact(v))
    }

    /// The version to publish given the versions that exist.
    ///
    /// A bump starts from the highest published *release* (pre-releases are
    /// ignored: `1.1.0-rc.1` then `--bump minor` gives `1.1.0`, and `--bump
    /// patch` after only pre-releases gives `1.0.0`). A name with no release
    /// yet gets `1.0.0` whatever the bump: a first publish is a first
    /// release, not `0.0.1`.
    pub fn resolve(&self, existing: &[Version]) -> Version {
        match self {
            VersionChoice::Exact(v) => v.clone(),
            VersionChoice::Bump(b) => match existing.iter().filter(|v| v.pre.is_empty()).max() {
                None => Version::new(1, 0, 0),
                Some(h) => match b {
                    Bump::Patch => Version::new(h.major, h.minor, h.patch + 1),
                    Bump::Minor => Version::new(h.major, h.minor + 1, 0),
                    Bump::Major => Version::new(h.major + 1, 0, 0),
                },
            },
        }
    }
}

/// What a load asks for: a name and which of its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    pub name: String,
    pub req: VersionReq,
    /// The text after `@` (or `*`), for messages.
    pub req_text: String,
}

impl ModelSpec {
    /// Parse `name`, `name@1.2.3`, `name@^1.2`, `name@>=1.0, <2`.
    ///
    /// A bare name means the highest release (`*`). A full version alone
    /// (`name@1.2.3`) means exactly that version, not semver's default
    /// caret (`^1.2.3`), because pinning is what people mean when they
    /// write one. Pre-releases match only when the requirement names a
    /// pre-release of the same `major.minor.patch` (semver's rule).
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        let (name, req_text) = match text.split_once('@') {
            Some((n, r)) => (n.trim(), r.trim()),
            None => (text.trim(), "*"),
        };
        validate_name(name)?;
        let invalid = |message: String| RegistryError::InvalidVersion {
            text: req_text.to_string(),
            message,
        };
        let req = match Version::parse(req_text) {
            Ok(v) => VersionReq::parse(&format!("={v}")).map_err(|e| invalid(e.to_string()))?,
            Err(_) => VersionReq::parse(req_text).map_err(|e| invalid(e.to_string()))?,
        };
        Ok(Self {
            name: name.to_string(),
            req,
            req_text: req_text.to_string(),
        })
    }

    /// The highest of `versions` the requirement matches.
    pub fn best<'a>(&self, versions: &'a [Version]) -> Option<&'a Version> {
        versions.iter().filter(|v| self.req.matches(v)).max()
    }
}
