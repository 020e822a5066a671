//! What the ultimate recipient of a request does with its mandatory
//! declarations (RFC 2774 §5; digest ).

use std::fmt;
use std::sync::Arc;

use http::header::{HeaderMap, HeaderName};
use http::{Method, StatusCode};

use crate::decl::{Declaration, ExtensionId};
use crate::error::DeclError;
use crate::extension::{Extension, ExtensionError, Registry};
use crate::kind::DeclKind;
use crate::method::base_method;
use crate::request::{DeclaredExtension, RequestExtensions, Strictness};
use crate::syntax::remove_connection_options;

/// The outcome of [`evaluate`].
#[derive(Debug, Clone)]
pub enum Evaluation {
    /// Not an `M-` method and no `Man`/`C-Man`: nothing to do. Optional
    /// declarations may be ignored (RFC 2774 §5 step 1); the request is
    /// untouched.
    NotMandatory,
    /// A mandatory declaration field does not parse, or `Man`/`C-Man` come
    /// with a method that is not an `M-` method (RFC 2774 §5). Answer 400
    /// with the error's message.
    Malformed(DeclError),
    /// An `M-` method without any mandatory declaration, or a mandatory
    /// declaration this server does not support for this method (RFC 2774
    /// §5, §7). Answer 510 with [`NotExtended::explanation`] as the body.
    NotExtended(NotExtended),
    /// Every extension is supported, but one of them refused the request
    /// (e.g. SOAP without `NN-SOAPAction`). Answer 400 with the message. The
    /// request is untouched.
    Rejected(ExtensionError),
    /// Every mandatory declaration was understood and applied: the request
    /// now has the base method, and the fulfilled declarations and their
    /// prefixed headers are gone from it. Process it, then call
    /// [`mark_response`](crate::mark_response).
    Fulfilled(Fulfilled),
}

impl Evaluation {
    /// The error status to answer with, or `None` when the request goes on
    /// to be processed (`NotMandatory`, `Fulfilled`).
    pub fn error_status(&self) -> Option<StatusCode> {
        match self {
            Evaluation::NotMandatory | Evaluation::Fulfilled(_) => None,
            Evaluation::Malformed(_) | Evaluation::Rejected(_) => Some(StatusCode::BAD_REQUEST),
            Evaluation::NotExtended(_) => Some(StatusCode::NOT_EXTENDED),
        }
    }
}

/// Why a mandatory request got 510: what was not supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotExtended {
    method: Method,
    unsupported: Vec<NotSupported>,
}

/// One reason for a 510.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotSupported {
    /// An `M-` method came with no `Man` or `C-Man` (RFC 2774 §5: MUST be
    /// answered 510).
    NoMandatoryDeclaration,
    /// The declared extension is not known here.
    UnknownExtension {
        /// `Man` or `C-Man`.
        kind: DeclKind,
        /// The declaration.
        declaration: Declaration,
    },
    /// The extension is known but not defined for this base method.
    NotForMethod {
        /// `Man` or `C-Man`.
        kind: DeclKind,
        /// The declaration.
        declaration: Declaration,
        /// The base method of the request.
        base_method: Method,
    },
}

impl fmt::Display for NotSupported {
    /// One line, for the 510 body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotSupported::NoMandatoryDeclaration => f.write_str(
                "no mandatory extension declaration (Man or C-Man) accompanies the M- method (RFC 2774 §5)",
            ),
            NotSupported::UnknownExtension { kind, declaration } => {
                write!(f, "{kind}: {declaration}: extension not supported by this server")
            }
            NotSupported::NotForMethod {
                kind,
                declaration,
                base_method,
            } => write!(
                f,
                "{kind}: {declaration}: extension not supported here for method {base_method}"
            ),
        }
    }
}

impl NotExtended {
    pub(crate) fn new(method: Method, unsupported: Vec<NotSupported>) -> NotExtended {
        NotExtended {
            method,
            unsupported,
        }
    }

    /// The request method (with its `M-`).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// What was not supported, in declaration order.
    pub fn unsupported(&self) -> &[NotSupported] {
        &self.unsupported
    }

