//! A one-thread driver of the router benchmark's cycle (submit 64 → dispatch them → complete
//! them, all three as batch calls, 256 H100s, priorities 1–10, 1 GB each) for instruction-count profiling, which the
//! shared VM's timing noise does not disturb:
//!
//! ```text
//! cargo build --release -p hcpcore --example router_profile
//! ROUNDS=1000 valgrind --tool=callgrind target/release/examples/router_profile
//! ROUNDS=2000 valgrind --tool=callgrind target/release/examples/router_profile
//! ```
//! (difference / 64,000 = instructions per workload).

use hcpcore::router::{Router, RouterConfig, SubmitRequest};
fn main() {
    let r = Router::new(RouterConfig { aging_seconds: 0.0, ..RouterConfig::default() }).unwrap();
    for i in 0..256 {
        r.add_device(&format!("g{i}"), "gpu", "H100_SXM", "a", None).unwrap();
    }
    let reqs: Vec<SubmitRequest> = (0..64)
        .map(|i| SubmitRequest::new("bench", "ai_inference_batch").priority((i % 10) as i64 + 1).gpu_memory_gb(1.0))
        .collect();
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    for _ in 0..rounds {
        for id in r.submit_batch(&reqs) {
            std::hint::black_box(id.unwrap());
        }
        let mut got = 0;
        while got < 64 {
            let ids: Vec<u64> = r.dispatch_batch(64 - got).iter().map(|a| a.workload_id).collect();
            got += ids.len();
            for done in r.complete_batch(&ids) {
                done.unwrap();
            }
        }
    }
}
