//! Feeds arbitrary bytes to the PROPPATCH body parser (RFC 4918 §9.2). Besides "no panic",
//! it checks the XML round trip, that refusals are client errors with a parseable
//! explanation, that an accepted body has at least one instruction, and that the properties
//! it sets read back from a dead-property store exactly as they were set (D-5: a property
//! keeps its value, namespace, `xml:lang` and whitespace).

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use methodical_webdav::fuzzing::{proppatch, Instruction};
use methodical_webdav::props::dead;

fuzz_target!(|data: &[u8]| {
    common::check_xml(data);
    match proppatch(data) {
        Ok(instructions) => {
            assert!(!instructions.is_empty(), "an accepted propertyupdate without instructions");
            let mut set = Vec::new();
            let mut names = Vec::new();
            for i in &instructions {
                match i {
                    Instruction::Set(e) => {
                        names.push((e.ns.as_str(), e.name.as_str()));
                        set.push(e.clone());
                    }
                    Instruction::Remove(n) => names.push((n.ns.as_str(), n.name.as_str())),
                }
            }
            common::check_prop_names(names);
            let stored = dead::encode(&set);
            let back = dead::decode(&stored).unwrap_or_else(|e| {
                panic!("a dead-property store does not parse ({e}): {}", String::from_utf8_lossy(&stored))
            });
            assert_eq!(back, set, "properties changed on the way through the store: {}", String::from_utf8_lossy(&stored));
        }
        Err(e) => common::check_error(&e),
    }
});