    /// A human-readable 510 body: a first line naming the method, then one
    /// line per unsupported declaration. Ends with a newline.
    pub fn explanation(&self) -> String {
        let mut out = format!(
            "510 Not Extended: the {} request does not meet this resource's extension policy (RFC 2774 §7).\n",
            self.method
        );
        for reason in &self.unsupported {
            out.push_str(&reason.to_string());
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for NotExtended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.explanation().trim_end())
    }
}

/// A mandatory request that was fulfilled: which extensions took part, so
/// that [`mark_response`](crate::mark_response) can acknowledge them and run
/// their [`rewrite_response`](Extension::rewrite_response).
#[derive(Clone)]
pub struct Fulfilled {
    base_method: Method,
    fulfilled: Vec<(Arc<dyn Extension>, DeclaredExtension)>,
}

impl Fulfilled {
    /// Whether an end-to-end (`Man`) declaration was fulfilled: the response
    /// needs `Ext` (RFC 2774 §5.1).
    pub fn end_to_end(&self) -> bool {
        self.fulfilled
            .iter()
            .any(|(_, d)| !d.kind().is_hop_by_hop())
    }

    /// Whether a hop-by-hop (`C-Man`) declaration was fulfilled: the response
    /// needs `C-Ext` (RFC 2774 §5.1).
    pub fn hop_by_hop(&self) -> bool {
        self.fulfilled.iter().any(|(_, d)| d.kind().is_hop_by_hop())
    }

    /// The base method the request was processed with.
    pub fn base_method(&self) -> &Method {
        &self.base_method
    }

    /// The fulfilled declarations, each with the extension that handled it,
    /// in the order they were applied.
    pub fn declarations(&self) -> impl Iterator<Item = (&Arc<dyn Extension>, &DeclaredExtension)> {
        self.fulfilled.iter().map(|(ext, d)| (ext, d))
    }

    /// The identifiers of the fulfilled declarations.
    pub fn ids(&self) -> impl Iterator<Item = &ExtensionId> {
        self.fulfilled.iter().map(|(_, d)| &d.declaration().id)
    }

    /// Runs every extension's [`rewrite_response`](Extension::rewrite_response).
    pub(crate) fn rewrite_response(&self, resp: &mut http::response::Parts) {
        for (ext, declared) in &self.fulfilled {
            ext.rewrite_response(resp, &declared.binding(&self.base_method));
        }
    }
}

impl fmt::Debug for Fulfilled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fulfilled")
            .field("base_method", &self.base_method)
            .field(
                "declarations",
                &self
                    .fulfilled
                    .iter()
                    .map(|(_, d)| format!("{} {}", d.kind(), d.declaration()))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Processes a request as its ultimate recipient, with the framework on
/// (RFC 2774 §5, the four steps of digest X-4):
///
/// 1. find the mandatory declarations (`Man`, `C-Man`); optional ones are
///    ignored, and so is an `Opt`/`C-Opt` line that does not parse;
/// 2. if any is unknown to `registry` or does not apply to the base method,
///    or the `M-` method has none → [`Evaluation::NotExtended`];
/// 3. otherwise apply every extension's
///    [`rewrite_request`](Extension::rewrite_request) (`C-Man` ones first:
///    the hop-by-hop layer was added last, so it is peeled first), remove
///    `Man`, `C-Man` and their prefixed headers (and the `Connection` options
///    naming them), and set the base method → [`Evaluation::Fulfilled`].
///
/// The request is changed only in the `Fulfilled` case: rewrites are made
/// on a copy that replaces `req` once every extension has succeeded.
pub fn evaluate(registry: &Registry, req: &mut http::request::Parts) -> Evaluation {
    fulfil(registry, req, Scope::All)
}

/// Which mandatory declarations [`fulfil`] acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `Man` and `C-Man`: the caller is the ultimate recipient of everything.
    All,
    /// `C-Man` only: a gateway honours the hop-by-hop layer and forwards the
    /// end-to-end declarations.
    HopByHopOnly,
}

