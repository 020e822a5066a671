//! The admin listener (`admin = "127.0.0.1:9090"`): `/metrics` (Prometheus / OpenMetrics
//! text) and `/health`. Internal and tiny, so it runs on hyper's HTTP/1 server; its methods
//! are still decided by a method table (GET and HEAD; 405 + Allow or 501 otherwise).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use methodical_policy::{MethodSet, MethodTable, Outcome, RouteId, RouteMethods};
use tokio::net::TcpListener;

use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// Serves the admin endpoints until shutdown.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, mut shutdown: Shutdown) {
    let mut table = MethodTable::builder();
    let route = table.route(RouteMethods::origin(MethodSet::from_iter([Method::GET])));
    let table = Arc::new(table.build());
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shutdown.wait() => return,
        };
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (metrics, table) = (metrics.clone(), table.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let resp = answer(&req, &metrics, &table, route);
                async move { Ok::<_, Infallible>(resp) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(10));
            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

fn answer(req: &Request<Incoming>, metrics: &Metrics, table: &MethodTable, route: RouteId) -> Response<Full<Bytes>> {
    let allowed = table.route_methods(route).allowed_default();
    let text = |status: StatusCode, body: String| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = status;
        r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        r
    };
    match table.decide(route, req.method(), || allowed) {
        Outcome::Dispatch => {}
        Outcome::Options { allow } => {
            let mut r = text(StatusCode::OK, String::new());
            r.headers_mut().insert(ALLOW, allow.to_header_value());
            return r;
        }
        Outcome::NotAllowed { allow } => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, format!("{} is not allowed here; use GET.\n", req.method()));
            r.headers_mut().insert(ALLOW, allow.to_header_value());
            return r;
        }
        Outcome::NotImplemented { .. } | Outcome::Trace => {
            return text(StatusCode::NOT_IMPLEMENTED, format!("{} is not implemented by the admin listener.\n", req.method()));
        }
    }
    match req.uri().path() {
        "/metrics" => {
            let mut r = text(StatusCode::OK, metrics.encode());
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"));
            r
        }
        "/health" => text(StatusCode::OK, "ok\n".into()),
        _ => text(StatusCode::NOT_FOUND, "The admin listener serves /metrics and /health.\n".into()),
    }
}
