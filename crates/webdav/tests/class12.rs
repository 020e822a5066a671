//! RFC 4918 class 1 and 2 behaviour through `WebDav::handle`, named by the digest's ids
//! (D-1…D-15, T-57…T-69).

mod common;

use std::sync::Arc;

use common::*;
use http::header;
use methodical_webdav::{DavConfig, MemoryLockStore, WebDav};

const PROPFIND_NAMED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><D:getetag/><D:resourcetype/><Z:missing/></D:prop></D:propfind>"#;

#[tokio::test]
async fn t57_d3_s2_options_advertises_dav_allow_and_dasl() {
    let d = Dav::new();
    let r = d.send("OPTIONS", "", &[], "").await;
    assert_eq!(r.status(), 200);
    let dav = r.headers()["dav"].to_str().unwrap();
    assert!(dav.split(',').any(|c| c.trim() == "1") && dav.split(',').any(|c| c.trim() == "2"), "{dav}");
    let allow = r.headers()[header::ALLOW].to_str().unwrap();
    for m in ["PROPFIND", "PROPPATCH", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "DELETE", "OPTIONS"] {
        assert!(allow.split(", ").any(|x| x == m), "{m} missing from {allow}");
    }
    assert_eq!(r.headers()["dasl"], "<DAV:basicsearch>");
    assert_eq!(d.dav.dav_header(), "1, 2");
}

#[tokio::test]
async fn t59_d4_propfind_depth0_one_href_and_getetag_is_the_static_etag() {
    let d = Dav::new();
    d.write("f", "hello");
    let r = d.send("PROPFIND", "f", &[("depth", "0")], PROPFIND_NAMED).await;
    assert_eq!(r.status(), 207);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/xml; charset=\"utf-8\"");
    let body = text(&r);
    assert_eq!(hrefs(&body), ["/dav/f"]);
    let meta = std::fs::metadata(d.path("f")).unwrap();
    let etag = methodical_fs::Validators::from_metadata(&meta).etag;
    assert_eq!(prop_text(&body, "DAV:", "getetag").unwrap(), etag);
    assert_eq!(prop_status(&body, "urn:z", "missing").unwrap(), "HTTP/1.1 404 Not Found");
    assert_eq!(prop_status(&body, "DAV:", "resourcetype").unwrap(), "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn t60_d4_infinity_refused_and_malformed_body_is_400() {
    let d = Dav::new();
    d.write("f", "x");
    let r = d.send("PROPFIND", "", &[("depth", "infinity")], "").await;
    assert_eq!(r.status(), 403);
    assert!(text(&r).contains("propfind-finite-depth"));
    // A missing Depth means infinity.
    assert_eq!(d.status("PROPFIND", "", &[], "").await, 403);
    assert_eq!(d.status("PROPFIND", "f", &[("depth", "0")], "<D:propfind xmlns:D='DAV:'>").await, 400);
    assert_eq!(d.status("PROPFIND", "f", &[("depth", "0")], "<foo>").await, 400);
    assert_eq!(d.status("PROPFIND", "f", &[("depth", "2")], "").await, 400);
    // Undefined prefix, and a prefix bound to the empty namespace (litmus propfind_invalid2).
    assert_eq!(d.status("PROPFIND", "f", &[("depth", "0")], "<D:propfind xmlns:D='DAV:'><D:prop><x:a/></D:prop></D:propfind>").await, 400);
    let bad_ns = r#"<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>"#;
    assert_eq!(d.status("PROPFIND", "f", &[("depth", "0")], bad_ns).await, 400);
    assert_eq!(d.status("PROPFIND", "nope", &[("depth", "0")], "").await, 404);
    let entity = r#"<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><propfind xmlns="DAV:"><allprop/></propfind>"#;
    let r = d.send("PROPFIND", "f", &[("depth", "0")], entity).await;
    assert_eq!(r.status(), 403);
    assert!(text(&r).contains("no-external-entities"));
}

