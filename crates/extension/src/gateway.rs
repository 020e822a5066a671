//! What a gateway (reverse-proxy route) does with mandatory requests
//! (RFC 2774 §5, §14 Table 2, §15.2; digest X-9, P-3).

use http::header::{HeaderMap, HeaderName};
use http::StatusCode;

use crate::decl::parse_declarations;
use crate::evaluate::{fulfil, Evaluation, NotExtended, NotSupported, Scope};
use crate::extension::Registry;
use crate::kind::{DeclKind, C_MAN, C_OPT};
use crate::method::base_method;
use crate::request::{RequestExtensions, Strictness};
use crate::syntax::split_list;

/// The gateway's decision for one request, from [`gateway_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayAction {
    /// Forward as it is: method, `Man`, `Opt` and prefixed headers unchanged
    /// (RFC 2774 §5: a proxy that is not the ultimate recipient MUST NOT
    /// strip them). Hop-by-hop fields are removed as usual, see
    /// [`hop_by_hop_extension_fields`].
    Forward,
    /// Answer 501 and do not contact upstream: the framework is off on this
    /// route and the gateway, ultimate recipient of a `C-Man`, cannot
    /// fulfil it (RFC 2774 §14 Table 2 "501", §15.2 Table 6; digest X-9).
    RefuseNotImplemented,
    /// Answer 400 with the message (framework on): a mandatory field does not
    /// parse, or `Man`/`C-Man` come without an `M-` method.
    Malformed(crate::DeclError),
    /// Answer 510 (framework on): a `C-Man` names an extension this route
    /// does not support (RFC 2774 §14 Table 2).
    NotExtended(NotExtended),
    /// Honour the `C-Man` declarations (all supported) with
    /// [`fulfil_hop_by_hop`], forward the rest (some end-to-end `Man` is not
    /// supported here and is for upstream), and mark the response with
    /// `C-Ext`.
    FulfilHopByHop,
    /// Every mandatory declaration is supported here: the gateway is their
    /// ultimate recipient. Run [`evaluate`](crate::evaluate), forward the
    /// resulting plain request (or answer it), and mark the response with
    /// [`mark_response`](crate::mark_response). SOAP's `M-POST` → `POST` is
    /// the typical case.
    Fulfil,
}

impl GatewayAction {
    /// The status to answer with without contacting upstream, if any.
    pub fn error_status(&self) -> Option<StatusCode> {
        match self {
            GatewayAction::RefuseNotImplemented => Some(StatusCode::NOT_IMPLEMENTED),
            GatewayAction::Malformed(_) => Some(StatusCode::BAD_REQUEST),
            GatewayAction::NotExtended(_) => Some(StatusCode::NOT_EXTENDED),
            GatewayAction::Forward | GatewayAction::FulfilHopByHop | GatewayAction::Fulfil => None,
        }
    }
}