pub(crate) fn fulfil(
    registry: &Registry,
    req: &mut http::request::Parts,
    scope: Scope,
) -> Evaluation {
    let declared = match RequestExtensions::collect(&req.headers, Strictness::IgnoreBadOptional) {
        Ok(d) => d,
        Err(e) => return Evaluation::Malformed(e),
    };
    let in_scope = |d: &&DeclaredExtension| scope == Scope::All || d.kind().is_hop_by_hop();
    // Hop-by-hop first, then end-to-end; message order within each.
    let mut mandatory: Vec<&DeclaredExtension> = declared.of_kind(DeclKind::CMan).collect();
    mandatory.extend(declared.of_kind(DeclKind::Man));
    let all_mandatory_fields = mandatory_field_names(&mandatory);
    mandatory.retain(in_scope);

    let Some(base) = base_method(&req.method) else {
        if all_mandatory_fields.is_empty() {
            return Evaluation::NotMandatory;
        }
        return Evaluation::Malformed(DeclError::MandatoryWithoutMPrefix {
            method: req.method.to_string(),
            fields: all_mandatory_fields.join(", "),
        });
    };
    if mandatory.is_empty() {
        if scope == Scope::HopByHopOnly {
            return Evaluation::NotMandatory;
        }
        return Evaluation::NotExtended(NotExtended::new(
            req.method.clone(),
            vec![NotSupported::NoMandatoryDeclaration],
        ));
    }

    let mut unsupported = Vec::new();
    let mut handlers = Vec::with_capacity(mandatory.len());
    for d in &mandatory {
        match registry.get(&d.declaration().id) {
            Some(ext) if ext.applies_to(&base) => handlers.push((Arc::clone(ext), (*d).clone())),
            Some(_) => unsupported.push(NotSupported::NotForMethod {
                kind: d.kind(),
                declaration: d.declaration().clone(),
                base_method: base.clone(),
            }),
            None => unsupported.push(NotSupported::UnknownExtension {
                kind: d.kind(),
                declaration: d.declaration().clone(),
            }),
        }
    }
    if !unsupported.is_empty() {
        return Evaluation::NotExtended(NotExtended::new(req.method.clone(), unsupported));
    }

    let mut staged = req.clone();
    for (ext, d) in &handlers {
        if let Err(e) = ext.rewrite_request(&mut staged, &d.binding(&base)) {
            return Evaluation::Rejected(e);
        }
    }
    let removed_fields: &[DeclKind] = match scope {
        Scope::All => &[DeclKind::CMan, DeclKind::Man],
        Scope::HopByHopOnly => &[DeclKind::CMan],
    };
    strip(
        &mut staged.headers,
        removed_fields,
        handlers.iter().map(|(_, d)| d),
    );
    // A gateway that honoured only the hop-by-hop layer keeps `M-` while
    // end-to-end mandatory declarations travel on (RFC 2774 §5: it MUST NOT
    // remove the prefix); with nothing mandatory left, the base method is
    // what the next hop must see.
    let end_to_end_left =
        scope == Scope::HopByHopOnly && declared.of_kind(DeclKind::Man).next().is_some();
    if !end_to_end_left {
        staged.method = base.clone();
    }
    *req = staged;
    Evaluation::Fulfilled(Fulfilled {
        base_method: base,
        fulfilled: handlers,
    })
}

/// `Man`, `C-Man` or both, for an error message, in the order given.
fn mandatory_field_names(mandatory: &[&DeclaredExtension]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for d in mandatory {
        let name = d.kind().header_name();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Removes the declaration fields `kinds`, the prefixed headers of
/// `declared`, and the `Connection` options naming any of them.
fn strip<'a>(
    headers: &mut HeaderMap,
    kinds: &[DeclKind],
    declared: impl Iterator<Item = &'a DeclaredExtension>,
) {
    let mut names: Vec<HeaderName> = kinds.iter().map(|k| k.header()).collect();
    for d in declared {
        names.extend(d.prefixed_names().cloned());
    }
    for name in &names {
        headers.remove(name);
    }
    remove_connection_options(headers, &names);
}

#[cfg(test)]
mod tests;
