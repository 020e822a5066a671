//! X-2: the `ext-decl` grammar, its errors, and print/parse round trips.

use proptest::prelude::*;

use super::*;

fn parse1(s: &str) -> Declaration {
    let mut v = parse_declarations(s.as_bytes()).unwrap();
    assert_eq!(v.len(), 1, "{s}");
    v.remove(0)
}

fn err(s: &[u8]) -> DeclError {
    parse_declarations(s).unwrap_err()
}

fn token(s: &str) -> Option<ParamValue> {
    Some(ParamValue::Token(s.to_owned()))
}

fn quoted(s: &str) -> Option<ParamValue> {
    Some(ParamValue::Quoted(s.to_owned()))
}

#[test]
fn x2_rfc_examples_parse() {
    let d = parse1(r#""http://www.company.com/extension"; ns=11"#);
    assert_eq!(
        d.id,
        ExtensionId::Uri("http://www.company.com/extension".into())
    );
    assert_eq!(d.prefix, Some(HeaderPrefix::new("11").unwrap()));
    assert!(d.params.is_empty());

    let d = parse1(r#""Range""#);
    assert_eq!(d.id, ExtensionId::Field("Range".into()));
    assert_eq!(d.prefix, None);
}

#[test]
fn x2_uri_and_field_name_told_apart_by_colon() {
    assert!(parse1(r#""urn:x-test:ok""#).id.is_uri());
    assert!(!parse1(r#""X-Test""#).id.is_uri());
}

#[test]
fn x2_list_with_ows_and_empty_elements() {
    let v = parse_declarations(b" , \"urn:a\" ;ns=16 ,,\t\"Range\"\t, ").unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].prefix.as_ref().unwrap().as_str(), "16");
    assert_eq!(v[1].id.as_str(), "Range");
    assert!(parse_declarations(b"").unwrap().is_empty());
    assert!(parse_declarations(b" , ,").unwrap().is_empty());
}

#[test]
fn x2_unknown_parameters_are_kept_in_order() {
    let d = parse1(r#""urn:a"; ns=16; foo; bar=baz; q="a \"b\" \\ c""#);
    assert_eq!(
        d.params,
        vec![
            DeclParam {
                name: "foo".into(),
                value: None
            },
            DeclParam {
                name: "bar".into(),
                value: token("baz")
            },
            DeclParam {
                name: "q".into(),
                value: quoted(r#"a "b" \ c"#)
            },
        ]
    );
    assert_eq!(
        d.param("BAR").unwrap().value.as_ref().unwrap().as_str(),
        "baz"
    );
    assert_eq!(
        d.to_string(),
        r#""urn:a"; ns=16; foo; bar=baz; q="a \"b\" \\ c""#
    );
}

#[test]
fn x2_ns_is_case_insensitive_and_may_follow_other_parameters() {
    let d = parse1(r#""urn:a"; x=1; NS=042"#);
    assert_eq!(d.prefix.unwrap().as_str(), "042");
    assert_eq!(d.params.len(), 1);
}

#[test]
fn x2_ows_around_semicolon_and_equals_and_empty_parameters() {
    let d = parse1("\"urn:a\"\t;  ns = 16 ;; a = \"b\" ;");
    assert_eq!(d.prefix.unwrap().as_str(), "16");
    assert_eq!(
        d.params,
        vec![DeclParam {
            name: "a".into(),
            value: quoted("b")
        }]
    );
}

#[test]
fn x2_quoted_identifier_may_hold_commas_and_semicolons() {
    let v = parse_declarations(br#""http://a.example/x;y,z"; ns=10, "urn:b""#).unwrap();
    assert_eq!(v[0].id.as_str(), "http://a.example/x;y,z");
    assert_eq!(v[1].id.as_str(), "urn:b");
}

#[test]
fn x2_error_unquoted_identifier() {
    let e = err(b"http://example.org/ext");
    assert!(matches!(e, DeclError::ExpectedQuote { at: 0, .. }));
    assert!(
        e.to_string()
            .contains("extension identifier must be in double quotes"),
        "{e}"
    );
    // The offset counts from the start of the field line.
    assert!(matches!(
        err(br#""urn:a", Range"#),
        DeclError::ExpectedQuote { at: 9, .. }
    ));
}

#[test]
fn x2_error_unterminated_and_empty_identifier() {
    assert_eq!(
        err(br#""urn:a; ns=16"#),
        DeclError::UnterminatedIdentifier { at: 0 }
    );
    let e = err(br#""""#);
    assert_eq!(e, DeclError::EmptyIdentifier { at: 0 });
    assert!(e.to_string().contains("is empty"));
}

#[test]
fn x2_error_invalid_uri() {
    for (input, reason) in [
        (&br#"":x""#[..], "scheme before the colon is empty"),
        (br#""1http://x""#, "the scheme must be"),
        (br#""http:""#, "nothing follows"),
        (br#""http://a b""#, "not allowed in a URI"),
        (br#""http://a/%zz""#, "two hex digits"),
        (br#""http://a/<x>""#, "not allowed in a URI"),
    ] {
        let e = err(input);
        assert!(matches!(e, DeclError::InvalidUri { .. }), "{e:?}");
        assert!(e.to_string().contains(reason), "{e}");
    }
    assert!(parse_declarations(br#""http://a/%41b?q=1#frag""#).is_ok());
}

#[test]
fn x2_error_invalid_field_name() {
    let e = err(br#""Ran ge""#);
    assert!(matches!(e, DeclError::InvalidFieldName { .. }));
    assert_eq!(
        e.to_string(),
        "extension identifier `Ran ge` has no colon, so it must be a field-name (a token), but it contains a space (RFC 2774 §3)"
    );
}

#[test]
fn x2_error_prefix_needs_two_digits() {
    let e = err(br#""urn:a"; ns=7"#);
    assert_eq!(e, DeclError::PrefixTooShort { prefix: "7".into() });
    assert_eq!(
        e.to_string(),
        "header prefix `7` must have at least 2 digits (RFC 2774 §3.1)"
    );
    assert!(matches!(
        err(br#""urn:a"; ns=1a"#),
        DeclError::PrefixNotDigits { .. }
    ));
    assert!(matches!(
        err(br#""urn:a"; ns=-12"#),
        DeclError::PrefixNotDigits { .. }
    ));
    assert!(HeaderPrefix::new("").is_err());
    assert!(HeaderPrefix::new("12").is_ok());
}

#[test]
fn x2_error_bad_or_duplicate_namespace() {
    assert!(matches!(
        err(br#""urn:a"; ns"#),
        DeclError::BadNamespace { at: 9 }
    ));
    assert!(matches!(
        err(br#""urn:a"; ns="16""#),
        DeclError::BadNamespace { .. }
    ));
    assert!(matches!(
        err(br#""urn:a"; ns="#),
        DeclError::MissingParamValue { .. }
    ));
    let e = err(br#""urn:a"; ns=16; ns=17"#);
    assert_eq!(
        e,
        DeclError::DuplicateNamespace {
            first: "16".into(),
            second: "17".into()
        }
    );
}

#[test]
fn x2_error_separator_param_name_and_value() {
    let e = err(br#""urn:a" x"#);
    assert_eq!(
        e,
        DeclError::ExpectedSeparator {
            found: "`x`".into(),
            at: 8
        }
    );
    assert!(e.to_string().contains("expected `;`"));
    assert!(matches!(
        err(br#""urn:a"; =x"#),
        DeclError::ExpectedParamName { at: 9, .. }
    ));
    assert!(matches!(
        err(br#""urn:a"; a="#),
        DeclError::MissingParamValue { .. }
    ));
    let e = err(br#""urn:a"; a=, "urn:b""#);
    assert_eq!(
        e,
        DeclError::MissingParamValue {
            name: "a".into(),
            at: 11
        }
    );
    assert!(matches!(
        err(br#""urn:a"; a=b c"#),
        DeclError::ExpectedSeparator { .. }
    ));
    assert!(matches!(
        err(br#""urn:a"; a/b"#),
        DeclError::ExpectedSeparator { .. }
    ));
}

#[test]
fn x2_error_quoted_string() {
    assert_eq!(
        err(br#""urn:a"; a="xy"#),
        DeclError::UnterminatedQuotedString { at: 11 }
    );
    assert_eq!(
        err(br#""urn:a"; a="x\"#),
        DeclError::UnterminatedQuotedString { at: 11 }
    );
    let e = err(b"\"urn:a\"; a=\"x\x07\"");
    assert_eq!(
        e,
        DeclError::InvalidOctet {
            found: "0x07".into(),
            at: 13
        }
    );
    let e = err("\"urn:a\"; a=\"caf\u{e9}\"".as_bytes());
    assert!(e.to_string().contains("0xC3"), "{e}");
}

#[test]
fn x2_prefix_matching_is_exact() {
    let p = HeaderPrefix::new("16").unwrap();
    assert_eq!(p.strip_from("16-copyright"), Some("copyright"));
    assert_eq!(p.strip_from("116-copyright"), None);
    assert_eq!(p.strip_from("160-copyright"), None);
    assert_eq!(p.strip_from("016-copyright"), None);
    assert_eq!(p.strip_from("16copyright"), None);
    assert_eq!(p.strip_from("16-"), None);
}

#[test]
fn decl_param_new_validates() {
    assert!(DeclParam::new("a", token("b")).is_ok());
    assert!(DeclParam::new("ns", token("16")).is_err());
    assert!(DeclParam::new("a b", None).is_err());
    assert!(DeclParam::new("a", token("b c")).is_err());
    assert!(DeclParam::new("a", quoted("b\u{7}")).is_err());
    assert!(DeclParam::new("a", quoted("b \"c\"")).is_ok());
}

// ---- property tests -------------------------------------------------------

fn arb_id() -> impl Strategy<Value = ExtensionId> {
    prop_oneof![
        (
            "[a-zA-Z][a-zA-Z0-9+.-]{0,5}",
            "[a-zA-Z0-9/._~:@!$&'()*+,;=?#\\[\\]-]{1,20}",
            proptest::option::of("%[0-9A-Fa-f]{2}"),
        )
            .prop_map(|(scheme, rest, esc)| ExtensionId::Uri(format!(
                "{scheme}:{rest}{}",
                esc.unwrap_or_default()
            ))),
        "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,12}".prop_map(ExtensionId::Field),
    ]
}

fn arb_param() -> impl Strategy<Value = DeclParam> {
    (
        "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,8}"
            .prop_filter("ns is the namespace", |n| !n.eq_ignore_ascii_case("ns")),
        proptest::option::of(prop_oneof![
            "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,8}".prop_map(ParamValue::Token),
            "[ \t!-~]{0,12}".prop_map(ParamValue::Quoted),
        ]),
    )
        .prop_map(|(name, value)| DeclParam { name, value })
}

fn arb_decl() -> impl Strategy<Value = Declaration> {
    (
        arb_id(),
        proptest::option::of("[0-9]{2,4}"),
        proptest::collection::vec(arb_param(), 0..4),
    )
        .prop_map(|(id, prefix, params)| Declaration {
            id,
            prefix: prefix.map(|p| HeaderPrefix::new(&p).unwrap()),
            params,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn x2_prop_parse_of_print_is_identity(d in arb_decl()) {
        let printed = d.to_string();
        prop_assert_eq!(parse_declarations(printed.as_bytes()).unwrap(), vec![d]);
    }

    #[test]
    fn x2_prop_list_round_trip(ds in proptest::collection::vec(arb_decl(), 0..4)) {
        let printed = format_declarations(&ds);
        prop_assert_eq!(parse_declarations(printed.as_bytes()).unwrap(), ds);
    }

    #[test]
    fn x2_prop_print_of_parse_is_stable(s in "[\"a-zA-Z0-9:;=, \t\\\\/%-]{0,40}") {
        if let Ok(ds) = parse_declarations(s.as_bytes()) {
            let printed = format_declarations(&ds);
            let again = parse_declarations(printed.as_bytes()).unwrap();
            prop_assert_eq!(&again, &ds);
            prop_assert_eq!(format_declarations(&again), printed);
        }
    }

    #[test]
    fn x2_prop_print_of_parse_is_stable_near_valid(
        ds in proptest::collection::vec(arb_decl(), 1..3),
        list_noise in "[ \t,]{0,3}",
        param_noise in "[ \t;]{0,3}",
    ) {
        // Canonical text with extra empty list elements, empty parameters and
        // OWS: still parses, to as many declarations, and prints canonically.
        // (A quoted value containing "; " gets the noise too, which is fine.)
        let s = format!(
            "{list_noise}{}{list_noise}",
            format_declarations(&ds).replace("; ", &format!(" ;{param_noise}"))
        );
        let parsed = parse_declarations(s.as_bytes());
        prop_assert!(parsed.is_ok(), "{:?} -> {:?}", s, parsed);
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.len(), ds.len());
        let printed = format_declarations(&parsed);
        prop_assert_eq!(parse_declarations(printed.as_bytes()).unwrap(), parsed);
    }

    #[test]
    fn x2_prop_no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        let _ = parse_declarations(&bytes);
    }
}
