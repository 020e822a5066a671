//! SEARCH with DAV:basicsearch (S-1…S-5, T-69): a fixed tree with exact expected results per
//! operator, error answers, and a 10,000-file timing.

mod common;

use std::time::{Duration, Instant, UNIX_EPOCH};

use common::*;

const NS: &str = r#"xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
const NAME: &str = "<D:prop><D:displayname/></D:prop>";

fn query(select: &str, scope: &str, depth: &str, where_: &str, extra: &str) -> String {
    let w = if where_.is_empty() { String::new() } else { format!("<D:where>{where_}</D:where>") };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:searchrequest {NS}><D:basicsearch><D:select>{select}</D:select><D:from><D:scope><D:href>{scope}</D:href><D:depth>{depth}</D:depth></D:scope></D:from>{w}{extra}</D:basicsearch></D:searchrequest>"#
    )
}

fn set_mtime(path: &std::path::Path, year_secs: u64) {
    let f = std::fs::File::open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(year_secs)).unwrap();
}

/// 2018…2024-01-01T00:00:00Z.
const Y2018: u64 = 1_514_764_800;
const Y2019: u64 = 1_546_300_800;
const Y2020: u64 = 1_577_836_800;
const Y2021: u64 = 1_609_459_200;
const Y2022: u64 = 1_640_995_200;
const Y2023: u64 = 1_672_531_200;
const Y2024: u64 = 1_704_067_200;

