//! The method table: every route's methods and the server-wide switches, compiled once.

use http::Method;

use crate::method::{is_core, properties, CORE_METHODS};
use crate::{MethodSet, Outcome, RetryAfter};

/// How a route answers requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteKind {
    /// The route's handler is the final recipient (static files, fixed responses, WebDAV).
    /// It answers OPTIONS itself and refuses what it does not implement.
    Origin,
    /// A reverse-proxy route. Intermediaries are expected to forward methods they do not
    /// recognise (RFC 9110 §7.6, P-1), so by default every syntactically valid method is
    /// forwarded; OPTIONS goes upstream too (the handler applies Max-Forwards, P-5).
    Gateway {
        /// `false` (the `forward_unknown_methods = false` option): methods outside the IANA
        /// registry are answered 501 by the gateway itself.
        forward_unknown: bool,
        /// An explicit allowlist: other core methods get 405 + `Allow: <allowlist>`, other
        /// methods 501.
        allowlist: Option<MethodSet>,
    },
}

/// What one route's handler offers.
#[derive(Debug, Clone)]
pub struct RouteMethods {
    kind: RouteKind,
    any: bool,
    implements: MethodSet,
    allowed: MethodSet,
    planned: Vec<(Method, RetryAfter)>,
}

impl RouteMethods {
    /// An origin route whose handler implements and allows `methods` on every resource.
    pub fn origin(methods: MethodSet) -> RouteMethods {
        RouteMethods::origin_with(methods.clone(), methods)
    }

    /// An origin route whose handler implements `implements` (so these methods are never 501
    /// here) and by default allows `allowed` (a subset; the rest get 405). A handler can still
    /// narrow the allowed set per resource when calling [`MethodTable::decide`].
    pub fn origin_with(implements: MethodSet, allowed: MethodSet) -> RouteMethods {
        RouteMethods { kind: RouteKind::Origin, any: false, implements, allowed, planned: Vec::new() }
    }

    /// An origin route whose handler answers every method itself, OPTIONS and TRACE included
    /// (a fixed maintenance response: every request gets the 503).
    pub fn origin_any() -> RouteMethods {
        RouteMethods { kind: RouteKind::Origin, any: true, implements: MethodSet::new(), allowed: MethodSet::new(), planned: Vec::new() }
    }

    /// Does the handler answer every method itself?
    pub fn answers_everything(&self) -> bool {
        self.any
    }

    /// A gateway route (see [`RouteKind::Gateway`]).
    pub fn gateway(forward_unknown: bool, allowlist: Option<MethodSet>) -> RouteMethods {
        let allowed = allowlist.clone().unwrap_or_default();
        RouteMethods {
            kind: RouteKind::Gateway { forward_unknown, allowlist },
            any: false,
            implements: allowed.clone(),
            allowed,
            planned: Vec::new(),
        }
    }

    /// Declares that the route's handler answers `method` itself, whatever the gateway
    /// rules would say (a proxy route's `PURGE`): it is dispatched on this route, never 405
    /// or 501 here, and joins the server-wide registry. Other routes are unaffected.
    pub fn implement(&mut self, method: Method) {
        self.implements.insert(method.clone());
        self.allowed.insert(method);
    }

    /// Declares `method` planned on this route only: its 501 carries `Retry-After` (M-8).
    pub fn plan(&mut self, method: Method, retry_after: RetryAfter) {
        self.planned.retain(|(m, _)| m != method);
        self.planned.push((method, retry_after));
    }

    /// The route's kind.
    pub fn kind(&self) -> &RouteKind {
        &self.kind
    }

    /// Methods the handler implements (never answered 501 on this route).
    pub fn implements(&self) -> &MethodSet {
        &self.implements
    }

    /// The methods allowed on an ordinary resource of this route, before per-resource
    /// narrowing; what OPTIONS advertises when the handler has nothing more precise.
    pub fn allowed_default(&self) -> MethodSet {
        self.allowed.clone()
    }

    /// Does this route implement `method` (so a refusal is 405, not 501)?
    pub fn is_implemented(&self, method: &Method) -> bool {
        match &self.kind {
            RouteKind::Origin => self.any || is_core(method) || self.implements.contains(method),
            RouteKind::Gateway { forward_unknown, allowlist } => {
                self.implements.contains(method)
                    || match allowlist {
                        Some(list) => is_core(method) || list.contains(method),
                        None => *forward_unknown || properties(method).is_some(),
                    }
            }
        }
    }
}

/// Index of a route in a [`MethodTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteId(pub usize);

