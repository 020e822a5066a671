//! The four declaration fields and the two acknowledgement fields
//! (RFC 2774 §4).

use http::header::HeaderName;

/// `Man` (RFC 2774 §4.1): mandatory, end-to-end.
pub const MAN: HeaderName = HeaderName::from_static("man");
/// `Opt` (RFC 2774 §4.1): optional, end-to-end.
pub const OPT: HeaderName = HeaderName::from_static("opt");
/// `C-Man` (RFC 2774 §4.2): mandatory, hop-by-hop.
pub const C_MAN: HeaderName = HeaderName::from_static("c-man");
/// `C-Opt` (RFC 2774 §4.2): optional, hop-by-hop.
pub const C_OPT: HeaderName = HeaderName::from_static("c-opt");
/// `Ext` (RFC 2774 §4.3): every end-to-end mandatory declaration was fulfilled.
pub const EXT: HeaderName = HeaderName::from_static("ext");
/// `C-Ext` (RFC 2774 §4.3): every hop-by-hop mandatory declaration was fulfilled.
pub const C_EXT: HeaderName = HeaderName::from_static("c-ext");

/// Which of the four declaration fields a declaration came from: its
/// strength (mandatory or optional) and scope (end-to-end or hop-by-hop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeclKind {
    /// `Man`: mandatory, end-to-end.
    Man,
    /// `Opt`: optional, end-to-end.
    Opt,
    /// `C-Man`: mandatory, hop-by-hop.
    CMan,
    /// `C-Opt`: optional, hop-by-hop.
    COpt,
}

impl DeclKind {
    /// All four kinds, in the order their fields are read.
    pub const ALL: [DeclKind; 4] = [DeclKind::Man, DeclKind::Opt, DeclKind::CMan, DeclKind::COpt];

    /// The field name as RFC 2774 spells it (`Man`, `Opt`, `C-Man`, `C-Opt`).
    pub fn header_name(self) -> &'static str {
        match self {
            DeclKind::Man => "Man",
            DeclKind::Opt => "Opt",
            DeclKind::CMan => "C-Man",
            DeclKind::COpt => "C-Opt",
        }
    }

    /// The field name as an [`http::HeaderName`] (lower case, as `http` keeps it).
    pub fn header(self) -> HeaderName {
        match self {
            DeclKind::Man => MAN,
            DeclKind::Opt => OPT,
            DeclKind::CMan => C_MAN,
            DeclKind::COpt => C_OPT,
        }
    }

    /// `Man` and `C-Man`: the ultimate recipient MUST follow the extension or
    /// fail the request (RFC 2774 §4).
    pub fn is_mandatory(self) -> bool {
        matches!(self, DeclKind::Man | DeclKind::CMan)
    }

    /// `C-Man` and `C-Opt`: meaningful for one connection only, and to be
    /// listed in `Connection` with their prefixed headers (RFC 2774 §4.2).
    pub fn is_hop_by_hop(self) -> bool {
        matches!(self, DeclKind::CMan | DeclKind::COpt)
    }
}

impl std::fmt::Display for DeclKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.header_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x3_strength_and_scope_of_the_four_fields() {
        assert!(DeclKind::Man.is_mandatory() && !DeclKind::Man.is_hop_by_hop());
        assert!(!DeclKind::Opt.is_mandatory() && !DeclKind::Opt.is_hop_by_hop());
        assert!(DeclKind::CMan.is_mandatory() && DeclKind::CMan.is_hop_by_hop());
        assert!(!DeclKind::COpt.is_mandatory() && DeclKind::COpt.is_hop_by_hop());
    }

    #[test]
    fn header_names_match_the_rfc_spelling() {
        let names: Vec<_> = DeclKind::ALL.iter().map(|k| k.header_name()).collect();
        assert_eq!(names, ["Man", "Opt", "C-Man", "C-Opt"]);
        for k in DeclKind::ALL {
            assert!(k.header().as_str().eq_ignore_ascii_case(k.header_name()));
        }
    }
}
