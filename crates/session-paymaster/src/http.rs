//! HTTP: JSON-RPC on `POST /`, Prometheus metrics on `GET /metrics`, liveness on `GET /health`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use session_core::paymaster::API_KEY_HEADER;

use crate::service::{Paymaster, RpcError};

/// The server's routes.
pub fn router(paymaster: Arc<Paymaster>) -> Router {
    Router::new()
        .route("/", post(rpc))
        .route("/metrics", get(metrics))
        .route("/health", get(|| async { "ok" }))
        .with_state(paymaster)
}

async fn metrics(State(paymaster): State<Arc<Paymaster>>) -> String {
    paymaster.metrics.render()
}

async fn rpc(
    State(paymaster): State<Arc<Paymaster>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Json<Value> {
    let api_key = headers.get(API_KEY_HEADER).and_then(|value| value.to_str().ok()).map(str::to_owned);
    match body {
        Value::Array(calls) => {
            let mut answers = Vec::with_capacity(calls.len());
            for call in calls {
                answers.push(one(&paymaster, call, api_key.as_deref()).await);
            }
            Json(Value::Array(answers))
        }
        call => Json(one(&paymaster, call, api_key.as_deref()).await),
    }
}

async fn one(paymaster: &Arc<Paymaster>, call: Value, api_key: Option<&str>) -> Value {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = call.get("method").and_then(Value::as_str).map(str::to_owned) else {
        return json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32600, "message": "Invalid request" } });
    };
    let params = call.get("params").cloned().unwrap_or(Value::Null);
    let started = Instant::now();
    let result = paymaster.handle(&method, params, api_key).await;
    let elapsed = started.elapsed();
    match result {
        Ok(result) => {
            paymaster.metrics.request(&method, "ok", elapsed);
            tracing::info!(method, outcome = "ok", latency_ms = elapsed.as_millis() as u64, result = %result, "request");
            json!({ "jsonrpc": "2.0", "id": id, "result": result })
        }
        Err(error) => {
            log_refusal(paymaster, &method, &error, elapsed);
            json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() })
        }
    }
}

fn log_refusal(paymaster: &Paymaster, method: &str, error: &RpcError, elapsed: std::time::Duration) {
    paymaster.metrics.request(method, error.name, elapsed);
    tracing::info!(
        method,
        outcome = error.name,
        code = error.code,
        reason = error.data.as_deref().unwrap_or(""),
        latency_ms = elapsed.as_millis() as u64,
        "request"
    );
}
