//! Feeds arbitrary bytes to the HTTP/1.1 request-head parser (`parse_head`), the framing
//! decision (`framing`) and the content decoder (`Decoder`), as a connection would: the head
//! first, then whatever follows it as the content.
//!
//! Besides "no panic", it checks what the connection relies on:
//!
//! - a parsed head never claims more octets than it was given, ends with CRLF CRLF, and stays
//!   within the limits it was parsed with;
//! - parsing is prefix-consistent: a cut of an accepted head is "read more" (never an
//!   error), and an error stays an error however many octets follow;
//! - parsing only the head's own octets gives the same head;
//! - the decoder never yields more octets than it was given, never an empty piece, never a
//!   piece over `max`, and yields the same content, outcome and leftover whether the octets
//!   arrive at once or a few at a time.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use methodical_server::http1::{framing, parse_head, Decoded, Decoder, Framing, HeadLimits, ParsedHead};

/// Small limits, so that short inputs reach the 414 / 431 paths too.
const SMALL: HeadLimits = HeadLimits { max_target: 64, max_head: 256, max_headers: 4 };

fn check_head(data: &[u8], limits: &HeadLimits) {
    match parse_head(data, limits) {
        Ok(Some(head)) => {
            assert!(head.len <= data.len(), "len {} beyond the input of {} octets", head.len, data.len());
            assert!(data[..head.len].ends_with(b"\r\n\r\n"), "a head ends with CRLF CRLF");
            assert!(head.target.len() <= limits.max_target, "target over the limit");
            assert!(!head.target.is_empty(), "an empty target");
            assert!(head.headers.len() <= limits.max_headers, "more fields than allowed");
            let leading = data.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
            assert!(head.len - leading <= limits.max_head, "head over the size limit");

            same_head(&head, &data[..head.len], limits);
            for cut in [head.len - 1, head.len / 2, head.len.saturating_sub(3)] {
                match parse_head(&data[..cut], limits) {
                    Ok(None) => {}
                    other => panic!("a prefix of {cut} octets of an accepted head gave {other:?}"),
                }
            }
            match framing(&head.headers, head.version) {
                Ok(Framing::None) => {}
                Ok(Framing::Length(n)) => {
                    assert!(n > 0, "Length(0) must be Framing::None");
                    check_decoder(|| Decoder::length(n), &data[head.len..], Some(n));
                }
                Ok(Framing::Chunked) => check_decoder(Decoder::chunked, &data[head.len..], None),
                Err(e) => assert!(!e.to_string().is_empty(), "a framing error without a message"),
            }
        }
        Ok(None) => {}
        Err(e) => {
            assert!(!e.to_string().is_empty(), "a parse error without a message");
            let mut longer = data.to_vec();
            longer.extend_from_slice(b"\r\n\r\n");
            assert!(
                parse_head(&longer, limits).is_err(),
                "{e:?} on a prefix, yet the longer input parses"
            );
        }
    }
}

fn same_head(head: &ParsedHead, exact: &[u8], limits: &HeadLimits) {
    let again = parse_head(exact, limits)
        .expect("the head's own octets parse")
        .expect("the head's own octets are complete");
    assert_eq!(again.len, head.len);
    assert_eq!(again.method, head.method);
    assert_eq!(again.target, head.target);
    assert_eq!(again.form, head.form);
    assert_eq!(again.version, head.version);
    assert_eq!(again.headers, head.headers);
}

/// What decoding produced: the content, how it ended, and the octets left in the buffer.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    content: Vec<u8>,
    outcome: Outcome,
    leftover: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    NeedMore,
    Error,
}

/// Decodes `input` arriving in pieces of `sizes` (cycled), asking for at most `maxes`
/// (cycled) octets per call.
fn decode(mut decoder: Decoder, input: &[u8], sizes: &[usize], maxes: &[usize]) -> Run {
    let mut buf = BytesMut::new();
    let mut content = Vec::new();
    let mut fed = 0;
    let mut step = 0;
    loop {
        if fed < input.len() {
            let n = sizes[step % sizes.len()].min(input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
        }
        let outcome = loop {
            let max = maxes[step % maxes.len()];
            step += 1;
            match decoder.decode(&mut buf, max) {
                Ok(Decoded::Data(d)) => {
                    assert!(!d.is_empty(), "an empty Data piece would make a reader spin");
                    assert!(d.len() <= max, "a piece of {} octets over max {max}", d.len());
                    content.extend_from_slice(&d);
                    assert!(content.len() <= fed, "decoded {} octets from {fed} given", content.len());
                }
                Ok(Decoded::NeedMore) => break Outcome::NeedMore,
                Ok(Decoded::Done) => {
                    assert!(decoder.is_done());
                    break Outcome::Done;
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    // The connection closes on an error: what is left unread does not matter,
                    // and depends on how much had arrived.
                    buf.clear();
                    break Outcome::Error;
                }
            }
        };
        if outcome != Outcome::NeedMore || fed == input.len() {
            let mut leftover = buf.to_vec();
            if outcome == Outcome::Done {
                // What has not arrived yet follows what is buffered: the next request.
                leftover.extend_from_slice(&input[fed..]);
            }
            return Run { content, outcome, leftover };
        }
    }
}

fn check_decoder(new: impl Fn() -> Decoder, input: &[u8], length: Option<u64>) {
    let whole = decode(new(), input, &[usize::MAX], &[usize::MAX]);
    assert!(whole.content.len() <= input.len());
    if let Some(n) = length {
        let expect = (n as usize).min(input.len());
        assert_eq!(whole.content, input[..expect], "Content-Length content is the next {n} octets");
        let outcome = if input.len() as u64 >= n { Outcome::Done } else { Outcome::NeedMore };
        assert_eq!(whole.outcome, outcome);
    }
    if whole.outcome == Outcome::Done {
        assert!(input.ends_with(&whole.leftover), "the leftover is the end of the input");
    }
    for (sizes, maxes) in [(&[1usize][..], &[1usize][..]), (&[2, 3, 7][..], &[5, 4096][..]), (&[64, 1][..], &[3][..])] {
        let piecewise = decode(new(), input, sizes, maxes);
        assert_eq!(piecewise, whole, "decoding depends on how the octets arrive ({sizes:?}, {maxes:?})");
    }
}

fuzz_target!(|data: &[u8]| {
    check_head(data, &HeadLimits::default());
    check_head(data, &SMALL);
    // The decoders on their own, over the raw input, so content framing is reached without
    // a valid head first.
    check_decoder(Decoder::chunked, data, None);
});
