//! Prometheus metrics in the text exposition format (`GET /metrics`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Latency histogram buckets, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    /// (method, outcome) → requests; the outcome is `ok` or the error name.
    requests: BTreeMap<(String, String), u64>,
    /// method → latency histogram.
    latency: BTreeMap<String, Histogram>,
    /// key name → FRI charged for sponsored transactions.
    sponsored_fri: BTreeMap<String, u128>,
    /// outcome → transactions submitted by relayers.
    transactions: BTreeMap<String, u64>,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one request of `method` that ended with `outcome`, taking `elapsed`.
    pub fn request(&self, method: &str, outcome: &str, elapsed: Duration) {
        let mut inner = self.inner();
        *inner.requests.entry((method.to_owned(), outcome.to_owned())).or_default() += 1;
        let histogram = inner.latency.entry(method.to_owned()).or_default();
        let seconds = elapsed.as_secs_f64();
        for (bucket, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bucket {
                *count += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// Adds a settled transaction's fee to its key's total.
    pub fn settled(&self, key: &str, outcome: &str, fee: u128) {
        let mut inner = self.inner();
        *inner.sponsored_fri.entry(key.to_owned()).or_default() += fee;
        *inner.transactions.entry(outcome.to_owned()).or_default() += 1;
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let inner = self.inner();
        let mut out = String::new();
        out.push_str("# HELP paymaster_requests_total JSON-RPC requests by method and outcome.\n");
        out.push_str("# TYPE paymaster_requests_total counter\n");
        for ((method, outcome), count) in &inner.requests {
            let _ = writeln!(
                out,
                "paymaster_requests_total{{method=\"{method}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        out.push_str("# HELP paymaster_request_seconds JSON-RPC request latency.\n");
        out.push_str("# TYPE paymaster_request_seconds histogram\n");
        for (method, histogram) in &inner.latency {
            for (bucket, count) in BUCKETS.iter().zip(histogram.counts) {
                let _ = writeln!(
                    out,
                    "paymaster_request_seconds_bucket{{method=\"{method}\",le=\"{bucket}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "paymaster_request_seconds_bucket{{method=\"{method}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(out, "paymaster_request_seconds_sum{{method=\"{method}\"}} {}", histogram.sum);
            let _ =
                writeln!(out, "paymaster_request_seconds_count{{method=\"{method}\"}} {}", histogram.count);
        }
        out.push_str("# HELP paymaster_fees_paid_fri_total Fees the relayers paid, by API key, in FRI.\n");
        out.push_str("# TYPE paymaster_fees_paid_fri_total counter\n");
        for (key, fri) in &inner.sponsored_fri {
            let _ = writeln!(out, "paymaster_fees_paid_fri_total{{key=\"{key}\"}} {fri}");
        }
        out.push_str("# HELP paymaster_transactions_total Relayer transactions settled, by outcome.\n");
        out.push_str("# TYPE paymaster_transactions_total counter\n");
        for (outcome, count) in &inner.transactions {
            let _ = writeln!(out, "paymaster_transactions_total{{outcome=\"{outcome}\"}} {count}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::default();
        metrics.request("paymaster_buildTransaction", "ok", Duration::from_millis(20));
        metrics.request("paymaster_buildTransaction", "RATE_LIMITED", Duration::from_millis(2));
        metrics.settled("game", "accepted", 1234);
        let text = metrics.render();
        assert!(
            text.contains("paymaster_requests_total{method=\"paymaster_buildTransaction\",outcome=\"ok\"} 1")
        );
        assert!(text.contains(
            "paymaster_request_seconds_bucket{method=\"paymaster_buildTransaction\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "paymaster_request_seconds_bucket{method=\"paymaster_buildTransaction\",le=\"0.025\"} 2"
        ));
        assert!(text.contains("paymaster_fees_paid_fri_total{key=\"game\"} 1234"));
    }
}