#[tokio::test]
async fn d4_infinity_when_allowed_and_depth1_hides_internal_files() {
    let d = Dav::with(|c| c.allow_depth_infinity = true);
    d.write("a/b/c.txt", "x");
    d.write("top.txt", "y");
    std::fs::write(d.path(".methodical-props-top.txt"), "<junk/>").unwrap();
    std::fs::write(d.path(".methodical-tmp-9"), "partial").unwrap();
    let r = d.send("PROPFIND", "", &[("depth", "1")], "").await;
    let mut h = hrefs(&text(&r));
    h.sort();
    assert_eq!(h, ["/dav/", "/dav/a/", "/dav/top.txt"]);
    let r = d.send("PROPFIND", "", &[], "").await;
    assert_eq!(r.status(), 207);
    let mut h = hrefs(&text(&r));
    h.sort();
    assert_eq!(h, ["/dav/", "/dav/a/", "/dav/a/b/", "/dav/a/b/c.txt", "/dav/top.txt"]);
    // Internal names are not reachable by URL either.
    assert_eq!(d.status("PROPFIND", ".methodical-props-top.txt", &[("depth", "0")], "").await, 404);
    assert_eq!(d.status("PUT", ".methodical-x", &[], "data").await, 404);
}

#[tokio::test]
async fn d4_allprop_propname_and_include() {
    let d = Dav::new();
    d.write("f.txt", "hello");
    let r = d.send("PROPFIND", "f.txt", &[("depth", "0")], "").await;
    let body = text(&r);
    assert_eq!(prop_text(&body, "DAV:", "getcontentlength").unwrap(), "5");
    assert_eq!(prop_text(&body, "DAV:", "getcontenttype").unwrap(), "text/plain");
    assert_eq!(prop_text(&body, "DAV:", "displayname").unwrap(), "f.txt");
    assert!(prop_text(&body, "DAV:", "creationdate").unwrap().ends_with('Z'));
    assert!(prop_text(&body, "DAV:", "getlastmodified").unwrap().ends_with("GMT"));
    assert!(body.contains("<D:supportedlock>"));
    assert!(body.contains("<D:lockdiscovery/>"));
    assert!(!body.contains("supported-query-grammar-set"), "not part of allprop");
    let include = r#"<propfind xmlns="DAV:"><allprop/><include><supported-query-grammar-set/></include></propfind>"#;
    let body = text(&d.send("PROPFIND", "f.txt", &[("depth", "0")], include).await);
    assert!(body.contains("<D:basicsearch/>"), "{body}");
    let body = text(&d.send("PROPFIND", "", &[("depth", "0")], r#"<propfind xmlns="DAV:"><propname/></propfind>"#).await);
    assert!(body.contains("<D:resourcetype/>") && !body.contains("<D:getcontentlength/>"), "{body}");
}

#[tokio::test]
async fn t61_d6_mkcol_created_mapped_conflict_and_body() {
    let d = Dav::new();
    assert_eq!(d.status("MKCOL", "new/", &[], "").await, 201);
    assert!(d.path("new").is_dir());
    let r = d.send("MKCOL", "new/", &[], "").await;
    assert_eq!(r.status(), 405);
    assert!(!r.headers()[header::ALLOW].to_str().unwrap().contains("MKCOL"));
    assert_eq!(d.status("MKCOL", "a/b/c/", &[], "").await, 409);
    assert!(!d.path("a").exists(), "intermediate collections are not created");
    assert_eq!(d.status("MKCOL", "withbody/", &[("content-type", "text/plain")], "afafafaf").await, 415);
    d.write("plain", "x");
    assert_eq!(d.status("MKCOL", "plain", &[], "").await, 405);
    assert_eq!(d.status("MKCOL", "plain/sub/", &[], "").await, 409);
}

#[tokio::test]
async fn t62_d2_read_only_route_refuses_writes_with_405() {
    let d = Dav::with(|c| {
        c.read_only = true;
        c.search = false;
    });
    let r = d.send("MKCOL", "n/", &[], "").await;
    assert_eq!(r.status(), 405);
    let allow = r.headers()[header::ALLOW].to_str().unwrap().to_owned();
    assert!(!allow.contains("MKCOL") && !allow.contains("SEARCH"), "{allow}");
    assert_eq!(d.status("SEARCH", "", &[], "<x/>").await, 405);
    assert_eq!(d.status("PUT", "f", &[], "x").await, 405);
    assert_eq!(d.dav.dasl_header(), None);
    assert!(!d.dav.dav_header().contains('2'), "no LOCK, so no class 2");
}

#[tokio::test]
async fn d5_proppatch_all_or_nothing_with_424() {
    let d = Dav::new();
    d.write("f", "x");
    let body = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">
      <D:set><D:prop><Z:color>red</Z:color></D:prop></D:set>
      <D:set><D:prop><D:getetag>"x"</D:getetag></D:prop></D:set></D:propertyupdate>"#;
    let r = d.send("PROPPATCH", "f", &[], body).await;
    assert_eq!(r.status(), 207);
    let t = text(&r);
    assert_eq!(prop_status(&t, "DAV:", "getetag").unwrap(), "HTTP/1.1 403 Forbidden");
    assert!(t.contains("cannot-modify-protected-property"));
    assert_eq!(prop_status(&t, "urn:z", "color").unwrap(), "HTTP/1.1 424 Failed Dependency");
    let got = text(&d.send("PROPFIND", "f", &[("depth", "0")], r#"<propfind xmlns="DAV:"><prop><color xmlns="urn:z"/></prop></propfind>"#).await);
    assert_eq!(prop_status(&got, "urn:z", "color").unwrap(), "HTTP/1.1 404 Not Found", "nothing was applied");
}

#[tokio::test]
async fn d5_dead_properties_persist_travel_and_die_with_the_resource() {
    let d = Dav::new();
    d.write("f", "x");
    let set = r#"<propertyupdate xmlns="DAV:"><set><prop><color xmlns="urn:z" xml:lang="en">réd &amp; 𐀀</color><empty xmlns=""/></prop></set></propertyupdate>"#;
    let r = d.send("PROPPATCH", "f", &[], set).await;
    assert_eq!(r.status(), 207);
    assert_eq!(prop_status(&text(&r), "urn:z", "color").unwrap(), "HTTP/1.1 200 OK");
    let ask = r#"<propfind xmlns="DAV:"><prop><color xmlns="urn:z"/><empty xmlns=""/></prop></propfind>"#;

    // Survives a restart: a new handler on the same folder.
    let again = WebDav::new(DavConfig::new(d.dir.path()), Arc::new(MemoryLockStore::new())).unwrap();
    let req = http::Request::builder().method(m("PROPFIND")).header("depth", "0").body(http_body_util::Full::new(bytes::Bytes::from(ask))).unwrap();
    let ctx = methodical_webdav::DavContext { prefix: "/dav/", path: "f", user: None, scheme_authority: SA };
    let body = text(&again.handle(req, ctx).await);
    assert_eq!(prop_text(&body, "urn:z", "color").unwrap(), "réd & 𐀀");
    assert!(body.contains("xml:lang=\"en\""), "{body}");
    assert_eq!(prop_status(&body, "", "empty").unwrap(), "HTTP/1.1 200 OK");

    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/g")], "").await, 201);
    assert_eq!(prop_text(&text(&d.send("PROPFIND", "g", &[("depth", "0")], ask).await), "urn:z", "color").unwrap(), "réd & 𐀀");
    assert_eq!(d.status("MOVE", "g", &[("destination", "/dav/h")], "").await, 201);
    assert_eq!(prop_text(&text(&d.send("PROPFIND", "h", &[("depth", "0")], ask).await), "urn:z", "color").unwrap(), "réd & 𐀀");
    assert!(!d.path(".methodical-props-g").exists());
    assert_eq!(d.status("DELETE", "h", &[], "").await, 204);
    assert!(!d.path(".methodical-props-h").exists(), "the store goes with the resource");
    // A new resource of the same name starts without properties.
    assert_eq!(d.status("PUT", "h", &[], "new").await, 201);
    assert_eq!(prop_status(&text(&d.send("PROPFIND", "h", &[("depth", "0")], ask).await), "urn:z", "color").unwrap(), "HTTP/1.1 404 Not Found");

    // Collections keep theirs inside, and they travel with MOVE.
    d.mkdir("c");
    d.send("PROPPATCH", "c/", &[], set).await;
    assert_eq!(d.status("MOVE", "c/", &[("destination", "/dav/c2/")], "").await, 201);
    assert_eq!(prop_text(&text(&d.send("PROPFIND", "c2/", &[("depth", "0")], ask).await), "urn:z", "color").unwrap(), "réd & 𐀀");
}

#[tokio::test]
async fn d5_displayname_can_be_overridden_but_getetag_cannot() {
    let d = Dav::new();
    d.write("f", "x");
    let set = r#"<propertyupdate xmlns="DAV:"><set><prop><displayname>Nice name</displayname></prop></set></propertyupdate>"#;
    assert_eq!(d.status("PROPPATCH", "f", &[], set).await, 207);
    let body = text(&d.send("PROPFIND", "f", &[("depth", "0")], "").await);
    assert_eq!(prop_text(&body, "DAV:", "displayname").unwrap(), "Nice name");
    assert_eq!(body.matches("displayname>").count(), 2, "written once: {body}");
}

#[tokio::test]
async fn m17_put_creates_replaces_and_conflicts() {
    let d = Dav::new();
    let r = d.send("PUT", "f.txt", &[], "one").await;
    assert_eq!(r.status(), 201);
    let etag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
    let meta = std::fs::metadata(d.path("f.txt")).unwrap();
    assert_eq!(etag, methodical_fs::Validators::from_metadata(&meta).etag);
    assert_eq!(d.status("PUT", "f.txt", &[], "two").await, 204);
    assert_eq!(std::fs::read_to_string(d.path("f.txt")).unwrap(), "two");
    assert_eq!(d.status("PUT", "nope/f.txt", &[], "x").await, 409);
    assert_eq!(d.status("PUT", "f.txt/x", &[], "x").await, 409, "parent is a file");
    d.mkdir("c");
    assert_eq!(d.status("PUT", "c", &[], "x").await, 405);
    assert_eq!(d.status("PUT", "f.txt", &[("content-range", "bytes 0-1/2")], "xy").await, 400);
}

#[tokio::test]
async fn put_conditional_headers_and_delete_conditionals() {
    let d = Dav::new();
    d.write("f", "x");
    assert_eq!(d.status("PUT", "f", &[("if-match", "\"nope\"")], "y").await, 412);
    assert_eq!(d.status("PUT", "f", &[("if-none-match", "*")], "y").await, 412);
    assert_eq!(d.status("PUT", "g", &[("if-none-match", "*")], "y").await, 201);
    assert_eq!(d.status("PUT", "g2", &[("if-match", "*")], "y").await, 412);
    let etag = methodical_fs::Validators::from_metadata(&std::fs::metadata(d.path("f")).unwrap()).etag;
    assert_eq!(d.status("PUT", "f", &[("if-match", &etag)], "y").await, 204);
    assert_eq!(d.status("DELETE", "f", &[("if-unmodified-since", "Mon, 01 Jan 1990 00:00:00 GMT")], "").await, 412);
    assert_eq!(d.status("DELETE", "f", &[("if-match", "\"other\"")], "").await, 412);
    assert!(d.path("f").exists());
    assert_eq!(d.status("DELETE", "f", &[], "").await, 204);
}

#[tokio::test]
async fn put_over_the_limit_is_413_and_leaves_the_old_file() {
    let d = Dav::with(|c| c.max_upload = 10);
    d.write("f", "old");
    assert_eq!(d.status("PUT", "f", &[("content-length", "11")], "0123456789A").await, 413);
    // Without Content-Length the limit is enforced while streaming.
    assert_eq!(d.status("PUT", "f", &[], "0123456789ABCDEF").await, 413);
    assert_eq!(d.status("PUT", "new", &[], "0123456789ABCDEF").await, 413);
    assert_eq!(std::fs::read_to_string(d.path("f")).unwrap(), "old");
    assert!(!d.path("new").exists());
    let names: Vec<_> = std::fs::read_dir(d.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary left behind: {names:?}");
    assert_eq!(d.status("PUT", "f", &[], "0123456789").await, 204);
}

#[tokio::test]
async fn t63_d7_copy_without_destination_and_overwrite_f() {
    let d = Dav::new();
    d.write("f", "x");
    d.write("g", "y");
    assert_eq!(d.status("COPY", "f", &[], "").await, 400);
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/g"), ("overwrite", "F")], "").await, 412);
    assert_eq!(std::fs::read_to_string(d.path("g")).unwrap(), "y");
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/g"), ("overwrite", "X")], "").await, 400);
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/g")], "").await, 204);
    assert_eq!(std::fs::read_to_string(d.path("g")).unwrap(), "x");
}

#[tokio::test]
async fn t64_d7_move_to_new_and_existing_names() {
    let d = Dav::new();
    d.write("f", "1");
    d.write("f2", "2");
    d.write("existing", "old");
    assert_eq!(d.status("MOVE", "f", &[("destination", "http://127.0.0.1:8080/dav/moved")], "").await, 201);
    assert!(!d.path("f").exists());
    assert_eq!(d.status("MOVE", "f2", &[("destination", "/dav/existing")], "").await, 204);
    assert_eq!(std::fs::read_to_string(d.path("existing")).unwrap(), "2");
}

#[tokio::test]
async fn d7_copy_move_edge_cases() {
    let d = Dav::new();
    d.write("f", "x");
    d.write("c/m", "m");
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/f")], "").await, 403);
    assert_eq!(d.status("COPY", "f", &[("destination", "http://elsewhere:9/dav/g")], "").await, 502);
    assert_eq!(d.status("COPY", "f", &[("destination", "/static/g")], "").await, 502);
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/none/g")], "").await, 409);
    assert_eq!(d.status("COPY", "c/", &[("destination", "/dav/c/inner/")], "").await, 403);
    assert_eq!(d.status("COPY", "c/", &[("destination", "/dav/d/"), ("depth", "1")], "").await, 400);
    assert_eq!(d.status("MOVE", "c/", &[("destination", "/dav/d/"), ("depth", "0")], "").await, 400);
    assert_eq!(d.status("COPY", "nope", &[("destination", "/dav/g")], "").await, 404);
    // Depth 0 copies the collection without its members.
    assert_eq!(d.status("COPY", "c/", &[("destination", "/dav/shallow/"), ("depth", "0")], "").await, 201);
    assert!(d.path("shallow").is_dir() && !d.path("shallow/m").exists());
    assert_eq!(d.status("COPY", "c/", &[("destination", "/dav/deep/")], "").await, 201);
    assert_eq!(std::fs::read_to_string(d.path("deep/m")).unwrap(), "m");
    // Percent-encoded destination.
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/a%20b")], "").await, 201);
    assert!(d.path("a b").exists());
}

#[tokio::test]
async fn t65_d8_lock_then_conflicting_exclusive_lock() {
    let d = Dav::new();
    d.write("f", "x");
    let body = r#"<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>mailto:a@b</D:href></D:owner></D:lockinfo>"#;
    let r = d.send("LOCK", "f", &[("timeout", "Second-100")], body).await;
    assert_eq!(r.status(), 200);
    let token = r.headers()["lock-token"].to_str().unwrap().to_owned();
    assert!(token.starts_with("<urn:uuid:") && token.ends_with('>'));
    let t = text(&r);
    assert!(t.contains("<D:lockdiscovery>") && t.contains("mailto:a@b") && t.contains("Second-10"), "{t}");
    assert!(t.contains(&format!("<D:href>{}</D:href>", token.trim_matches(['<', '>']))));
    let r = d.send("LOCK", "f", &[], body).await;
    assert_eq!(r.status(), 423);
    assert!(text(&r).contains("no-conflicting-lock"));
    // Shared locks conflict with the exclusive one too.
    assert_eq!(d.status("LOCK", "f", &[], &body.replace("exclusive", "shared")).await, 423);
    assert_eq!(d.status("LOCK", "f", &[("depth", "1")], body).await, 400);
}

#[tokio::test]
async fn d8_lock_on_unmapped_url_creates_an_empty_resource_and_refresh_works() {
    let d = Dav::new();
    let r = d.send("LOCK", "newfile", &[], r#"<lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope><locktype><write/></locktype></lockinfo>"#).await;
    assert_eq!(r.status(), 201);
    assert_eq!(std::fs::read(d.path("newfile")).unwrap().len(), 0);
    let token = r.headers()["lock-token"].to_str().unwrap().trim_matches(['<', '>']).to_owned();
    let r = d.send("LOCK", "newfile", &[("if", &format!("(<{token}>)")), ("timeout", "Second-30")], "").await;
    assert_eq!(r.status(), 200);
    assert!(!r.headers().contains_key("lock-token"), "no Lock-Token on refresh");
    assert!(text(&r).contains("Second-30") || text(&r).contains("Second-29"));
    assert_eq!(d.status("LOCK", "newfile", &[], "").await, 400, "refresh needs If");
    assert_eq!(d.status("LOCK", "newfile", &[("if", "(<urn:uuid:other>)")], "").await, 412);
    assert_eq!(d.status("LOCK", "none/x", &[], r#"<lockinfo xmlns="DAV:"><lockscope><shared/></lockscope><locktype><write/></locktype></lockinfo>"#).await, 409);
}

#[tokio::test]
async fn t66_d10_d11_put_on_locked_resource() {
    let d = Dav::new();
    d.write("f", "x");
    let token = d.lock("f", "exclusive", "0").await;
    let r = d.send("PUT", "f", &[], "new").await;
    assert_eq!(r.status(), 423);
    let t = text(&r);
    assert!(t.contains("<D:lock-token-submitted><D:href>/dav/f</D:href></D:lock-token-submitted>"), "{t}");
    assert_eq!(d.status("PUT", "f", &[("if", "(<urn:uuid:wrong>)")], "new").await, 412);
    // True If header, but the real token is missing: 423 (litmus cond_put_corrupt_token).
    assert_eq!(d.status("PUT", "f", &[("if", &format!("(<{token}x>) (Not <DAV:no-lock>)"))], "new").await, 423);
    assert_eq!(d.status("PUT", "f", &[("if", &format!("(<{token}>)"))], "new").await, 204);
    // Tagged list naming the resource.
    let tagged = format!("<http://127.0.0.1:8080/dav/f> (<{token}>)");
    assert_eq!(d.status("PUT", "f", &[("if", &tagged)], "again").await, 204);
    // Lock token plus ETag in one list.
    let etag = methodical_fs::Validators::from_metadata(&std::fs::metadata(d.path("f")).unwrap()).etag;
    assert_eq!(d.status("PUT", "f", &[("if", &format!("(<{token}> [{etag}])"))], "third").await, 204);
    assert_eq!(d.status("PUT", "f", &[("if", &format!("(<{token}> [\"stale\"])"))], "fourth").await, 412);
    assert_eq!(d.status("PUT", "f", &[("if", "(<DAV:no-lock>")], "x").await, 400, "malformed If");
    // Other state changes need the token too.
    assert_eq!(d.status("DELETE", "f", &[], "").await, 423);
    assert_eq!(d.status("MOVE", "f", &[("destination", "/dav/g")], "").await, 423);
    d.write("src", "s");
    assert_eq!(d.status("COPY", "src", &[("destination", "/dav/f")], "").await, 423, "locked destination");
    assert_eq!(d.status("PROPPATCH", "f", &[], r#"<propertyupdate xmlns="DAV:"><set><prop><a xmlns="u">1</a></prop></set></propertyupdate>"#).await, 423);
    // COPY from a locked source is fine, and the lock does not follow.
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/copy")], "").await, 201);
    assert!(!text(&d.send("PROPFIND", "copy", &[("depth", "0")], "").await).contains("activelock"));
}

#[tokio::test]
async fn d10_depth_infinity_collection_lock_protects_members_and_membership() {
    let d = Dav::new();
    d.write("c/m", "x");
    let token = d.lock("c/", "exclusive", "infinity").await;
    assert_eq!(d.status("PUT", "c/m", &[], "y").await, 423);
    assert_eq!(d.status("PUT", "c/new", &[], "y").await, 423);
    assert_eq!(d.status("MKCOL", "c/sub/", &[], "").await, 423);
    let tagged = format!("<http://127.0.0.1:8080/dav/c/> (<{token}>)");
    assert_eq!(d.status("PUT", "c/m", &[("if", &tagged)], "y").await, 204);
    assert_eq!(d.status("PUT", "c/new", &[("if", &format!("(<{token}>)"))], "y").await, 201);
    // Refresh through a member (indirect refresh).
    assert_eq!(d.status("LOCK", "c/m", &[("if", &format!("(<{token}>)"))], "").await, 200);
    // lockdiscovery on a member shows the collection's lock.
    let body = text(&d.send("PROPFIND", "c/m", &[("depth", "0")], r#"<propfind xmlns="DAV:"><prop><lockdiscovery/></prop></propfind>"#).await);
    assert!(body.contains(&token) && body.contains("<D:lockroot><D:href>/dav/c/</D:href>"), "{body}");
}

#[tokio::test]
async fn d8_shared_locks_coexist_and_one_token_suffices() {
    let d = Dav::new();
    d.write("f", "x");
    let a = d.lock("f", "shared", "0").await;
    let b = d.lock("f", "shared", "0").await;
    assert_ne!(a, b);
    assert_eq!(d.status("PUT", "f", &[], "y").await, 423);
    assert_eq!(d.status("PUT", "f", &[("if", &format!("(<{b}>)"))], "y").await, 204);
}

#[tokio::test]
async fn t67_d9_unlock() {
    let d = Dav::new();
    d.write("f", "x");
    d.write("g", "x");
    let token = d.lock("f", "exclusive", "0").await;
    assert_eq!(d.status("UNLOCK", "f", &[], "").await, 400);
    let r = d.send("UNLOCK", "f", &[("lock-token", "<urn:uuid:bogus>")], "").await;
    assert_eq!(r.status(), 409);
    assert!(text(&r).contains("lock-token-matches-request-uri"));
    assert_eq!(d.status("UNLOCK", "g", &[("lock-token", &format!("<{token}>"))], "").await, 409, "outside the lock");
    let r = d.send("UNLOCK", "f", &[("lock-token", &format!("<{token}>"))], "").await;
    assert_eq!(r.status(), 204);
    assert!(r.body().is_empty() && !r.headers().contains_key(header::CONTENT_LENGTH));
    assert_eq!(d.status("PUT", "f", &[], "free").await, 204);
}

#[tokio::test]
async fn t68_d14_bodies_that_would_be_ignored_are_415() {
    let d = Dav::new();
    d.write("f", "x");
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/g")], "hello").await, 415);
    assert!(!d.path("g").exists());
    assert_eq!(d.status("DELETE", "f", &[], "hello").await, 415);
    assert_eq!(d.status("MOVE", "f", &[("destination", "/dav/g")], "hello").await, 415);
    assert!(d.path("f").exists());
}

#[tokio::test]
async fn d15_delete_collection_partial_failure_is_207_and_locks_die() {
    let d = Dav::new();
    d.write("c/keep", "k");
    d.write("c/go", "g");
    d.write("c/sub/deep", "d");
    let token = d.lock("c/keep", "exclusive", "0").await;
    assert_eq!(d.status("DELETE", "c/", &[("depth", "0")], "").await, 400);
    let r = d.send("DELETE", "c/", &[], "").await;
    assert_eq!(r.status(), 207);
    let t = text(&r);
    assert_eq!(hrefs(&t), ["/dav/c/keep"]);
    assert!(t.contains("423 Locked") && !t.contains("424") && !t.contains(" 204 "), "{t}");
    assert!(d.path("c/keep").exists() && !d.path("c/go").exists() && !d.path("c/sub").exists());
    // With the token everything goes, and the lock with it.
    assert_eq!(d.status("DELETE", "c/", &[("if", &format!("<http://127.0.0.1:8080/dav/c/keep> (<{token}>)"))], "").await, 204);
    assert!(!d.path("c").exists());
    assert_eq!(d.status("PROPFIND", "c/", &[("depth", "0")], "").await, 404);
    assert_eq!(d.status("UNLOCK", "c/keep", &[("lock-token", &format!("<{token}>"))], "").await, 409, "lock destroyed");
    assert_eq!(d.status("DELETE", "", &[], "").await, 403, "the route root stays");
}

#[tokio::test]
async fn d13_full_disk_maps_to_507() {
    let e = std::io::Error::from_raw_os_error(libc_enospc());
    assert_eq!(methodical_webdav::DavError::io(&e).status, 507);
}

fn libc_enospc() -> i32 {
    28 // ENOSPC on Linux
}

#[tokio::test]
async fn path_traversal_never_leaves_the_root() {
    let d = Dav::new();
    assert_eq!(d.status("PUT", "../escape", &[], "x").await, 404);
    assert_eq!(d.status("PUT", "%2e%2e/escape", &[], "x").await, 404);
    assert_eq!(d.status("MKCOL", "a%2fb/", &[], "").await, 404);
    assert_eq!(d.status("PUT", "x%00", &[], "x").await, 400);
    d.write("f", "x");
    assert_eq!(d.status("COPY", "f", &[("destination", "/dav/../escape")], "").await, 403);
    assert!(!d.dir.path().parent().unwrap().join("escape").exists());
}

#[tokio::test]
async fn data_safety_stale_temporaries_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/.methodical-tmp-123-0-ff"), b"half an upload").unwrap();
    std::fs::write(dir.path().join("keep"), b"k").unwrap();
    let _dav = WebDav::new(DavConfig::new(dir.path()), Arc::new(MemoryLockStore::new())).unwrap();
    assert_eq!(std::fs::read_dir(dir.path().join("sub")).unwrap().count(), 0);
    assert!(dir.path().join("keep").exists());
}
