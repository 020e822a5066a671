//! Dead properties (RFC 4918 §4.1): stored per resource in an internal XML file, written
//! atomically, so they survive restarts and no URL can reach them.
//!
//! - a file `dir/name` keeps its properties in `dir/.methodical-props-name` (names too long
//!   for that get a hashed store name);
//! - a collection keeps its own in `collection/.methodical-props`, so they travel with the
//!   folder when it is renamed, copied or removed.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use methodical_fs::{AtomicFile, INTERNAL_PREFIX};

use bytes::Bytes;

use crate::xml::{parse, Element, XmlError, XmlWriter};

/// Namespace of the store file's root element (never sent to clients).
const STORE_NS: &str = "urn:x-methodical:dead-properties";
/// Longest file name most filesystems accept.
const NAME_MAX: usize = 255;

fn dir_store() -> String {
    format!("{INTERNAL_PREFIX}props")
}

/// The store file name for a member file called `name`.
pub fn file_store_name(name: &str) -> String {
    let direct = format!("{INTERNAL_PREFIX}props-{name}");
    if direct.len() <= NAME_MAX {
        return direct;
    }
    // FNV-1a: stable across processes and versions, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{INTERNAL_PREFIX}propsh-{h:016x}-{}", name.len())
}

/// Is `name` a property store of a member file?
pub fn is_store_name(name: &str) -> bool {
    name.strip_prefix(INTERNAL_PREFIX).is_some_and(|rest| rest.starts_with("props-") || rest.starts_with("propsh-"))
}

/// Where the properties of the resource at `path` live.
pub fn store_path(path: &Path, is_dir: bool) -> Option<PathBuf> {
    if is_dir {
        return Some(path.join(dir_store()));
    }
    let name = path.file_name()?.to_str()?;
    Some(path.parent()?.join(file_store_name(name)))
}

