//! Feeds arbitrary bytes to the SEARCH body parser (RFC 5323, `DAV:basicsearch`). Besides "no
//! panic", it checks the XML round trip, that refusals are client errors with a parseable
//! explanation (400, 403 with `search-grammar-supported`, 422), that an accepted query has a
//! scope, and that every selected property name can be written into the 207 and read back.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use methodical_webdav::fuzzing::{search, PropRequest};

fuzz_target!(|data: &[u8]| {
    common::check_xml(data);
    match search(data) {
        Ok(query) => {
            assert!(!query.scopes.is_empty(), "an accepted query without a scope");
            if let PropRequest::Props(names) | PropRequest::AllProp(names) = &query.select {
                common::check_prop_names(names.iter().map(|n| (n.ns.as_str(), n.name.as_str())));
            }
            for key in &query.order {
                assert!(!key.prop.name.is_empty(), "an order key without a property");
            }
        }
        Err(e) => common::check_error(&e),
    }
});
