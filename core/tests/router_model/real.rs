//! `hcpcore::router::Router` behind the same surface as the model, with the same normalisation.

use hcpcore::econ::Market;
use hcpcore::router::{Assignment, CustomerConfig, Router, SubmitRequest, WorkloadInfo, WorkloadState};

use super::api::*;

pub struct Real(pub Router);

impl Real {
    pub fn new(cfg: &Config) -> Real {
        Real(Router::from_json(&cfg.to_json()).expect("router config"))
    }
}

fn kind<T>(r: hcpcore::Result<T>) -> R<T> {
    r.map_err(|e| e.kind())
}

fn st(s: WorkloadState) -> St {
    match s {
        WorkloadState::Queued => St::Queued,
        WorkloadState::Assigned => St::Assigned,
        WorkloadState::Running => St::Running,
        WorkloadState::Completed => St::Completed,
        WorkloadState::Failed => St::Failed,
        WorkloadState::Cancelled => St::Cancelled,
        WorkloadState::Rejected => St::Rejected,
        other => panic!("unexpected observable state {other:?}"),
    }
}

fn asg(a: Assignment) -> Asg {
    Asg {
        workload_id: a.workload_id,
        device_ids: a.device_ids().iter().map(|d| d.to_string()).collect(),
        priority: a.priority,
        wait_seconds: a.wait_seconds,
        curtailed: a.curtailed_device_ids.iter().map(|d| d.to_string()).collect(),
        preempted: a.preempted_workload_ids.clone(),
    }
}

fn request(r: &Req) -> SubmitRequest<'_> {
    let mut q = SubmitRequest::new(&r.customer_id, &r.workload_type);
    if let Some(p) = r.priority {
        q = q.priority(p);
    }
    if let Some(g) = r.gpus {
        q = q.gpus(g);
    }
    if let Some(gb) = r.gpu_memory_gb {
        q = q.gpu_memory_gb(gb);
    }
    if let Some(s) = &r.site {
        q = q.site(s);
    }
    if let Some(ms) = r.latency_bound_ms {
        q = q.latency_bound_ms(ms);
    }
    if let Some(s) = r.deadline_seconds {
        q = q.deadline_seconds(s);
    }
    q
}

/// The same normalisation as the model's `workload`.
pub fn winfo(w: WorkloadInfo, is_gpu_type: bool) -> WInfo {
    let state = st(w.state);
    let rejected = state == St::Rejected;
    let active = matches!(state, St::Assigned | St::Running);
    WInfo {
        id: w.id,
        customer: w.customer_id,
        workload_type: w.workload_type,
        state,
        priority: (!rejected).then_some(w.priority),
        effective_priority: (state == St::Queued || active).then_some(w.effective_priority),
        gpus: (!rejected && is_gpu_type).then_some(w.gpus),
        gpu_memory_gb: (!rejected && is_gpu_type).then_some(w.gpu_memory_gb),
        device_ids: if active { w.device_ids } else { Vec::new() },
        preemptions: w.preemptions,
        reason: if rejected { w.reason.map(|_| "<rejected>".to_string()) } else { w.reason },
    }
}