async fn tree() -> Dav {
    let d = Dav::new();
    d.write("a.txt", "hello");
    d.write("b.TXT", "hi");
    d.write("big.bin", &"z".repeat(1000));
    d.write("docs/readme.md", "# readme\n");
    d.write("docs/notes_1.txt", &"x".repeat(20));
    d.write("docs/100%.txt", "");
    d.mkdir("empty");
    let set = |props: &str| format!(r#"<D:propertyupdate {NS}><D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>"#);
    for (path, props) in [
        ("a.txt", "<Z:color>red</Z:color><Z:rank>10</Z:rank>"),
        ("big.bin", "<Z:color>blue</Z:color><Z:rank>9</Z:rank>"),
        ("docs/readme.md", "<Z:rank>100</Z:rank>"),
    ] {
        assert_eq!(d.status("PROPPATCH", path, &[], &set(props)).await, 207);
    }
    for (p, t) in [
        ("a.txt", Y2020),
        ("b.TXT", Y2021),
        ("big.bin", Y2022),
        ("docs/readme.md", Y2023),
        ("docs/notes_1.txt", Y2019),
        ("docs/100%.txt", Y2024),
        ("docs", Y2018),
        ("empty", Y2018),
        ("", Y2018),
    ] {
        set_mtime(&d.path(p), t);
    }
    d
}

/// Runs a query with SEARCH on the route root; returns the hrefs in result order.
async fn run(d: &Dav, where_: &str, extra: &str) -> Vec<String> {
    let r = d.send("SEARCH", "", &[("content-type", "application/xml")], &query(NAME, "/dav/", "infinity", where_, extra)).await;
    assert_eq!(r.status(), 207, "{}", text(&r));
    hrefs(&text(&r))
}

fn prop(p: &str) -> String {
    format!("<D:prop>{p}</D:prop>")
}

fn cmp(op: &str, p: &str, lit: &str) -> String {
    format!("<D:{op}>{}<D:literal>{lit}</D:literal></D:{op}>", prop(p))
}

const FILES_ONLY: &str = "<D:not><D:is-collection/></D:not>";

#[tokio::test]
async fn t69_s1_search_without_where_lists_the_scope_in_href_order() {
    let d = tree().await;
    assert_eq!(
        run(&d, "", "").await,
        [
            "/dav/",
            "/dav/a.txt",
            "/dav/b.TXT",
            "/dav/big.bin",
            "/dav/docs/",
            "/dav/docs/100%25.txt",
            "/dav/docs/notes_1.txt",
            "/dav/docs/readme.md",
            "/dav/empty/",
        ]
    );
}

#[tokio::test]
async fn s3_comparisons_on_getcontentlength_are_numeric() {
    let d = tree().await;
    let len = "<D:getcontentlength/>";
    assert_eq!(run(&d, &cmp("eq", len, "5"), "").await, ["/dav/a.txt"]);
    assert_eq!(run(&d, &cmp("lt", len, "5"), "").await, ["/dav/b.TXT", "/dav/docs/100%25.txt"]);
    assert_eq!(run(&d, &cmp("lte", len, "5"), "").await, ["/dav/a.txt", "/dav/b.TXT", "/dav/docs/100%25.txt"]);
    assert_eq!(run(&d, &cmp("gt", len, "9"), "").await, ["/dav/big.bin", "/dav/docs/notes_1.txt"]);
    assert_eq!(run(&d, &cmp("gte", len, "9"), "").await, ["/dav/big.bin", "/dav/docs/notes_1.txt", "/dav/docs/readme.md"]);
}

#[tokio::test]
async fn s3_like_with_wildcards_escapes_and_caseless() {
    let d = tree().await;
    let like = |pat: &str, caseless: bool| {
        let attr = if caseless { r#" caseless="yes""# } else { "" };
        format!("<D:like{attr}>{}<D:literal>{pat}</D:literal></D:like>", prop("<D:displayname/>"))
    };
    assert_eq!(run(&d, &like("%.txt", false), "").await, ["/dav/a.txt", "/dav/docs/100%25.txt", "/dav/docs/notes_1.txt"]);
    assert_eq!(
        run(&d, &like("%.txt", true), "").await,
        ["/dav/a.txt", "/dav/b.TXT", "/dav/docs/100%25.txt", "/dav/docs/notes_1.txt"]
    );
    assert_eq!(run(&d, &like("notes\\_%", false), "").await, ["/dav/docs/notes_1.txt"]);
    assert_eq!(run(&d, &like("100\\%%", false), "").await, ["/dav/docs/100%25.txt"]);
    assert_eq!(run(&d, &like("_.txt", false), "").await, ["/dav/a.txt"]);
    assert_eq!(run(&d, &like("e%y", false), "").await, ["/dav/empty/"]);
}

#[tokio::test]
async fn s3_is_collection_is_defined_and_not() {
    let d = tree().await;
    assert_eq!(run(&d, "<D:is-collection/>", "").await, ["/dav/", "/dav/docs/", "/dav/empty/"]);
    assert_eq!(run(&d, FILES_ONLY, "").await.len(), 6);
    let defined = format!("<D:is-defined>{}</D:is-defined>", prop("<Z:color/>"));
    assert_eq!(run(&d, &defined, "").await, ["/dav/a.txt", "/dav/big.bin"]);
    assert_eq!(run(&d, &format!("<D:not>{defined}</D:not>"), "").await.len(), 7);
}

#[tokio::test]
async fn s3_dead_properties_and_three_valued_logic() {
    let d = tree().await;
    let red = cmp("eq", "<Z:color/>", "red");
    assert_eq!(run(&d, &red, "").await, ["/dav/a.txt"]);
    // Undefined color is unknown, so "not red" only matches what is defined and not red.
    assert_eq!(run(&d, &format!("<D:not>{red}</D:not>"), "").await, ["/dav/big.bin"]);
    let two = cmp("eq", "<D:getcontentlength/>", "2");
    assert_eq!(run(&d, &format!("<D:or>{red}{two}</D:or>"), "").await, ["/dav/a.txt", "/dav/b.TXT"]);
    let defined = format!("<D:is-defined>{}</D:is-defined>", prop("<Z:color/>"));
    assert_eq!(run(&d, &format!("<D:and>{defined}<D:not>{red}</D:not></D:and>"), "").await, ["/dav/big.bin"]);
    // Untyped literal on a dead property: text comparison ("10" < "9").
    assert_eq!(run(&d, &cmp("lt", "<Z:rank/>", "9"), "").await, ["/dav/a.txt", "/dav/docs/readme.md"]);
    // typed-literal: numeric comparison.
    let typed = format!(r#"<D:gt>{}<D:typed-literal xsi:type="xs:integer">9</D:typed-literal></D:gt>"#, prop("<Z:rank/>"));
    assert_eq!(run(&d, &typed, "").await, ["/dav/a.txt", "/dav/docs/readme.md"]);
    let caseless = format!(r#"<D:eq caseless="yes">{}<D:literal>A.TXT</D:literal></D:eq>"#, prop("<D:displayname/>"));
    assert_eq!(run(&d, &caseless, "").await, ["/dav/a.txt"]);
}

#[tokio::test]
async fn s3_dates_compare_as_dates() {
    let d = tree().await;
    let lm = "<D:getlastmodified/>";
    assert_eq!(
        run(&d, &cmp("gt", lm, "2021-06-01T00:00:00Z"), "").await,
        ["/dav/big.bin", "/dav/docs/100%25.txt", "/dav/docs/readme.md"]
    );
    assert_eq!(run(&d, &cmp("eq", lm, "Wed, 01 Jan 2020 00:00:00 GMT"), "").await, ["/dav/a.txt"]);
    assert_eq!(run(&d, &cmp("lt", lm, "2019-06-01T00:00:00+02:00"), "").await, ["/dav/", "/dav/docs/", "/dav/docs/notes_1.txt", "/dav/empty/"]);
}

#[tokio::test]
async fn s3_orderby_several_keys_and_limit() {
    let d = tree().await;
    let desc = format!("<D:orderby><D:order>{}<D:descending/></D:order></D:orderby>", prop("<D:getcontentlength/>"));
    assert_eq!(
        run(&d, FILES_ONLY, &desc).await,
        [
            "/dav/big.bin",
            "/dav/docs/notes_1.txt",
            "/dav/docs/readme.md",
            "/dav/a.txt",
            "/dav/b.TXT",
            "/dav/docs/100%25.txt"
        ]
    );
    let two_keys = format!(
        "<D:orderby><D:order>{}<D:ascending/></D:order><D:order>{}<D:descending/></D:order></D:orderby><D:limit><D:nresults>3</D:nresults></D:limit>",
        prop("<Z:color/>"),
        prop("<D:displayname/>")
    );
    assert_eq!(run(&d, FILES_ONLY, &two_keys).await, ["/dav/big.bin", "/dav/a.txt", "/dav/docs/readme.md"]);
    let limit = "<D:limit><D:nresults>2</D:nresults></D:limit>";
    assert_eq!(run(&d, "", limit).await, ["/dav/", "/dav/a.txt"]);
}

#[tokio::test]
async fn s3_scope_depth_and_relative_scope() {
    let d = tree().await;
    let scoped = |scope: &str, depth: &str| query(NAME, scope, depth, "", "");
    let h = |r: &http::Response<bytes::Bytes>| hrefs(&text(r));
    let r = d.send("SEARCH", "", &[], &scoped("/dav/docs/", "1")).await;
    assert_eq!(h(&r), ["/dav/docs/", "/dav/docs/100%25.txt", "/dav/docs/notes_1.txt", "/dav/docs/readme.md"]);
    let r = d.send("SEARCH", "", &[], &scoped("/dav/docs/", "0")).await;
    assert_eq!(h(&r), ["/dav/docs/"]);
    let r = d.send("SEARCH", "", &[], &scoped("docs/", "1")).await;
    assert_eq!(h(&r).len(), 4, "relative scope resolved against the request URI");
    let r = d.send("SEARCH", "", &[], &scoped("http://127.0.0.1:8080/dav/docs/readme.md", "infinity")).await;
    assert_eq!(h(&r), ["/dav/docs/readme.md"]);
}

#[tokio::test]
async fn s1_selected_properties_and_displayname_is_the_file_name() {
    let d = tree().await;
    let select = "<D:prop><D:displayname/><D:getcontentlength/><Z:color/><Z:absent/></D:prop>";
    let body = query(select, "/dav/", "infinity", &cmp("eq", "<D:displayname/>", "a.txt"), "");
    let r = d.send("SEARCH", "", &[], &body).await;
    assert_eq!(r.headers()[http::header::CONTENT_TYPE], "application/xml; charset=\"utf-8\"");
    let t = text(&r);
    assert_eq!(prop_text(&t, "DAV:", "displayname").unwrap(), "a.txt");
    assert_eq!(prop_text(&t, "DAV:", "getcontentlength").unwrap(), "5");
    assert_eq!(prop_text(&t, "urn:z", "color").unwrap(), "red");
    assert_eq!(prop_status(&t, "urn:z", "absent").unwrap(), "HTTP/1.1 404 Not Found");
    let all = query("<D:allprop/>", "/dav/", "infinity", &cmp("eq", "<D:displayname/>", "big.bin"), "");
    let t = text(&d.send("SEARCH", "", &[], &all).await);
    assert_eq!(prop_text(&t, "urn:z", "color").unwrap(), "blue");
    assert_eq!(prop_text(&t, "DAV:", "getcontentlength").unwrap(), "1000");
}

#[tokio::test]
async fn s4_unsuccessful_searches() {
    let d = tree().await;
    let outside = d.send("SEARCH", "", &[], &query(NAME, "/static/", "1", "", "")).await;
    assert_eq!(outside.status(), 409);
    assert!(text(&outside).contains("<D:search-scope-valid/>"));
    let other_host = d.send("SEARCH", "", &[], &query(NAME, "http://other/dav/", "1", "", "")).await;
    assert_eq!(other_host.status(), 409);
    assert_eq!(d.status("SEARCH", "", &[], &query(NAME, "/dav/nope/", "1", "", "")).await, 409);
    let sql = r#"<D:searchrequest xmlns:D="DAV:"><x:sql xmlns:x="urn:x">SELECT *</x:sql></D:searchrequest>"#;
    let r = d.send("SEARCH", "", &[], sql).await;
    assert_eq!(r.status(), 403);
    assert!(text(&r).contains("<D:search-grammar-supported/>"));
    assert_eq!(d.status("SEARCH", "", &[], "<D:searchrequest xmlns:D='DAV:'>").await, 400);
    assert_eq!(d.status("SEARCH", "", &[], "").await, 400);
    let no_from = r#"<D:searchrequest xmlns:D="DAV:"><D:basicsearch><D:select><D:allprop/></D:select></D:basicsearch></D:searchrequest>"#;
    assert_eq!(d.status("SEARCH", "", &[], no_from).await, 400);
    let contains = query(NAME, "/dav/", "1", "<D:contains>hello</D:contains>", "");
    assert_eq!(d.status("SEARCH", "", &[], &contains).await, 422);
    let bad_number = query(NAME, "/dav/", "1", &cmp("lt", "<D:getcontentlength/>", "many"), "");
    let r = d.send("SEARCH", "", &[], &bad_number).await;
    assert_eq!(r.status(), 422);
    assert!(text(&r).starts_with("<?xml") && text(&r).contains("<D:error"));
    assert_eq!(d.status("SEARCH", "", &[], &query(NAME, "/dav/", "2", "", "")).await, 400);
}

#[tokio::test]
async fn s2_supported_query_grammar_set_via_propfind() {
    let d = tree().await;
    let body = r#"<propfind xmlns="DAV:"><prop><supported-query-grammar-set/></prop></propfind>"#;
    let t = text(&d.send("PROPFIND", "", &[("depth", "0")], body).await);
    assert!(t.contains("<D:supported-query-grammar><D:grammar><D:basicsearch/></D:grammar></D:supported-query-grammar>"), "{t}");
    let off = Dav::with(|c| c.search = false);
    let t = text(&off.send("PROPFIND", "", &[("depth", "0")], body).await);
    assert_eq!(prop_status(&t, "DAV:", "supported-query-grammar-set").unwrap(), "HTTP/1.1 404 Not Found");
}

#[tokio::test]
async fn search_results_never_include_internal_files() {
    let d = tree().await;
    let all = run(&d, "", "").await;
    assert!(all.iter().all(|h| !h.contains(".methodical")), "{all:?}");
    assert!(d.path(".methodical-props-a.txt").exists(), "the store exists on disk");
}

/// 10,000 files in one folder: SEARCH and PROPFIND Depth 1 stay fast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_10000_files_timing() {
    let d = Dav::new();
    d.mkdir("many");
    for i in 0..10_000 {
        std::fs::write(d.path(&format!("many/file{i:05}.txt")), "x".repeat(i % 100)).unwrap();
    }
    let body = query(
        NAME,
        "/dav/many/",
        "1",
        &format!("<D:and>{}{}</D:and>", cmp("like", "<D:displayname/>", "file%7.txt"), cmp("gte", "<D:getcontentlength/>", "50")),
        &format!("<D:orderby><D:order>{}<D:descending/></D:order></D:orderby>", prop("<D:getcontentlength/>")),
    );
    let start = Instant::now();
    let r = d.send("SEARCH", "", &[], &body).await;
    let search_time = start.elapsed();
    assert_eq!(r.status(), 207);
    let h = hrefs(&text(&r));
    // i ends in 7 (1,000 files) and i % 100 >= 50 (half of them).
    assert_eq!(h.len(), 500);
    // Longest first (97 octets), ties in href order.
    assert!(h[0].ends_with("file00097.txt") && h[1].ends_with("file00197.txt"), "{}", h[0]);
    assert!(h[499].ends_with("file09957.txt"), "{}", h[499]);

    let start = Instant::now();
    let r = d.send("PROPFIND", "many/", &[("depth", "1")], "").await;
    let propfind_time = start.elapsed();
    assert_eq!(hrefs(&text(&r)).len(), 10_001);
    eprintln!("10,000 files: SEARCH {search_time:?}, PROPFIND Depth 1 allprop {propfind_time:?}");
    assert!(search_time < Duration::from_secs(10), "SEARCH took {search_time:?}");
}