/// Collects routes and server-wide settings; [`MethodTableBuilder::build`] freezes them.
#[derive(Debug, Default)]
pub struct MethodTableBuilder {
    routes: Vec<RouteMethods>,
    trace: bool,
    planned: Vec<(Method, RetryAfter)>,
}

impl MethodTableBuilder {
    /// Turns TRACE on server-wide (off by default, M-14: then TRACE gets 405 without TRACE in
    /// `Allow`).
    pub fn trace(&mut self, on: bool) -> &mut Self {
        self.trace = on;
        self
    }

    /// Declares `method` planned everywhere: where it would be 501, the 501 carries
    /// `Retry-After` (M-8, A-1). Core methods are always recognised (405, never 501), so
    /// planning one has no effect; configuration front-ends should refuse it.
    pub fn plan(&mut self, method: Method, retry_after: RetryAfter) -> &mut Self {
        self.planned.retain(|(m, _)| m != method);
        self.planned.push((method, retry_after));
        self
    }

    /// Adds a route and returns its id.
    pub fn route(&mut self, route: RouteMethods) -> RouteId {
        self.routes.push(route);
        RouteId(self.routes.len() - 1)
    }

    /// Freezes the table.
    pub fn build(self) -> MethodTable {
        MethodTable { routes: self.routes, trace: self.trace, planned: self.planned }
    }
}

/// How one method is used across the server: which routes implement it and what the other
/// routes answer. The rows of `methodical config check`'s method table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodUse {
    /// The method.
    pub method: Method,
    /// Routes whose handler implements it (gateway routes that forward it included).
    pub implemented_by: Vec<RouteId>,
    /// The answer on every other origin route: 405 or 501.
    pub elsewhere: u16,
    /// `Retry-After` on that 501, when the method is planned server-wide.
    pub planned: Option<RetryAfter>,
}

/// The server's method knowledge, compiled once from configuration. Cheap to query; share it
/// behind an `Arc`.
#[derive(Debug, Clone)]
pub struct MethodTable {
    routes: Vec<RouteMethods>,
    trace: bool,
    planned: Vec<(Method, RetryAfter)>,
}

impl MethodTable {
    /// Starts a table.
    pub fn builder() -> MethodTableBuilder {
        MethodTableBuilder::default()
    }

    /// Is TRACE on?
    pub fn trace_enabled(&self) -> bool {
        self.trace
    }

    /// The route's methods. Panics on an id this table did not hand out.
    pub fn route_methods(&self, id: RouteId) -> &RouteMethods {
        &self.routes[id.0]
    }

    /// The server-wide registry: every method some route implements, plus GET, HEAD, OPTIONS
    /// (and TRACE when on). Methods outside it are answered 501 everywhere except on gateways
    /// that forward unknown methods.
    pub fn registry(&self) -> MethodSet {
        let mut set = MethodSet::from_iter([Method::GET, Method::HEAD, Method::OPTIONS]);
        if self.trace {
            set.insert(Method::TRACE);
        }
        for route in &self.routes {
            set.extend_from(&route.implements);
        }
        set
    }

    /// The `Retry-After` for `method` if it is planned on `route` or server-wide.
    pub fn planned(&self, route: RouteId, method: &Method) -> Option<RetryAfter> {
        let find = |list: &[(Method, RetryAfter)]| list.iter().find(|(m, _)| m == method).map(|(_, r)| *r);
        find(&self.routes[route.0].planned).or_else(|| find(&self.planned))
    }

    /// `allowed` as `Allow` states it: OPTIONS always, HEAD with GET, TRACE when on.
    pub fn allow_header_set(&self, allowed: &MethodSet) -> MethodSet {
        let mut allow = allowed.as_allow();
        if self.trace {
            allow.insert(Method::TRACE);
        } else {
            allow.remove(&Method::TRACE);
        }
        allow
    }

    /// Decides what happens to `method` on `route` (M-7, M-9, M-10, M-12, M-14, M-15, P-1,
    /// D-2, S-5, X-5). `allowed` gives the methods the target resource allows right now; it is
    /// only called when the answer depends on the resource, so a handler may look at the
    /// filesystem there.
    pub fn decide<A, F>(&self, route: RouteId, method: &Method, allowed: F) -> Outcome
    where
        F: FnOnce() -> A,
        A: std::borrow::Borrow<MethodSet>,
    {
        let rm = &self.routes[route.0];
        match &rm.kind {
            RouteKind::Origin => self.decide_origin(route, rm, method, allowed),
            // A method the gateway's handler answers itself (PURGE); TRACE and CONNECT keep their
            // server-wide rules.
            RouteKind::Gateway { .. }
                if rm.implements.contains(method) && *method != Method::TRACE && *method != Method::CONNECT =>
            {
                Outcome::Dispatch
            }
            RouteKind::Gateway { forward_unknown, allowlist } => {
                self.decide_gateway(route, method, *forward_unknown, allowlist.as_ref())
            }
        }
    }

