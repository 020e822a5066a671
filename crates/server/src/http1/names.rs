//! Field names as they usually arrive, recognised without the general lookup.
//!
//! `HeaderName::from_bytes` lower-cases every name into a scratch buffer and then searches all
//! the names the http crate knows: about 200 instructions a field, on every request head and
//! every upstream response head. Nearly every client and server writes the common names in
//! one spelling (`Content-Length`, `host`), so those are matched exactly first; anything
//! else, any other spelling included, takes the general path and gives the same name.

use http::header::{self, HeaderName, InvalidHeaderName};

/// The `HeaderName` for a field name as received; an invalid name is refused exactly as
/// `HeaderName::from_bytes` refuses it.
pub fn field_name(name: &[u8]) -> Result<HeaderName, InvalidHeaderName> {
    let known = match name {
        b"Host" | b"host" => header::HOST,
        b"Date" | b"date" => header::DATE,
        b"Server" | b"server" => header::SERVER,
        b"Content-Type" | b"content-type" => header::CONTENT_TYPE,
        b"Content-Length" | b"content-length" => header::CONTENT_LENGTH,
        b"Last-Modified" | b"last-modified" => header::LAST_MODIFIED,
        b"ETag" | b"Etag" | b"etag" => header::ETAG,
        b"Accept-Ranges" | b"accept-ranges" => header::ACCEPT_RANGES,
        b"Connection" | b"connection" => header::CONNECTION,
        b"Cache-Control" | b"cache-control" => header::CACHE_CONTROL,
        b"Expires" | b"expires" => header::EXPIRES,
        b"Vary" | b"vary" => header::VARY,
        b"Age" | b"age" => header::AGE,
        b"Location" | b"location" => header::LOCATION,
        b"Transfer-Encoding" | b"transfer-encoding" => header::TRANSFER_ENCODING,
        b"Content-Encoding" | b"content-encoding" => header::CONTENT_ENCODING,
        b"User-Agent" | b"user-agent" => header::USER_AGENT,
        b"Accept" | b"accept" => header::ACCEPT,
        b"Accept-Encoding" | b"accept-encoding" => header::ACCEPT_ENCODING,
        b"Accept-Language" | b"accept-language" => header::ACCEPT_LANGUAGE,
        b"Referer" | b"referer" => header::REFERER,
        b"Cookie" | b"cookie" => header::COOKIE,
        b"Set-Cookie" | b"set-cookie" => header::SET_COOKIE,
        b"If-None-Match" | b"if-none-match" => header::IF_NONE_MATCH,
        b"If-Modified-Since" | b"if-modified-since" => header::IF_MODIFIED_SINCE,
        b"Authorization" | b"authorization" => header::AUTHORIZATION,
        _ => return HeaderName::from_bytes(name),
    };
    Ok(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_give_the_same_name_as_the_general_lookup() {
        for name in [
            "Host", "date", "Content-Length", "ETag", "Etag", "etag", "Set-Cookie", "if-modified-since", "Accept-Language",
            "Authorization", "Transfer-Encoding", "X-Custom", "CONTENT-LENGTH", "keep-alive", "Content-Lengthx",
        ] {
            assert_eq!(field_name(name.as_bytes()).unwrap(), HeaderName::from_bytes(name.as_bytes()).unwrap(), "{name}");
        }
        assert!(field_name(b"bad name").is_err());
    }
}
