//! `methodical config check`: the routes and the server-wide method table, as text.

use std::fmt::Write;

use methodical_policy::RouteKind;

use crate::app::App;
use crate::config::HandlerConfig;

/// Describes the compiled configuration: routes, then every known method with the routes
/// implementing it and the answer everywhere else.
pub fn config_report(app: &App) -> String {
    let mut out = String::new();
    let table = app.table();
    let _ = writeln!(out, "Routes (longest prefix wins):");
    for (route, rc) in app.routes().iter().zip(&app.config.routes) {
        let host = route.host.as_deref().map(|h| format!(" [host {h}]")).unwrap_or_default();
        let what = match &rc.handler {
            HandlerConfig::Static(s) => format!("static  root {}", s.root.display()),
            HandlerConfig::Respond(r) => format!("respond {}", r.status.as_u16()),
            HandlerConfig::WebDav(w) => format!("webdav  root {}{}", w.root.display(), if w.read_only { " (read-only)" } else { "" }),
            HandlerConfig::Proxy(p) => format!("proxy   {}", p.upstreams.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(", ")),
        };
        let rm = table.route_methods(route.id);
        let methods = if rm.answers_everything() {
            "every method gets the fixed response".to_string()
        } else {
            match rm.kind() {
                RouteKind::Origin => format!("allows {}", table.allow_header_set(&rm.allowed_default())),
                RouteKind::Gateway { .. } => "forwards methods upstream".to_string(),
            }
        };
        let _ = writeln!(out, "  {:<20} {what:<40} {methods}{host}", route.prefix);
    }
    let _ = writeln!(out, "\nMethod table (method: routes implementing it; the answer on every other route):");
    for u in table.uses() {
        let routes: Vec<&str> = u.implemented_by.iter().map(|id| app.routes()[id.0].prefix.as_str()).collect();
        let implemented = if routes.is_empty() { "no route".to_string() } else { routes.join(", ") };
        let elsewhere = match (u.elsewhere, &u.planned) {
            (405, _) => "405 + Allow".to_string(),
            (_, Some(r)) => format!("501 + Retry-After: {r} (planned)"),
            (code, None) => code.to_string(),
        };
        let _ = writeln!(out, "  {:<10} {implemented:<40} elsewhere {elsewhere}", u.method.as_str());
    }
    let trace = if table.trace_enabled() { "TRACE is on: echoed as message/http, secrets removed" } else { "TRACE is off: 405 + Allow without TRACE everywhere" };
    let _ = writeln!(out, "  {trace}");
    let _ = writeln!(out, "  OPTIONS: 200 + Allow on every route; OPTIONS *: 200");
    let _ = writeln!(out, "  any other method: 501 Not Implemented");
    out
}
