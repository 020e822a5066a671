//! Feeds arbitrary bytes to the PROPFIND body parser (RFC 4918 §9.1). Besides "no panic", it
//! checks the XML round trip, that refusals are client errors with a parseable explanation,
//! and that every requested property name can be written into the 207 and read back.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use methodical_webdav::fuzzing::{propfind, PropRequest};

fuzz_target!(|data: &[u8]| {
    common::check_xml(data);
    match propfind(data) {
        Ok(PropRequest::Props(names) | PropRequest::AllProp(names)) => {
            common::check_prop_names(names.iter().map(|n| (n.ns.as_str(), n.name.as_str())));
        }
        Ok(PropRequest::PropName) => {}
        Err(e) => common::check_error(&e),
    }
});