impl Sys for Real {
    fn add_device(&mut self, id: &str, kind_: &str, model: &str, site: &str, gb: Option<f64>) -> R<()> {
        kind(self.0.add_device(id, kind_, model, site, gb))
    }
    fn remove_device(&mut self, id: &str) -> R<Vec<u64>> {
        kind(self.0.remove_device(id))
    }
    fn set_available(&mut self, id: &str, available: bool) -> R<()> {
        kind(self.0.set_device_available(id, available))
    }
    fn set_thermal(&mut self, id: &str, headroom: f64) -> R<()> {
        kind(self.0.set_device_thermal_headroom(id, headroom))
    }
    fn set_profit(&mut self, id: &str, usd_per_hour: f64) -> R<()> {
        kind(self.0.set_device_profit_usd_per_hour(id, usd_per_hour))
    }
    fn set_cap(&mut self, site: &str, kw: Option<f64>) -> R<()> {
        kind(self.0.set_site_power_cap_kw(site, kw))
    }
    fn resume_miners(&mut self, site: &str) -> R<Vec<String>> {
        kind(self.0.resume_miners(site))
    }
    fn set_market(&mut self, m: Market) {
        self.0.set_market(m)
    }
    fn submit(&mut self, r: &Req) -> R<u64> {
        kind(self.0.submit(&request(r)))
    }
    fn try_submit(&mut self, r: &Req) -> TrySub {
        let s = self.0.try_submit(&request(r));
        TrySub {
            workload_id: s.workload_id,
            state: st(s.state),
            has_reason: s.reason.is_some(),
            error: s.error.map(|e| e.kind()),
        }
    }
    fn submit_batch(&mut self, rs: &[Req]) -> Vec<R<u64>> {
        let reqs: Vec<SubmitRequest<'_>> = rs.iter().map(request).collect();
        self.0.submit_batch(&reqs).into_iter().map(kind).collect()
    }
    fn dispatch(&mut self) -> Option<Asg> {
        self.0.dispatch().map(asg)
    }
    fn dispatch_batch(&mut self, n: usize) -> Vec<Asg> {
        self.0.dispatch_batch(n).into_iter().map(asg).collect()
    }
    fn transition(&mut self, t: Tr, as_customer: Option<&str>, id: u64) -> R<()> {
        let r = &self.0;
        kind(match (t, as_customer) {
            (Tr::Start, None) => r.start(id),
            (Tr::Complete, None) => r.complete(id),
            (Tr::Fail, None) => r.fail(id),
            (Tr::Cancel, None) => r.cancel(id),
            (Tr::Preempt, None) => r.preempt(id),
            (Tr::Start, Some(c)) => r.start_as(c, id),
            (Tr::Complete, Some(c)) => r.complete_as(c, id),
            (Tr::Fail, Some(c)) => r.fail_as(c, id),
            (Tr::Cancel, Some(c)) => r.cancel_as(c, id),
            (Tr::Preempt, Some(_)) => panic!("there is no preempt_as"),
        })
    }
    fn complete_batch(&mut self, ids: &[u64]) -> Vec<R<()>> {
        self.0.complete_batch(ids).into_iter().map(kind).collect()
    }
    fn advance(&mut self, seconds: f64) -> R<()> {
        kind(self.0.advance_time(seconds))
    }
    fn age(&mut self) -> usize {
        self.0.age()
    }
    fn set_customer(&mut self, c: &str, cfg: CustCfg) -> R<()> {
        kind(
            self.0.set_customer(
                c,
                CustomerConfig { weight: cfg.weight, max_gpus: cfg.max_gpus, max_queued: cfg.max_queued },
            ),
        )
    }

    fn workload(&self, id: u64) -> R<WInfo> {
        let w = kind(self.0.workload(id))?;
        let gpu = is_gpu_type(&w.workload_type);
        Ok(winfo(w, gpu))
    }
    fn device(&self, id: &str) -> R<DInfo> {
        let d = kind(self.0.device(id))?;
        // `kind` is compared loosely so that an enum or a string both work.
        let gpu = format!("{:?}", d.kind).to_lowercase().contains("gpu");
        Ok(DInfo {
            device_id: d.device_id,
            site: d.site,
            gpu_memory_gb: gpu.then_some(d.gpu_memory_gb),
            free_gpu_memory_gb: gpu.then_some(d.free_gpu_memory_gb),
            workloads: d.workloads as u32,
            status: d.status.to_string(),
        })
    }
    fn site_load_kw(&self, site: &str) -> R<f64> {
        kind(self.0.site_load_kw(site))
    }
    fn counts(&self) -> Counts {
        let c = self.0.counts();
        Counts {
            submitted: c.submitted,
            queued: c.queued,
            assigned: c.assigned,
            running: c.running,
            completed: c.completed,
            failed: c.failed,
            cancelled: c.cancelled,
            rejected: c.rejected,
            preemptions: c.preemptions,
        }
    }
    fn queue_depths(&self) -> [u64; 10] {
        self.0.queue_depths()
    }
    fn customer(&self, c: &str) -> R<CInfo> {
        let i = kind(self.0.customer(c))?;
        Ok(CInfo {
            weight: i.weight,
            max_gpus: i.max_gpus,
            max_queued: i.max_queued,
            queued: i.queued as u64,
            active: i.active as u64,
            gpus_held: i.gpus_held as u64,
        })
    }
    fn customer_workloads(&self, c: &str) -> Vec<u64> {
        let mut ids: Vec<u64> = self.0.customer_workloads(c).into_iter().map(|w| w.id).collect();
        ids.sort();
        ids
    }
}

/// GPU memory fields are compared only for GPU work (the test's types: everything but mining).
fn is_gpu_type(ty: &str) -> bool {
    ty != "bitcoin_mining"
}
