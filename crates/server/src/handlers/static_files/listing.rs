//! Folder listings (`browse = true`): an HTML page for people — name, size, modified,
//! sortable by links, breadcrumbs, no JavaScript, readable on a phone — and JSON for
//! `Accept: application/json`.
//!
//! Names come from the filesystem and may hold anything a file name can: they are escaped
//! in the page and percent-encoded in links, and the page's `Content-Security-Policy`
//! allows no script at all, as a second line of defence. methodical's own files
//! (`.methodical-*`) are never listed.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use blake2::digest::consts::U16;
use blake2::{Blake2b, Digest};
use http::HeaderMap;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::date::utc_fields;
use crate::error_page::escape;

/// Everything but the unreserved characters is percent-encoded in a path segment, so no
/// name can end a link early, add a query or read as a scheme (`a:b`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Larger folders are listed in part (the page says so).
pub const MAX_ENTRIES: usize = 20_000;

/// One folder member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The file name.
    pub name: String,
    /// A folder.
    pub is_dir: bool,
    /// Length in octets (0 for folders).
    pub size: u64,
    /// Last modification, when the filesystem tells.
    pub modified: Option<SystemTime>,
}

/// A folder's members, as read.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    /// The members listed.
    pub items: Vec<Item>,
    /// More members exist than [`MAX_ENTRIES`].
    pub truncated: bool,
}

/// The column a listing is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// File name (case-insensitive first).
    Name,
    /// Size.
    Size,
    /// Last modification.
    Modified,
}

impl SortKey {
    fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Modified => "modified",
        }
    }
}

/// How a listing is sorted: `?sort=name|size|modified&order=asc|desc`. Folders always come
/// first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// The column.
    pub key: SortKey,
    /// Descending.
    pub descending: bool,
}

impl Default for View {
    fn default() -> View {
        View { key: SortKey::Name, descending: false }
    }
}

impl View {
    /// Reads the query; unknown values fall back to name, ascending.
    pub fn from_query(query: Option<&str>) -> View {
        let mut view = View::default();
        for pair in query.unwrap_or("").split('&') {
            match pair.split_once('=') {
                Some(("sort", "name")) => view.key = SortKey::Name,
                Some(("sort", "size")) => view.key = SortKey::Size,
                Some(("sort", "modified")) => view.key = SortKey::Modified,
                Some(("order", "desc")) => view.descending = true,
                Some(("order", "asc")) => view.descending = false,
                _ => {}
            }
        }
        view
    }

    /// Sorts: folders first, then by the key (names break ties), in the order asked.
    pub fn sort(&self, items: &mut [Item]) {
        items.sort_by(|a, b| {
            let by_key = match self.key {
                SortKey::Name => Ordering::Equal,
                SortKey::Size => a.size.cmp(&b.size),
                SortKey::Modified => a.modified.cmp(&b.modified),
            };
            let by_name = a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.name.cmp(&b.name));
            let within = by_key.then(by_name);
            b.is_dir.cmp(&a.is_dir).then(if self.descending { within.reverse() } else { within })
        });
    }

    /// The query of a column header's link: the other order when this is the column
    /// sorted by, ascending otherwise.
    fn link(&self, key: SortKey) -> String {
        let order = if self.key == key && !self.descending { "desc" } else { "asc" };
        format!("?sort={}&order={order}", key.as_str())
    }
}

/// Reads the folder at `dir` (blocking). Members no URL reaches (names that are not UTF-8
/// or hold a `\`, which paths refuse), methodical's own files, dangling symlinks and
/// symlinks leading out of `root` are left out.
pub fn read(root: &Path, dir: &Path) -> std::io::Result<Folder> {
    let mut folder = Folder::default();
    for member in std::fs::read_dir(dir)? {
        let Ok(member) = member else { continue };
        let Ok(name) = member.file_name().into_string() else { continue };
        if methodical_fs::is_internal_name(&name) || name.contains('\\') {
            continue;
        }
        let Ok(mut meta) = member.metadata() else { continue };
        if meta.file_type().is_symlink() {
            let inside = std::fs::canonicalize(member.path()).is_ok_and(|real: PathBuf| real.starts_with(root));
            match std::fs::metadata(member.path()) {
                Ok(m) if inside => meta = m,
                _ => continue,
            }
        }
        if folder.items.len() == MAX_ENTRIES {
            folder.truncated = true;
            break;
        }
        let is_dir = meta.is_dir();
        folder.items.push(Item { size: if is_dir { 0 } else { meta.len() }, is_dir, modified: meta.modified().ok(), name });
    }
    Ok(folder)
}

