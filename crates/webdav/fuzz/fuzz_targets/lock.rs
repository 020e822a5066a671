//! Feeds arbitrary bytes to the LOCK body parser (RFC 4918 §9.10, §14.11). Besides "no
//! panic", it checks the XML round trip, that refusals are client errors with a parseable
//! explanation, and that the `owner` element, which lock discovery returns as given (D-8),
//! reads back unchanged from our own output.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use methodical_webdav::fuzzing::lock;
use methodical_webdav::xml::DAV;

fuzz_target!(|data: &[u8]| {
    common::check_xml(data);
    match lock(data) {
        Ok(request) => {
            if let Some(owner) = &request.owner {
                assert!(owner.is(DAV, "owner"), "the owner is {{{}}}{}", owner.ns, owner.name);
                common::check_nested(std::slice::from_ref(owner));
            }
        }
        Err(e) => common::check_error(&e),
    }
});