    fn decide_origin<A, F>(&self, route: RouteId, rm: &RouteMethods, method: &Method, allowed: F) -> Outcome
    where
        F: FnOnce() -> A,
        A: std::borrow::Borrow<MethodSet>,
    {
        if rm.any {
            return Outcome::Dispatch;
        }
        if !rm.is_implemented(method) {
            return Outcome::NotImplemented { retry_after: self.planned(route, method) };
        }
        let allowed = allowed();
        let allowed = allowed.borrow();
        if *method == Method::OPTIONS {
            return Outcome::Options { allow: self.allow_header_set(allowed) };
        }
        if *method == Method::TRACE {
            return if self.trace {
                Outcome::Trace
            } else {
                Outcome::NotAllowed { allow: self.allow_header_set(allowed) }
            };
        }
        let permitted = allowed.contains(method) || (*method == Method::HEAD && allowed.contains(&Method::GET));
        if permitted {
            Outcome::Dispatch
        } else {
            Outcome::NotAllowed { allow: self.allow_header_set(allowed) }
        }
    }

    fn decide_gateway(
        &self,
        route: RouteId,
        method: &Method,
        forward_unknown: bool,
        allowlist: Option<&MethodSet>,
    ) -> Outcome {
        if *method == Method::TRACE && !self.trace {
            // TRACE off means never echoed and never forwarded, whatever Max-Forwards says (M-14).
            let allow = allowlist.map(|l| self.allow_header_set(l)).unwrap_or_default();
            return Outcome::NotAllowed { allow };
        }
        if *method == Method::CONNECT {
            // No tunnels (M-15).
            return Outcome::NotImplemented { retry_after: self.planned(route, method) };
        }
        match allowlist {
            Some(list) if list.contains(method) || (*method == Method::HEAD && list.contains(&Method::GET)) => {
                Outcome::Dispatch
            }
            // OPTIONS is forwarded; the handler answers it itself when Max-Forwards is 0.
            Some(_) if *method == Method::OPTIONS => Outcome::Dispatch,
            Some(list) if is_core(method) => Outcome::NotAllowed { allow: self.allow_header_set(list) },
            Some(_) => Outcome::NotImplemented { retry_after: self.planned(route, method) },
            None if forward_unknown || properties(method).is_some() => Outcome::Dispatch,
            None => Outcome::NotImplemented { retry_after: self.planned(route, method) },
        }
    }