/// Whether the client asked for JSON: `application/json` weighed higher than `text/html`
/// in `Accept` (browsers send `text/html` first, and `*/*` gets the page).
pub fn wants_json(headers: &HeaderMap) -> bool {
    let mut json: Option<(u8, u16)> = None;
    let mut html: Option<(u8, u16)> = None;
    for value in headers.get_all(http::header::ACCEPT).iter().filter_map(|v| v.to_str().ok()) {
        for member in value.split(',') {
            let mut params = member.split(';');
            let range = params.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = params
                .filter_map(|p| p.split_once('='))
                .find(|(n, _)| n.trim().eq_ignore_ascii_case("q"))
                .map_or(Some(1000), |(_, v)| v.trim().parse::<f32>().ok().map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16));
            let Some(q) = q else { continue };
            let weigh = |slot: &mut Option<(u8, u16)>, specificity: u8| {
                if slot.is_none_or(|(s, _)| specificity > s) {
                    *slot = Some((specificity, q));
                }
            };
            match range.as_str() {
                "application/json" => weigh(&mut json, 2),
                "application/*" => weigh(&mut json, 1),
                "text/html" => weigh(&mut html, 2),
                "text/*" => weigh(&mut html, 1),
                "*/*" => {
                    weigh(&mut json, 0);
                    weigh(&mut html, 0);
                }
                _ => {}
            }
        }
    }
    let q = |slot: Option<(u8, u16)>| slot.map_or(0, |(_, q)| q);
    q(json) > q(html)
}

/// A strong entity-tag for a generated body: a digest of its exact bytes.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Blake2b::<U16>::digest(body);
    let mut tag = String::with_capacity(36);
    tag.push_str("\"l");
    for b in digest {
        let _ = write!(tag, "{b:02x}");
    }
    tag.push('"');
    tag
}

/// The JSON listing: `{"path": "/a b/", "truncated": false, "entries": [{"name", "type",
/// "size", "modified", "href"}]}`, `modified` in RFC 3339 (UTC), `size` for files only.
pub fn json(path: &str, folder: &Folder) -> String {
    let entries: Vec<serde_json::Value> = folder
        .items
        .iter()
        .map(|i| {
            let mut v = serde_json::json!({
                "name": i.name,
                "type": if i.is_dir { "directory" } else { "file" },
                "href": href(i),
            });
            if !i.is_dir {
                v["size"] = i.size.into();
            }
            if let Some(m) = i.modified {
                v["modified"] = rfc3339(m).into();
            }
            v
        })
        .collect();
    let mut out = serde_json::json!({ "path": decode(path), "truncated": folder.truncated, "entries": entries }).to_string();
    out.push('\n');
    out
}