/// Decides what a gateway does with `req`. `registry` is `None` when the
/// framework is off on the route (the default), `Some` when it is on.
///
/// Framework off (the gateway knows nothing of RFC 2774, so it parses
/// nothing):
/// - an `M-` method with a `C-Man` field → [`GatewayAction::RefuseNotImplemented`]
///   (whether or not `Connection` lists it: `C-Man` is for this hop either way);
/// - anything else → [`GatewayAction::Forward`], `M-` methods with `Man`/`Opt`
///   included.
///
/// Framework on:
/// - `Man`/`C-Man` that do not parse, or that come with a method that is not
///   an `M-` method → [`GatewayAction::Malformed`] (optional fields that do
///   not parse are ignored);
/// - a `C-Man` extension that is unknown or does not apply to the base method
///   → [`GatewayAction::NotExtended`];
/// - every `Man` and `C-Man` supported, at least one present →
///   [`GatewayAction::Fulfil`];
/// - every `C-Man` supported, some `Man` not → [`GatewayAction::FulfilHopByHop`]
///   if there is a `C-Man`, else [`GatewayAction::Forward`] (RFC 2774 §14
///   Table 2: "forward extension");
/// - an `M-` method with no mandatory declaration → `Forward`: the gateway is
///   not its ultimate recipient, upstream answers 510 (§15.2 Table 5).
pub fn gateway_action(req: &http::request::Parts, registry: Option<&Registry>) -> GatewayAction {
    let base = base_method(&req.method);
    let Some(registry) = registry else {
        return if base.is_some() && req.headers.contains_key(C_MAN) {
            GatewayAction::RefuseNotImplemented
        } else {
            GatewayAction::Forward
        };
    };

    let declared = match RequestExtensions::collect(&req.headers, Strictness::IgnoreBadOptional) {
        Ok(d) => d,
        Err(e) => return GatewayAction::Malformed(e),
    };
    if !declared.is_mandatory_request() {
        return GatewayAction::Forward;
    }
    let Some(base) = base else {
        let fields: Vec<&str> = [DeclKind::Man, DeclKind::CMan]
            .into_iter()
            .filter(|k| declared.of_kind(*k).next().is_some())
            .map(DeclKind::header_name)
            .collect();
        return GatewayAction::Malformed(crate::DeclError::MandatoryWithoutMPrefix {
            method: req.method.to_string(),
            fields: fields.join(", "),
        });
    };

    let unsupported_hop: Vec<NotSupported> = declared
        .of_kind(DeclKind::CMan)
        .filter_map(|d| {
            let declaration = d.declaration().clone();
            match registry.get(&declaration.id) {
                None => Some(NotSupported::UnknownExtension {
                    kind: DeclKind::CMan,
                    declaration,
                }),
                Some(ext) if !ext.applies_to(&base) => Some(NotSupported::NotForMethod {
                    kind: DeclKind::CMan,
                    declaration,
                    base_method: base.clone(),
                }),
                Some(_) => None,
            }
        })
        .collect();
    if !unsupported_hop.is_empty() {
        return GatewayAction::NotExtended(NotExtended::new(req.method.clone(), unsupported_hop));
    }
    let all_end_to_end_supported = declared
        .of_kind(DeclKind::Man)
        .all(|d| registry.supports(&d.declaration().id, &base));
    if all_end_to_end_supported {
        GatewayAction::Fulfil
    } else if declared.of_kind(DeclKind::CMan).next().is_some() {
        GatewayAction::FulfilHopByHop
    } else {
        GatewayAction::Forward
    }
}

/// Carries out [`GatewayAction::FulfilHopByHop`]: applies the extensions of
/// the `C-Man` declarations, then removes `C-Man`, their prefixed headers and
/// the `Connection` options naming them. `Man`, `Opt`, `C-Opt` and their
/// headers stay (`C-Opt` goes with the other hop-by-hop fields when
/// forwarding). The `M-` prefix stays while a `Man` travels on; with none
/// left the method becomes the base method.
///
/// Returns [`Evaluation::Fulfilled`] (with only hop-by-hop declarations, so
/// [`mark_response`](crate::mark_response) adds `C-Ext` only),
/// [`Evaluation::NotMandatory`] when there is no `C-Man`, or the error
/// outcomes of [`evaluate`](crate::evaluate) with the request untouched.
pub fn fulfil_hop_by_hop(registry: &Registry, req: &mut http::request::Parts) -> Evaluation {
    fulfil(registry, req, Scope::HopByHopOnly)
}

/// The header fields a hop must remove before forwarding, as far as RFC 2774
/// is concerned: `C-Man`, `C-Opt`, and every header carrying a prefix they
/// declare (RFC 2774 §4.2 says these MUST be listed in `Connection`; this
/// finds them even when the client forgot to, P-3).
///
/// Declarations are read one list element at a time, so one malformed
/// element does not hide the prefixes of the others. Names are returned once
/// each, in header-map order after the two declaration fields.
pub fn hop_by_hop_extension_fields(headers: &HeaderMap) -> Vec<HeaderName> {
    // Most messages carry neither field: one pass over the (lower-case) names instead of two
    // hashed lookups of names the http crate does not know.
    if !headers.keys().any(|name| name.as_str().starts_with("c-")) {
        return Vec::new();
    }
    let mut names = Vec::new();
    let mut prefixes = Vec::new();
    for field in [C_MAN, C_OPT] {
        let mut present = false;
        for line in headers.get_all(&field) {
            present = true;
            for (_, element) in split_list(line.as_bytes()) {
                if let Ok(decls) = parse_declarations(element) {
                    prefixes.extend(decls.into_iter().filter_map(|d| d.prefix));
                }
            }
        }
        if present {
            names.push(field);
        }
    }
    for name in headers.keys() {
        if prefixes
            .iter()
            .any(|p| p.strip_from(name.as_str()).is_some())
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests;
