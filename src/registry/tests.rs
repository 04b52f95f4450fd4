use super::*;
use crate::detectors::test_support::{bits, data, detector};
use serde_json::json;

fn fitted(name: &str) -> FittedDetector {
    detector(name, json!({}))
        .fit(data(60, 3, 1).view())
        .unwrap()
}

fn reg() -> (tempfile::TempDir, ArtefactRegistry) {
    let dir = tempfile::tempdir().unwrap();
    let r = ArtefactRegistry::new(dir.path().join("registry"));
    (dir, r)
}

fn bump(b: Bump) -> VersionChoice {
    VersionChoice::Bump(b)
}

fn exact(v: &str) -> VersionChoice {
    VersionChoice::exact(v).unwrap()
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

#[test]
fn publish_list_show_and_load() {
    let (_d, r) = reg();
    let f = fitted("hbos");
    let prov = Provenance::dataset("toy-blobs", &"ab".repeat(32));
    let meta = r.publish("m", &f, &prov, &bump(Bump::Patch)).unwrap();
    assert_eq!(meta.id(), "m@1.0.0");
    assert_eq!(meta.sha256, f.digest().unwrap());
    assert_eq!(meta.detector, "hbos");
    assert_eq!(meta.params, f.detector().all_params());
    assert_eq!(meta.dataset.as_deref(), Some("toy-blobs"));
    assert_eq!(meta.model_format_version, MODEL_FORMAT_VERSION);
    assert!(meta.split.is_none() && meta.seed.is_none() && meta.metrics.is_none());

    let dir = r.root().join("m/1.0.0");
    assert_eq!(
        std::fs::read(dir.join(MODEL_FILE)).unwrap(),
        f.to_bytes().unwrap()
    );
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(META_FILE)).unwrap()).unwrap();
    assert_eq!(on_disk["sha256"], json!(f.digest().unwrap()));
    assert_eq!(on_disk["split"], serde_json::Value::Null);

    let list = r.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].2.as_ref().unwrap(), &meta);
    assert_eq!(r.show("m").unwrap(), meta);
    let (loaded, m2) = r.load("m@1.0.0").unwrap();
    assert_eq!(m2, meta);
    let x = data(20, 3, 9);
    assert_eq!(
        bits(&loaded.score_samples(x.view()).unwrap()),
        bits(&f.score_samples(x.view()).unwrap())
    );
    // Nothing but the entry, the lock and the (empty) staging area.
    let mut top: Vec<String> = std::fs::read_dir(r.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, [".lock", ".staging", "m"]);
    assert_eq!(
        std::fs::read_dir(r.root().join(".staging"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn republishing_a_version_is_an_error_and_changes_nothing() {
    let (_d, r) = reg();
    let a = fitted("hbos");
    r.publish("m", &a, &Provenance::default(), &exact("1.2.0"))
        .unwrap();
    let before = std::fs::read(r.root().join("m/1.2.0/meta.json")).unwrap();
    let err = r
        .publish(
            "m",
            &fitted("copod"),
            &Provenance::default(),
            &exact("1.2.0"),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::VersionExists { ref id } if id == "m@1.2.0"));
    assert!(err.to_string().contains("immutable"), "{err}");
    assert_eq!(
        std::fs::read(r.root().join("m/1.2.0/meta.json")).unwrap(),
        before
    );
    assert_eq!(r.load("m").unwrap().0.name(), "hbos");
    assert_eq!(
        std::fs::read_dir(r.root().join(".staging"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn rename_refuses_an_existing_version_even_without_the_lock_check() {
    // The lock-free safety net: the final rename alone refuses to replace
    // a published version.
    let (_d, r) = reg();
    r.publish(
        "m",
        &fitted("hbos"),
        &Provenance::default(),
        &exact("1.0.0"),
    )
    .unwrap();
    let err = publish::stage_and_rename(
        r.root(),
        &r.root().join("m/1.0.0"),
        &[(MODEL_FILE, b"x")],
        "m@1.0.0",
    )
    .unwrap_err();
    assert!(matches!(err, RegistryError::VersionExists { .. }), "{err}");
    assert!(r.verify().unwrap().problems.is_empty());
    assert_eq!(
        std::fs::read_dir(r.root().join(".staging"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn bump_sequence() {
    let (_d, r) = reg();
    let f = fitted("hbos");
    let p = Provenance::default();
    let mut ids = Vec::new();
    for b in [
        Bump::Patch,
        Bump::Patch,
        Bump::Minor,
        Bump::Major,
        Bump::Minor,
    ] {
        ids.push(r.publish("m", &f, &p, &bump(b)).unwrap().id());
    }
    assert_eq!(ids, ["m@1.0.0", "m@1.0.1", "m@1.1.0", "m@2.0.0", "m@2.1.0"]);
    // The first version of a name is 1.0.0 whatever the bump.
    assert_eq!(
        r.publish("n", &f, &p, &bump(Bump::Major)).unwrap().id(),
        "n@1.0.0"
    );
    // A bump moves from the highest release, ignoring pre-releases.
    r.publish("m", &f, &p, &exact("3.0.0-rc.1")).unwrap();
    assert_eq!(
        r.publish("m", &f, &p, &bump(Bump::Patch)).unwrap().id(),
        "m@2.1.1"
    );
    assert_eq!(
        r.publish("m", &f, &p, &bump(Bump::Major)).unwrap().id(),
        "m@3.0.0"
    );
    assert_eq!(r.versions("m").unwrap().len(), 8);
    assert_eq!(r.names().unwrap(), ["m", "n"]);
}

#[test]
fn bump_from_only_prereleases_is_the_first_release() {
    let pre = [v("1.0.0-alpha"), v("1.0.0-beta.2")];
    assert_eq!(bump(Bump::Patch).resolve(&pre), v("1.0.0"));
    assert_eq!(bump(Bump::Minor).resolve(&[]), v("1.0.0"));
    assert!("huge".parse::<Bump>().is_err());
    assert_eq!("minor".parse::<Bump>().unwrap(), Bump::Minor);
    assert!(VersionChoice::exact("1.2").is_err());
    assert!(VersionChoice::exact("1.0.0+build.5").is_err());
}

#[test]
fn resolution_picks_the_highest_match_and_prereleases_only_when_named() {
    let (_d, r) = reg();
    let f = fitted("hbos");
    let p = Provenance::default();
    for ver in [
        "0.9.0",
        "1.0.0",
        "1.2.0",
        "1.2.7",
        "1.3.0-rc.1",
        "1.10.0",
        "2.0.0",
        "2.1.0-beta.1",
    ] {
        r.publish("m", &f, &p, &exact(ver)).unwrap();
    }
    let got = |spec: &str| r.resolve(spec).map(|(_, v)| v.to_string());
    assert_eq!(got("m").unwrap(), "2.0.0");
    assert_eq!(got("m@*").unwrap(), "2.0.0");
    assert_eq!(got("m@1.2.0").unwrap(), "1.2.0", "a bare version pins");
    assert_eq!(got("m@=1.2.0").unwrap(), "1.2.0");
    assert_eq!(got("m@^1.2").unwrap(), "1.10.0");
    assert_eq!(got("m@~1.2").unwrap(), "1.2.7");
    assert_eq!(got("m@>=1.0, <2").unwrap(), "1.10.0");
    assert_eq!(got("m@<1").unwrap(), "0.9.0");
    // Pre-releases: only when the requirement names one of the same triple.
    assert_eq!(got("m@>=1.3.0-rc.0, <1.4").unwrap(), "1.3.0-rc.1");
    assert_eq!(got("m@1.3.0-rc.1").unwrap(), "1.3.0-rc.1");
    assert_eq!(got("m@^2.1.0-beta").unwrap(), "2.1.0-beta.1");
    assert_eq!(
        got("m@>=2").unwrap(),
        "2.0.0",
        "2.1.0-beta.1 is not offered"
    );
    assert!(
        got("m@~1.3")
            .unwrap_err()
            .to_string()
            .contains("1.3.0-rc.1")
    );

    match r.resolve("m@^3").unwrap_err() {
        RegistryError::NoMatch { available, .. } => {
            assert!(available.contains("1.10.0") && available.contains("2.1.0-beta.1"))
        }
        e => panic!("{e}"),
    }
    match r.resolve("nope@1.0.0").unwrap_err() {
        RegistryError::UnknownName { name, known, .. } => {
            assert_eq!(name, "nope");
            assert_eq!(known, "m");
        }
        e => panic!("{e}"),
    }
    assert!(matches!(
        r.resolve("m@not a req").unwrap_err(),
        RegistryError::InvalidVersion { .. }
    ));
    assert!(matches!(
        r.resolve("M@1").unwrap_err(),
        RegistryError::InvalidName { .. }
    ));
}

#[test]
fn names_are_validated() {
    for good in ["m", "0", "fraud-iforest", "a.b_c-d", &"a".repeat(64)] {
        assert!(validate_name(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "Fraud",
        "-a",
        ".a",
        "_a",
        "a/b",
        "a@1",
        "a..b",
        "a b",
        "é",
        "a\\b",
        &"a".repeat(65),
    ] {
        assert!(
            matches!(validate_name(bad), Err(RegistryError::InvalidName { .. })),
            "{bad:?}"
        );
    }
    let (_d, r) = reg();
    let err = r
        .publish(
            "../x",
            &fitted("hbos"),
            &Provenance::default(),
            &bump(Bump::Patch),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::InvalidName { .. }));
    assert!(!r.root().exists(), "nothing is created for a bad name");
}

#[test]
fn a_tampered_model_is_an_integrity_error_and_nothing_loads() {
    let (_d, r) = reg();
    let f = fitted("hbos");
    r.publish("m", &f, &Provenance::default(), &bump(Bump::Patch))
        .unwrap();
    r.publish("ok", &f, &Provenance::default(), &bump(Bump::Patch))
        .unwrap();
    let path = r.root().join("m/1.0.0/model.json");
    let mut bytes = std::fs::read(&path).unwrap();
    // Flip a digit inside the model: still valid JSON, different numbers.
    let i = bytes.iter().rposition(u8::is_ascii_digit).unwrap();
    bytes[i] = if bytes[i] == b'1' { b'2' } else { b'1' };
    std::fs::write(&path, &bytes).unwrap();
    assert!(FittedDetector::from_bytes(&bytes).is_ok(), "still parses");

    let err = r.load("m").unwrap_err();
    match &err {
        RegistryError::Integrity {
            id,
            expected,
            found,
            ..
        } => {
            assert_eq!(id, "m@1.0.0");
            assert_eq!(expected, &f.digest().unwrap());
            assert_ne!(found, expected);
        }
        e => panic!("{e}"),
    }
    let report = r.verify().unwrap();
    assert_eq!(report.ok, ["ok@1.0.0"]);
    assert_eq!(report.problems.len(), 1);
    assert!(matches!(
        report.problems[0],
        RegistryError::Integrity { .. }
    ));
    assert!(report.problems[0].to_string().contains("m@1.0.0"));
}

#[test]
fn verify_reports_missing_files_bad_metas_mismatches_and_strays() {
    let (_d, r) = reg();
    let f = fitted("hbos");
    let p = Provenance::default();
    for name in ["a", "b", "c", "d"] {
        r.publish(name, &f, &p, &bump(Bump::Patch)).unwrap();
    }
    assert_eq!(r.verify().unwrap().ok.len(), 4);
    std::fs::remove_file(r.root().join("a/1.0.0/model.json")).unwrap();
    std::fs::write(r.root().join("b/1.0.0/meta.json"), b"{ not json").unwrap();
    // c's meta copied into d: it names c@1.0.0 while sitting in d/1.0.0.
    std::fs::copy(
        r.root().join("c/1.0.0/meta.json"),
        r.root().join("d/1.0.0/meta.json"),
    )
    .unwrap();
    std::fs::create_dir_all(r.root().join("c/latest")).unwrap();
    std::fs::write(r.root().join("README"), b"hi").unwrap();

    let report = r.verify().unwrap();
    assert_eq!(report.ok, ["c@1.0.0"]);
    let kinds: Vec<String> = report
        .problems
        .iter()
        .map(|e| match e {
            RegistryError::MissingFile { id, .. } => format!("missing {id}"),
            RegistryError::BadMeta { id, .. } => format!("meta {id}"),
            RegistryError::Mismatch { id, .. } => format!("mismatch {id}"),
            RegistryError::NotAnEntry { path } => {
                format!("stray {}", path.file_name().unwrap().to_string_lossy())
            }
            e => format!("other {e}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "missing a@1.0.0",
            "meta b@1.0.0",
            "mismatch d@1.0.0",
            "stray README",
            "stray latest"
        ]
    );
    assert!(matches!(
        r.load("d").unwrap_err(),
        RegistryError::Mismatch { .. }
    ));
    assert!(matches!(
        r.show("b").unwrap_err(),
        RegistryError::BadMeta { .. }
    ));
    assert!(matches!(
        r.load("a").unwrap_err(),
        RegistryError::MissingFile { .. }
    ));
}

#[test]
fn stale_staging_is_removed_by_the_next_publish_and_ignored_meanwhile() {
    let (_d, r) = reg();
    let f = fitted("hbos");
    r.publish("m", &f, &Provenance::default(), &bump(Bump::Patch))
        .unwrap();
    // What a publish killed before its rename leaves behind.
    let stale = r.root().join(".staging/12345-1-0");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("model.json"), b"{\"half").unwrap();
    std::fs::write(r.root().join(".staging/junk"), b"").unwrap();
    // An empty name directory: a publish killed between mkdir and rename.
    std::fs::create_dir_all(r.root().join("ghost")).unwrap();
    assert!(r.verify().unwrap().problems.is_empty());
    assert_eq!(r.entries().unwrap().len(), 1);
    assert!(matches!(
        r.resolve("ghost"),
        Err(RegistryError::UnknownName { .. })
    ));

    r.publish("m", &f, &Provenance::default(), &bump(Bump::Patch))
        .unwrap();
    assert_eq!(
        std::fs::read_dir(r.root().join(".staging"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(r.versions("m").unwrap(), [v("1.0.0"), v("1.0.1")]);
    // The lock is released: a second registry object can publish at once.
    let r2 = ArtefactRegistry::new(r.root());
    assert!(
        r2.publish("ghost", &f, &Provenance::default(), &bump(Bump::Patch))
            .is_ok()
    );
}

#[test]
fn parallel_publishers_in_one_process_get_distinct_versions() {
    let (_d, r) = reg();
    let f = fitted("hbos");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..5 {
                    r.publish("m", &f, &Provenance::default(), &bump(Bump::Patch))
                        .unwrap();
                }
            });
        }
    });
    let versions = r.versions("m").unwrap();
    assert_eq!(versions.len(), 20);
    assert_eq!(versions.last().unwrap(), &v("1.0.19"));
    assert!(r.verify().unwrap().problems.is_empty());
}

#[cfg(unix)]
#[test]
fn verify_reports_a_symlink_once_and_never_follows_it() {
    let (d, r) = reg();
    let f = fitted("hbos");
    r.publish("m", &f, &Provenance::default(), &bump(Bump::Patch))
        .unwrap();
    // A directory full of things that would each be a problem if followed.
    let outside = d.path().join("outside");
    for k in 0..20 {
        std::fs::create_dir_all(outside.join(format!("junk{k}"))).unwrap();
        std::fs::write(outside.join(format!("file{k}")), b"x").unwrap();
    }
    std::os::unix::fs::symlink(&outside, r.root().join("linked")).unwrap();
    std::os::unix::fs::symlink(r.root().join("m/1.0.0"), r.root().join("m/2.0.0")).unwrap();
    let report = r.verify().unwrap();
    assert_eq!(report.ok, ["m@1.0.0"]);
    let links: Vec<String> = report
        .problems
        .iter()
        .map(|e| match e {
            RegistryError::Symlink { path } => {
                path.strip_prefix(r.root()).unwrap().display().to_string()
            }
            e => format!("other {e}"),
        })
        .collect();
    assert_eq!(links, ["linked", "m/2.0.0"]);
    // a linked version is not published: it neither lists nor loads
    assert_eq!(r.versions("m").unwrap(), [v("1.0.0")]);
    assert!(r.load("m@2.0.0").is_err());
    // a linked name is refused, and a linked model file is not read
    std::os::unix::fs::symlink(r.root().join("m"), r.root().join("n")).unwrap();
    assert!(matches!(
        r.load("n").unwrap_err(),
        RegistryError::Symlink { .. }
    ));
    // nothing is published through a linked name
    assert!(matches!(
        r.publish("n", &f, &Provenance::default(), &bump(Bump::Patch))
            .unwrap_err(),
        RegistryError::Symlink { .. }
    ));
    let model = r.root().join("m/1.0.0").join(MODEL_FILE);
    let copy = d.path().join("model-copy.json");
    std::fs::rename(&model, &copy).unwrap();
    std::os::unix::fs::symlink(&copy, &model).unwrap();
    assert!(matches!(
        r.load("m@1.0.0").unwrap_err(),
        RegistryError::Symlink { .. }
    ));
}