    /// One row per method in the registry and per planned method, for `config check`.
    pub fn uses(&self) -> Vec<MethodUse> {
        let mut methods = self.registry();
        for core in CORE_METHODS.iter() {
            if *core != Method::TRACE || self.trace {
                methods.insert(core.clone());
            }
        }
        for (m, _) in &self.planned {
            methods.insert(m.clone());
        }
        for route in &self.routes {
            for (m, _) in &route.planned {
                methods.insert(m.clone());
            }
        }
        methods
            .iter()
            .map(|m| MethodUse {
                method: m.clone(),
                implemented_by: (0..self.routes.len())
                    .map(RouteId)
                    .filter(|id| {
                        let rm = &self.routes[id.0];
                        match rm.kind {
                            RouteKind::Origin => rm.any || rm.implements.contains(m),
                            RouteKind::Gateway { .. } => rm.is_implemented(m),
                        }
                    })
                    .collect(),
                elsewhere: if is_core(m) { 405 } else { 501 },
                planned: self.planned.iter().find(|(p, _)| p == m).map(|(_, r)| *r),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Method {
        Method::from_bytes(s.as_bytes()).unwrap()
    }

    fn set(names: &[&str]) -> MethodSet {
        names.iter().map(|s| m(s)).collect()
    }

    struct Fixture {
        table: MethodTable,
        static_route: RouteId,
        post_only: RouteId,
        dav: RouteId,
        ro_dav: RouteId,
        proxy: RouteId,
    }

    const DAV: &[&str] = &[
        "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH",
        "SEARCH", "UNLOCK",
    ];

    fn fixture(trace: bool) -> Fixture {
        let mut b = MethodTable::builder();
        b.trace(trace).plan(Method::PATCH, RetryAfter::Seconds(120));
        let static_route = b.route(RouteMethods::origin(set(&["GET", "HEAD", "OPTIONS"])));
        let post_only = b.route(RouteMethods::origin(set(&["POST", "OPTIONS"])));
        let dav = b.route(RouteMethods::origin(set(DAV)));
        let ro_dav = b.route(RouteMethods::origin_with(set(DAV), set(&["GET", "HEAD", "OPTIONS", "PROPFIND"])));
        let proxy = b.route(RouteMethods::gateway(true, None));
        Fixture { table: b.build(), static_route, post_only, dav, ro_dav, proxy }
    }

    fn decide(f: &Fixture, route: RouteId, method: &str) -> Outcome {
        let allowed = f.table.route_methods(route).allowed_default();
        f.table.decide(route, &m(method), || allowed)
    }

    fn allow_of(o: Outcome) -> String {
        match o {
            Outcome::NotAllowed { allow } | Outcome::Options { allow } => allow.to_string(),
            other => panic!("expected an Allow, got {other:?}"),
        }
    }

    #[test]
    fn m7_core_method_refused_is_405_with_allow() {
        let f = fixture(false);
        assert_eq!(allow_of(decide(&f, f.static_route, "POST")), "GET, HEAD, OPTIONS");
        assert_eq!(allow_of(decide(&f, f.static_route, "DELETE")), "GET, HEAD, OPTIONS");
    }

    #[test]
    fn m7_unknown_and_case_variant_are_501() {
        let f = fixture(false);
        for method in ["FOO", "get", "M-GET", "CONNECT", "BREW"] {
            assert_eq!(decide(&f, f.static_route, method), Outcome::NotImplemented { retry_after: None }, "{method}");
        }
    }

    #[test]
    fn m8_planned_method_carries_retry_after() {
        let f = fixture(false);
        assert_eq!(
            decide(&f, f.static_route, "PATCH"),
            Outcome::NotImplemented { retry_after: Some(RetryAfter::Seconds(120)) }
        );
    }

    #[test]
    fn m10_get_on_post_only_is_405() {
        let f = fixture(false);
        assert_eq!(allow_of(decide(&f, f.post_only, "GET")), "POST, OPTIONS");
        assert_eq!(allow_of(decide(&f, f.post_only, "HEAD")), "POST, OPTIONS");
        assert_eq!(decide(&f, f.post_only, "POST"), Outcome::Dispatch);
    }

    #[test]
    fn m11_head_follows_get() {
        let f = fixture(false);
        let allowed = set(&["GET"]);
        assert_eq!(f.table.decide(f.static_route, &Method::HEAD, || allowed), Outcome::Dispatch);
    }

    #[test]
    fn m12_options_advertises_allow() {
        let f = fixture(false);
        assert_eq!(allow_of(decide(&f, f.static_route, "OPTIONS")), "GET, HEAD, OPTIONS");
        assert_eq!(
            allow_of(decide(&f, f.dav, "OPTIONS")),
            "GET, HEAD, PUT, DELETE, OPTIONS, COPY, LOCK, MKCOL, MOVE, PROPFIND, PROPPATCH, SEARCH, UNLOCK"
        );
    }

    #[test]
    fn m14_trace_off_is_405_without_trace_on_is_echo() {
        let off = fixture(false);
        let allow = allow_of(decide(&off, off.static_route, "TRACE"));
        assert!(!allow.contains("TRACE"));
        let on = fixture(true);
        assert_eq!(decide(&on, on.static_route, "TRACE"), Outcome::Trace);
        assert_eq!(allow_of(decide(&on, on.static_route, "OPTIONS")), "GET, HEAD, OPTIONS, TRACE");
    }

    #[test]
    fn d2_webdav_methods_501_without_handler_405_when_disabled() {
        let f = fixture(false);
        assert_eq!(decide(&f, f.static_route, "PROPFIND"), Outcome::NotImplemented { retry_after: None });
        assert_eq!(decide(&f, f.static_route, "SEARCH"), Outcome::NotImplemented { retry_after: None });
        let allow = allow_of(decide(&f, f.ro_dav, "MKCOL"));
        assert!(!allow.contains("MKCOL"));
        assert!(allow.contains("PROPFIND"));
        assert!(matches!(decide(&f, f.ro_dav, "SEARCH"), Outcome::NotAllowed { .. }), "S-5");
        assert_eq!(decide(&f, f.dav, "MKCOL"), Outcome::Dispatch);
    }

    #[test]
    fn d6_per_resource_narrowing() {
        // MKCOL on a mapped URL: the handler removes MKCOL from the resource's allowed set.
        let f = fixture(false);
        let allowed = set(DAV).without(&m("MKCOL"));
        let o = f.table.decide(f.dav, &m("MKCOL"), || allowed);
        assert!(!allow_of(o).contains("MKCOL"));
    }

    #[test]
    fn p1_gateway_forwards_unknown_methods() {
        let f = fixture(false);
        for method in ["FOO", "get", "M-GET", "PROPFIND", "OPTIONS"] {
            assert_eq!(decide(&f, f.proxy, method), Outcome::Dispatch, "{method}");
        }
        assert!(matches!(decide(&f, f.proxy, "TRACE"), Outcome::NotAllowed { .. }), "M-14: TRACE off is never forwarded");
        assert!(matches!(decide(&f, f.proxy, "CONNECT"), Outcome::NotImplemented { .. }));
    }

    #[test]
    fn p1_gateway_options() {
        let mut b = MethodTable::builder();
        let strict = b.route(RouteMethods::gateway(false, None));
        let listed = b.route(RouteMethods::gateway(true, Some(set(&["GET", "POST"]))));
        let t = b.build();
        let d = |r, s: &str| t.decide(r, &m(s), MethodSet::new);
        assert_eq!(d(strict, "PROPFIND"), Outcome::Dispatch, "registered methods are forwarded");
        assert!(matches!(d(strict, "FOO"), Outcome::NotImplemented { .. }));
        assert!(matches!(d(strict, "get"), Outcome::NotImplemented { .. }));
        assert_eq!(allow_of(d(listed, "PUT")), "GET, HEAD, POST, OPTIONS");
        assert!(matches!(d(listed, "FOO"), Outcome::NotImplemented { .. }));
        assert_eq!(d(listed, "HEAD"), Outcome::Dispatch);
        assert_eq!(d(listed, "OPTIONS"), Outcome::Dispatch);
    }

    #[test]
    fn t21_answer_everything_route() {
        let mut b = MethodTable::builder();
        let maint = b.route(RouteMethods::origin_any());
        let t = b.build();
        for method in ["GET", "FOO", "OPTIONS", "TRACE", "PROPFIND"] {
            assert_eq!(t.decide(maint, &m(method), MethodSet::new), Outcome::Dispatch, "{method}");
        }
    }

    #[test]
    fn registry_and_uses() {
        let f = fixture(false);
        let registry = f.table.registry();
        assert!(registry.contains(&m("PROPFIND")));
        assert!(!registry.contains(&Method::TRACE));
        let uses = f.table.uses();
        let propfind = uses.iter().find(|u| u.method == m("PROPFIND")).unwrap();
        assert_eq!(propfind.implemented_by, vec![f.dav, f.ro_dav, f.proxy]);
        assert_eq!(propfind.elsewhere, 501);
        let post = uses.iter().find(|u| u.method == Method::POST).unwrap();
        assert_eq!(post.elsewhere, 405);
        let patch = uses.iter().find(|u| u.method == Method::PATCH).unwrap();
        assert_eq!(patch.planned, Some(RetryAfter::Seconds(120)));
    }

    #[test]
    fn gateway_implements_purge_on_its_route_only() {
        let purge = m("PURGE");
        let mut b = MethodTable::builder();
        let origin = b.route(RouteMethods::origin(set(&["GET", "HEAD", "OPTIONS"])));
        let mut closed = RouteMethods::gateway(false, None);
        closed.implement(purge.clone());
        let closed = b.route(closed);
        let mut listed = RouteMethods::gateway(true, Some(set(&["GET"])));
        listed.implement(purge.clone());
        let listed = b.route(listed);
        let plain = b.route(RouteMethods::gateway(false, None));
        let t = b.build();
        assert_eq!(t.decide(closed, &purge, MethodSet::new), Outcome::Dispatch);
        assert_eq!(t.decide(listed, &purge, MethodSet::new), Outcome::Dispatch);
        assert_eq!(t.decide(plain, &purge, MethodSet::new), Outcome::NotImplemented { retry_after: None });
        assert_eq!(t.decide(origin, &purge, MethodSet::new), Outcome::NotImplemented { retry_after: None });
        assert!(t.route_methods(closed).is_implemented(&purge));
        assert!(t.registry().contains(&purge));
        assert!(matches!(t.decide(listed, &Method::TRACE, MethodSet::new), Outcome::NotAllowed { .. }));
    }
}