/// The page for the folder at URL path `path` (as requested, percent-encoded). `parent`:
/// a link up is shown (not at the route's root).
pub fn html(path: &str, parent: bool, folder: &Folder, view: View) -> String {
    let shown = decode(path);
    let mut out = String::with_capacity(2048 + folder.items.len() * 256);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Index of {title}</title><style>{STYLE}</style></head>\n<body>\n<header><nav class=\"crumbs\" aria-label=\"Breadcrumbs\">{crumbs}</nav></header>\n<main>\n",
        title = escape(&shown),
        crumbs = breadcrumbs(path),
    );
    out.push_str("<table>\n<thead><tr>");
    for (key, label, class) in [(SortKey::Name, "Name", "name"), (SortKey::Size, "Size", "size"), (SortKey::Modified, "Modified", "mod")] {
        let (arrow, aria) = match (view.key == key, view.descending) {
            (true, false) => (" ▲", " aria-sort=\"ascending\""),
            (true, true) => (" ▼", " aria-sort=\"descending\""),
            _ => ("", ""),
        };
        let _ = write!(out, "<th class=\"{class}\"{aria}><a href=\"{}\">{label}{arrow}</a></th>", escape(&view.link(key)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    if parent {
        out.push_str("<tr class=\"up\"><td class=\"name\"><a href=\"../\">↑ Parent folder</a></td><td class=\"size\"></td><td class=\"mod\"></td></tr>\n");
    }
    for item in &folder.items {
        let (class, suffix, size) = if item.is_dir {
            ("dir", "/", "—".to_string())
        } else {
            ("file", "", format!("<span title=\"{} bytes\">{}</span>", item.size, human_size(item.size)))
        };
        let modified = item.modified.map_or(String::new(), |m| {
            let (date, time) = civil(m);
            format!("<time datetime=\"{}\">{date}<span class=\"t\"> {time}</span></time>", rfc3339(m))
        });
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td class=\"name\"><a href=\"{href}\">{name}{suffix}</a></td><td class=\"size\">{size}</td><td class=\"mod\">{modified}</td></tr>",
            href = escape(&href(item)),
            name = escape(&item.name),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if folder.items.is_empty() {
        out.push_str("<p class=\"note\">This folder is empty.</p>\n");
    }
    if folder.truncated {
        let _ = writeln!(out, "<p class=\"note\">Only the first {MAX_ENTRIES} entries are listed.</p>");
    }
    let (dirs, files) = folder.items.iter().fold((0, 0), |(d, f), i| if i.is_dir { (d + 1, f) } else { (d, f + 1) });
    let _ = writeln!(out, "</main>\n<footer>{dirs} folder{}, {files} file{} · methodical</footer>\n</body></html>", plural(dirs), plural(files));
    out
}

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--muted:#6e6e73;--line:#e5e5ea;--link:#0a58ca;--hover:#f5f5f7}\
@media (prefers-color-scheme:dark){:root{--fg:#f5f5f7;--bg:#161617;--muted:#a1a1a6;--line:#333336;--link:#6ea8fe;--hover:#222225}}\
*{box-sizing:border-box}\
body{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:var(--fg);background:var(--bg);max-width:60rem;margin:0 auto;padding:1rem}\
a{color:var(--link);text-decoration:none}a:hover,a:focus{text-decoration:underline}\
.crumbs{font-size:1.25rem;font-weight:600;overflow-wrap:anywhere;margin:.5rem 0 1rem}\
.crumbs .sep{color:var(--muted);margin:0 .15rem}\
table{width:100%;border-collapse:collapse}\
th{text-align:left;font-weight:600;border-bottom:2px solid var(--line);padding:.4rem .5rem;white-space:nowrap}\
th a{color:var(--fg)}\
td{border-bottom:1px solid var(--line);padding:.45rem .5rem;vertical-align:top}\
tbody tr:hover{background:var(--hover)}\
td.name{overflow-wrap:anywhere;width:100%}\
td.size,th.size{text-align:right;white-space:nowrap;color:var(--muted)}\
td.mod{white-space:nowrap;color:var(--muted)}\
tr.dir td.name a{font-weight:600}\
.note,footer{color:var(--muted);font-size:.875rem;margin-top:1rem}\
@media (max-width:36rem){body{padding:.75rem .5rem}td,th{padding:.5rem .3rem}.t{display:none}.crumbs{font-size:1.1rem}}";

/// `/` `a` `b`: each a link to its folder.
fn breadcrumbs(path: &str) -> String {
    let mut out = String::from("<a href=\"/\">/</a>");
    let mut href = String::from("/");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for (i, raw) in segments.iter().enumerate() {
        let name = decode(raw);
        href.push_str(&utf8_percent_encode(&name, SEGMENT).to_string());
        href.push('/');
        if i + 1 == segments.len() {
            let _ = write!(out, "<span aria-current=\"page\">{}</span>", escape(&name));
        } else {
            let _ = write!(out, "<a href=\"{}\">{}</a><span class=\"sep\">/</span>", escape(&href), escape(&name));
        }
    }
    out
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The relative link to a member, `./` first so no name reads as anything but a path.
fn href(item: &Item) -> String {
    let mut h = format!("./{}", utf8_percent_encode(&item.name, SEGMENT));
    if item.is_dir {
        h.push('/');
    }
    h
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `999 B`, `1.5 KiB`, `12 MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// `(YYYY-MM-DD, HH:MM)` in UTC.
fn civil(t: SystemTime) -> (String, String) {
    let (y, m, d, hh, mm, _) = utc_fields(t);
    (format!("{y:04}-{m:02}-{d:02}"), format!("{hh:02}:{mm:02}"))
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(t: SystemTime) -> String {
    let (y, m, d, hh, mm, ss) = utc_fields(t);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}


#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn item(name: &str, is_dir: bool, size: u64, secs: u64) -> Item {
        Item { name: name.into(), is_dir, size, modified: Some(UNIX_EPOCH + Duration::from_secs(secs)) }
    }

    fn names(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.name.as_str()).collect()
    }

    #[test]
    fn sorting_keeps_folders_first() {
        let mut items = vec![item("b.txt", false, 10, 3), item("Zdir", true, 0, 1), item("a.txt", false, 30, 2), item("adir", true, 0, 5)];
        View::from_query(None).sort(&mut items);
        assert_eq!(names(&items), ["adir", "Zdir", "a.txt", "b.txt"]);
        View::from_query(Some("sort=name&order=desc")).sort(&mut items);
        assert_eq!(names(&items), ["Zdir", "adir", "b.txt", "a.txt"]);
        View::from_query(Some("sort=size&order=desc")).sort(&mut items);
        assert_eq!(names(&items), ["Zdir", "adir", "a.txt", "b.txt"]);
        View::from_query(Some("order=asc&sort=modified")).sort(&mut items);
        assert_eq!(names(&items), ["Zdir", "adir", "a.txt", "b.txt"]);
        View::from_query(Some("sort=bogus&order=sideways")).sort(&mut items);
        assert_eq!(names(&items), ["adir", "Zdir", "a.txt", "b.txt"]);
    }

    #[test]
    fn header_links_toggle_the_order() {
        let v = View::from_query(Some("sort=size"));
        assert_eq!(v.link(SortKey::Size), "?sort=size&order=desc");
        assert_eq!(v.link(SortKey::Name), "?sort=name&order=asc");
        let v = View::from_query(Some("sort=size&order=desc"));
        assert_eq!(v.link(SortKey::Size), "?sort=size&order=asc");
    }

    #[test]
    fn names_are_escaped_and_links_encoded() {
        let folder = Folder { items: vec![item("<script>alert(1)</script>.txt", false, 5, 0), item("a b&c:d", true, 0, 0)], truncated: false };
        let page = html("/x%20y/", true, &folder, View::default());
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"));
        assert!(page.contains("href=\"./%3Cscript%3Ealert%281%29%3C%2Fscript%3E.txt\""));
        assert!(page.contains("href=\"./a%20b%26c%3Ad/\""), "no name reads as a scheme");
        assert!(page.contains("<span aria-current=\"page\">x y</span>"), "breadcrumb decoded");
        assert!(page.contains("href=\"../\""));
        let data: serde_json::Value = serde_json::from_str(&json("/x%20y/", &folder)).unwrap();
        assert_eq!(data["entries"][0]["name"], "<script>alert(1)</script>.txt");
        assert_eq!(data["entries"][0]["size"], 5);
        assert_eq!(data["entries"][1]["type"], "directory");
        assert!(data["entries"][1].get("size").is_none());
    }

    #[test]
    fn breadcrumbs_link_every_ancestor() {
        let b = breadcrumbs("/a/b%2Bc/d/");
        assert!(b.contains("<a href=\"/\">/</a>"));
        assert!(b.contains("<a href=\"/a/\">a</a>"));
        assert!(b.contains("<a href=\"/a/b%2Bc/\">b+c</a>"));
        assert!(b.ends_with("<span aria-current=\"page\">d</span>"));
    }

    #[test]
    fn accept_negotiation() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(http::header::ACCEPT, v.parse().unwrap());
            m
        };
        assert!(wants_json(&h("application/json")));
        assert!(wants_json(&h("application/json, text/html;q=0.5")));
        assert!(!wants_json(&h("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")));
        assert!(!wants_json(&h("*/*")));
        assert!(!wants_json(&HeaderMap::new()));
        assert!(!wants_json(&h("application/json;q=0, */*")));
    }

    #[test]
    fn dates_and_sizes() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_723)), "2000-02-29T01:02:03Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_700_000_000)), "2023-11-14T22:13:20Z");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(20 * 1024 * 1024), "20 MiB");
    }

    #[test]
    fn etags_are_strong_and_follow_the_bytes() {
        let a = etag_of(b"one");
        assert!(a.starts_with('"') && a.ends_with('"'));
        assert_ne!(a, etag_of(b"two"));
        assert_eq!(a, etag_of(b"one"));
    }

    #[test]
    fn reading_skips_internal_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"abc").unwrap();
        std::fs::write(dir.path().join(".methodical-props"), b"x").unwrap();
        std::fs::write(dir.path().join("back\\slash"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("leak")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a.txt"), dir.path().join("alias")).unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let mut folder = read(&root, &root).unwrap();
        View::default().sort(&mut folder.items);
        assert_eq!(names(&folder.items), ["sub", "a.txt", "alias"]);
        assert_eq!(folder.items[2].size, 3, "symlinks inside the root are followed");
    }
}