/// Reads the dead properties of a resource (none when there is no store).
pub fn load(path: &Path, is_dir: bool) -> io::Result<Vec<Element>> {
    let Some(store) = store_path(path, is_dir) else { return Ok(Vec::new()) };
    let bytes = match std::fs::read(&store) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    decode(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The content of a store file holding `props`: what [`save`] writes.
pub fn encode(props: &[Element]) -> Bytes {
    let mut w = XmlWriter::new();
    w.start(STORE_NS, "properties");
    for p in props {
        w.element(p);
    }
    w.end();
    w.finish()
}

/// The properties in a store file's content: what [`load`] reads. `decode(&encode(p))` is
/// `p` for every list of elements a request body can carry (the `proppatch` fuzz target
/// checks it), so a property reads back exactly as it was set.
pub fn decode(bytes: &[u8]) -> Result<Vec<Element>, XmlError> {
    let root = parse(bytes)?;
    Ok(root.elements().cloned().collect())
}

/// Replaces the dead properties of a resource, atomically (temporary file, fsync, rename).
/// An empty list removes the store.
pub fn save(path: &Path, is_dir: bool, props: &[Element]) -> io::Result<()> {
    let store = store_path(path, is_dir).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no store path"))?;
    if props.is_empty() {
        return match std::fs::remove_file(&store) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let body = encode(props);
    let mut file = AtomicFile::create(&store)?;
    file.file().write_all(&body)?;
    file.commit()
}

/// Removes the store of a file (a folder's store goes with the folder). A missing store is
/// not an error.
pub fn remove_file_store(path: &Path) -> io::Result<()> {
    if let Some(store) = store_path(path, false) {
        if let Err(e) = std::fs::remove_file(store) {
            if e.kind() != io::ErrorKind::NotFound {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Copies the dead properties of `from` to `to` (replacing whatever `to` had).
pub fn copy(from: &Path, to: &Path, is_dir: bool) -> io::Result<()> {
    let props = load(from, is_dir)?;
    save(to, is_dir, &props)
}

/// Moves the store of the file `from` to belong to `to` (folders carry theirs).
pub fn rename_file_store(from: &Path, to: &Path) -> io::Result<()> {
    let (Some(a), Some(b)) = (store_path(from, false), store_path(to, false)) else { return Ok(()) };
    match std::fs::rename(&a, &b) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => remove_file_store(to),
        Err(e) => Err(e),
    }
}

/// Gives the file `to` the properties of the file `from` by hard-linking `from`'s store to
/// `to`'s store name (replacing whatever `to` had), leaving `from`'s in place. Returns
/// whether `from` had properties.
pub fn link_file_store(from: &Path, to: &Path) -> io::Result<bool> {
    remove_file_store(to)?;
    let (Some(a), Some(b)) = (store_path(from, false), store_path(to, false)) else { return Ok(false) };
    match std::fs::hard_link(&a, &b) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes, below `root`, the property stores of files that no longer exist: what a crash
/// between a file's removal or rename and its store's leaves behind. Left in place, such a
/// store would hand its properties to the next file created under that name. Returns how
/// many were removed. Symlinks are not followed.
pub fn remove_orphan_stores(root: &Path) -> io::Result<usize> {
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e.flatten().collect::<Vec<_>>(),
            Err(e) if dir == root => return Err(e),
            Err(_) => continue,
        };
        let mut wanted = std::collections::HashSet::new();
        let mut stores = Vec::new();
        for entry in &entries {
            let Ok(kind) = entry.file_type() else { continue };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_store_name(name) {
                stores.push(entry.path());
            } else if kind.is_dir() {
                stack.push(entry.path());
            } else if !methodical_fs::is_internal_name(name) {
                wanted.insert(file_store_name(name));
            }
        }
        for store in stores {
            let name = store.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !wanted.contains(name) && std::fs::remove_file(&store).is_ok() {
                removed += 1;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_are_internal_and_bounded() {
        assert!(methodical_fs::is_internal_name(&file_store_name("a.txt")));
        assert!(is_store_name(&file_store_name("a.txt")));
        let long = "x".repeat(250);
        assert!(file_store_name(&long).len() <= NAME_MAX);
        assert!(is_store_name(&file_store_name(&long)));
        assert!(!is_store_name(".methodical-tmp-1"));
    }

    #[test]
    fn save_load_remove() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        let prop = parse(br#"<p xmlns="urn:a">v<q xmlns="urn:b"/></p>"#).unwrap();
        save(&f, false, std::slice::from_ref(&prop)).unwrap();
        assert_eq!(load(&f, false).unwrap(), vec![prop]);
        save(&f, false, &[]).unwrap();
        assert!(load(&f, false).unwrap().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn orphan_stores_go_and_the_others_stay() {
        let dir = tempfile::tempdir().unwrap();
        let prop = parse(br#"<p xmlns="urn:a">v</p>"#).unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let long = "y".repeat(250);
        for f in [dir.path().join("kept"), sub.join("gone"), sub.join(&long), sub.join("long-gone")] {
            std::fs::write(&f, b"x").unwrap();
            save(&f, false, std::slice::from_ref(&prop)).unwrap();
        }
        save(&sub, true, std::slice::from_ref(&prop)).unwrap();
        std::fs::remove_file(sub.join("gone")).unwrap();
        // A hashed store whose file is gone: only recognisable by the names that remain.
        let hashed_orphan = sub.join(file_store_name(&"z".repeat(250)));
        std::fs::write(&hashed_orphan, encode(std::slice::from_ref(&prop))).unwrap();
        // A store whose name is now a folder's.
        std::fs::remove_file(sub.join("long-gone")).unwrap();
        std::fs::create_dir(sub.join("long-gone")).unwrap();

        assert_eq!(remove_orphan_stores(dir.path()).unwrap(), 3);
        assert_eq!(load(&dir.path().join("kept"), false).unwrap(), vec![prop.clone()]);
        assert_eq!(load(&sub.join(&long), false).unwrap(), vec![prop.clone()]);
        assert_eq!(load(&sub, true).unwrap(), vec![prop]);
        assert!(!hashed_orphan.exists());
        assert!(load(&sub.join("gone"), false).unwrap().is_empty());
        assert!(load(&sub.join("long-gone"), false).unwrap().is_empty());
    }

    #[test]
    fn a_linked_store_follows_the_file_and_replaces_the_destination_one() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        let (pa, pb) = (parse(br#"<p xmlns="urn:a">a</p>"#).unwrap(), parse(br#"<p xmlns="urn:a">b</p>"#).unwrap());
        for (f, p) in [(&a, &pa), (&b, &pb)] {
            std::fs::write(f, b"x").unwrap();
            save(f, false, std::slice::from_ref(p)).unwrap();
        }
        assert!(link_file_store(&a, &b).unwrap());
        assert_eq!(load(&a, false).unwrap(), vec![pa.clone()]);
        assert_eq!(load(&b, false).unwrap(), vec![pa]);
        // A file without properties takes none along, and clears the destination's.
        std::fs::write(&c, b"x").unwrap();
        assert!(!link_file_store(&c, &b).unwrap());
        assert!(load(&b, false).unwrap().is_empty());
    }
}
