//! One replica's continuous-batching scheduler, vLLM style: each step first decodes every running
//! sequence (one token each), then continues the prefills in progress, then admits waiting
//! requests (priority, then first come first served) while the batch, the token budget and the KV
//! cache allow, cutting prompts into chunks that fill the budget. When the cache cannot hold the
//! next tokens of the running sequences, the most recently admitted sequence of the lowest
//! priority is preempted: its cache is freed and it goes back to the front of the waiting queue to
//! be recomputed (prompt plus the tokens it already generated); no request is admitted in a step
//! that preempted.
//!
//! Bookkeeping is per step, not per token: decoding sequences are counted in aggregate (their
//! number and their summed context), and each one's finish is a heap entry keyed by the step
//! counter at which its last token comes out. A step with no arrival, prefill or completion costs
//! O(1). KV use is counted in tokens, plus one partial block per running sequence.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::cost::{CostModel, StepCost, StepWork};

/// A request waiting for (re)admission, with the tokens it already generated.
#[derive(Debug, Clone, Copy)]
pub(super) struct Waiting {
    pub req: u32,
    pub generated: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Seq {
    req: u32,
    priority: u8,
    prompt: u32,
    output: u32,
    /// Tokens generated when it joined the decode set (or, while prefilling, so far).
    generated: u32,
    /// Tokens to compute before decoding (prompt plus generated at admission).
    target: u32,
    /// Tokens of `target` computed so far.
    done: u32,
    join_clock: u64,
    admit_order: u64,
    epoch: u32,
    decoding: bool,
    live: bool,
}

/// What happened to a request in a finished step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Outcome {
    /// First token out (TTFT).
    FirstToken(u32),
    /// Last token out (completion).
    Finished(u32),
}

/// Per-request facts the replica reports as they happen.
pub(super) trait Sink {
    fn admitted(&mut self, req: u32, time: f64);
    fn preempted(&mut self, req: u32);
    fn outcome(&mut self, outcome: Outcome, time: f64);
}

/// Request fields the scheduler needs.
pub(super) struct RequestInfo<'a> {
    pub prompt: &'a [i64],
    pub output: &'a [i64],
    pub priority: Option<&'a [i64]>,
}

impl RequestInfo<'_> {
    #[inline]
    fn priority(&self, req: u32) -> u8 {
        self.priority.map_or(super::requests::DEFAULT_PRIORITY as u8, |p| p[req as usize] as u8)
    }
}

/// The plan of the step in flight.
#[derive(Debug, Clone, Default)]
struct Plan {
    chunks: Vec<(u32, u32)>,
    decode: u32,
}

/// One replica.
#[derive(Debug)]
pub(super) struct Replica {
    pub cost: CostModel,
    pub kv_capacity: u64,
    slack: u64,
    max_batch: u32,
    budget: u32,
    slots: Vec<Seq>,
    free: Vec<u32>,
    waiting: [VecDeque<Waiting>; 10],
    n_waiting: usize,
    prefilling: Vec<u32>,
    n_decoding: u32,
    ctx_sum: u64,
    pub kv_used: u64,
    clock: u64,
    finish: BinaryHeap<Reverse<(u64, u32, u32)>>,
    admit_counter: u64,
    plan: Plan,
    /// Requests dispatched here and not finished.
    pub outstanding_requests: u64,
    /// Prompt plus output tokens of those requests.
    pub outstanding_tokens: u64,
    /// Steps run.
    pub steps: u64,
    /// Preemptions.
    pub preemptions: u64,
}

impl Replica {
    pub fn new(cost: CostModel, kv_capacity: u64, block: u32, max_batch: u32, budget: u32) -> Replica {
        Replica {
            cost,
            kv_capacity,
            slack: u64::from(block) - 1,
            max_batch,
            budget,
            slots: Vec::new(),
            free: Vec::new(),
            waiting: Default::default(),
            n_waiting: 0,
            prefilling: Vec::new(),
            n_decoding: 0,
            ctx_sum: 0,
            kv_used: 0,
            clock: 0,
            finish: BinaryHeap::new(),
            admit_counter: 0,
            plan: Plan::default(),
            outstanding_requests: 0,
            outstanding_tokens: 0,
            steps: 0,
            preemptions: 0,
        }
    }

    /// Queues a new request.
    pub fn enqueue(&mut self, req: u32, info: &RequestInfo<'_>) {
        let p = info.priority(req) as usize - 1;
        self.waiting[p].push_back(Waiting { req, generated: 0 });
        self.n_waiting += 1;
        self.outstanding_requests += 1;
        self.outstanding_tokens += (info.prompt[req as usize] + info.output[req as usize]) as u64;
    }

    /// Sequences running (decoding or prefilling).
    pub fn running(&self) -> u32 {
        self.n_decoding + self.prefilling.len() as u32
    }

    /// Nothing waiting or running.
    pub fn is_empty(&self) -> bool {
        self.running() == 0 && self.n_waiting == 0
    }

    /// Preempts every running sequence (a model switch), most recent first so the queue keeps
    /// their admission order.
    pub fn preempt_all(&mut self, sink: &mut impl Sink) {
        while self.running() > 0 {
            if !self.preempt_one(sink) {
                break;
            }
        }
    }

    /// Replaces the cost model and cache size (after a switch; nothing may be running).
    pub fn reconfigure(&mut self, cost: CostModel, kv_capacity: u64) {
        self.cost = cost;
        self.kv_capacity = kv_capacity;
    }

    fn held(&self, s: &Seq) -> u64 {
        if s.decoding {
            u64::from(s.target) + (self.clock - s.join_clock)
        } else {
            u64::from(s.done)
        }
    }

    /// Preempts the most recently admitted running sequence of the lowest priority.
    fn preempt_one(&mut self, sink: &mut impl Sink) -> bool {
        let mut victim: Option<(u8, u64, u32)> = None;
        for (i, s) in self.slots.iter().enumerate() {
            if s.live && victim.is_none_or(|(p, o, _)| (s.priority, s.admit_order) > (p, o)) {
                victim = Some((s.priority, s.admit_order, i as u32));
            }
        }
        let Some((_, _, slot)) = victim else { return false };
        let s = self.slots[slot as usize];
        let held = self.held(&s);
        let generated = if s.decoding {
            self.n_decoding -= 1;
            self.ctx_sum -= held;
            s.generated + (self.clock - s.join_clock) as u32
        } else {
            self.prefilling.retain(|&x| x != slot);
            s.generated
        };
        self.kv_used -= held + self.slack;
        self.release(slot);
        self.waiting[s.priority as usize - 1].push_front(Waiting { req: s.req, generated });
        self.n_waiting += 1;
        self.preemptions += 1;
        sink.preempted(s.req);
        true
    }

    fn release(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        s.live = false;
        s.epoch = s.epoch.wrapping_add(1);
        self.free.push(slot);
    }

    /// Plans and costs the next step starting at `now`; `None` when there is nothing to do.
    pub fn start_step(&mut self, now: f64, info: &RequestInfo<'_>, sink: &mut impl Sink) -> Option<StepCost> {
        if self.is_empty() {
            return None;
        }
        let mut preempted = false;
        loop {
            if let Some(cost) = self.plan_step(now, info, sink, &mut preempted) {
                return Some(cost);
            }
            // Nothing could run: only prefills are in flight and the cache is full of their
            // partial prompts. Admission checks make this unlikely (no known input reaches it);
            // if it happens, preempt the most recent so the earlier ones go on (a single request
            // always fits: the run checked each against the cache), rather than stall.
            if self.running() == 0 || !self.preempt_one(sink) {
                return None;
            }
            preempted = true;
        }
    }

    fn plan_step(
        &mut self,
        now: f64,
        info: &RequestInfo<'_>,
        sink: &mut impl Sink,
        preempted: &mut bool,
    ) -> Option<StepCost> {
        // Room for one more token of every decoding sequence.
        while self.kv_used + u64::from(self.n_decoding) > self.kv_capacity {
            if !self.preempt_one(sink) {
                break;
            }
            *preempted = true;
        }
        let decode = self.n_decoding;
        let mut budget = self.budget - decode;
        let mut kv = self.kv_used + u64::from(decode);
        let mut work = StepWork {
            tokens: f64::from(decode),
            kv_read_tokens: self.ctx_sum as f64,
            attention_pairs: self.ctx_sum as f64,
        };
        let mut chunks = std::mem::take(&mut self.plan.chunks);
        chunks.clear();
        let add_chunk = |work: &mut StepWork, start: u32, chunk: u32| {
            let (s, c) = (f64::from(start), f64::from(chunk));
            work.tokens += c;
            work.kv_read_tokens += s + c;
            work.attention_pairs += c * (s + 0.5 * (c + 1.0));
        };
        for &slot in &self.prefilling {
            if budget == 0 {
                break;
            }
            let s = &self.slots[slot as usize];
            let room = self.kv_capacity.saturating_sub(kv).min(u64::from(budget)) as u32;
            let chunk = (s.target - s.done).min(room);
            if chunk == 0 {
                break;
            }
            add_chunk(&mut work, s.done, chunk);
            chunks.push((slot, chunk));
            budget -= chunk;
            kv += u64::from(chunk);
        }
        if !*preempted {
            while budget > 0 && self.running() < self.max_batch && self.n_waiting > 0 {
                let Some(q) = self.waiting.iter_mut().find(|q| !q.is_empty()) else { break };
                let w = *q.front().expect("non-empty queue");
                let prompt = info.prompt[w.req as usize] as u32;
                let target = prompt + w.generated;
                let chunk = target.min(budget);
                if kv + u64::from(chunk) + self.slack > self.kv_capacity {
                    break;
                }
                q.pop_front();
                self.n_waiting -= 1;
                let slot = self.free.pop().unwrap_or_else(|| {
                    self.slots.push(Seq::default());
                    self.slots.len() as u32 - 1
                });
                let epoch = self.slots[slot as usize].epoch;
                self.slots[slot as usize] = Seq {
                    req: w.req,
                    priority: info.priority(w.req),
                    prompt,
                    output: info.output[w.req as usize] as u32,
                    generated: w.generated,
                    target,
                    done: 0,
                    join_clock: 0,
                    admit_order: self.admit_counter,
                    epoch,
                    decoding: false,
                    live: true,
                };
                self.admit_counter += 1;
                self.prefilling.push(slot);
                self.kv_used += self.slack;
                sink.admitted(w.req, now);
                add_chunk(&mut work, 0, chunk);
                chunks.push((slot, chunk));
                budget -= chunk;
                kv += u64::from(chunk) + self.slack;
            }
        }
        if decode == 0 && chunks.is_empty() {
            self.plan.chunks = chunks;
            return None;
        }
        self.kv_used = kv;
        let cost = self.cost.step(&work);
        self.plan = Plan { chunks, decode };
        self.steps += 1;
        Some(cost)
    }

    /// Prefill tokens of the step in flight.
    pub fn plan_prefill_tokens(&self) -> u32 {
        self.plan.chunks.iter().map(|c| c.1).sum()
    }

    /// Applies the step in flight, which ended at `now`; returns the output tokens it produced.
    pub fn finish_step(&mut self, now: f64, sink: &mut impl Sink) -> u32 {
        let mut produced = self.plan.decode;
        self.clock += 1;
        self.ctx_sum += u64::from(self.plan.decode);
        while let Some(&Reverse((at, slot, epoch))) = self.finish.peek() {
            if at > self.clock {
                break;
            }
            self.finish.pop();
            let s = self.slots[slot as usize];
            if !s.live || s.epoch != epoch {
                continue;
            }
            let held = self.held(&s);
            self.ctx_sum -= held;
            self.kv_used -= held + self.slack;
            self.n_decoding -= 1;
            self.complete(slot, now, sink);
        }
        let chunks = std::mem::take(&mut self.plan.chunks);
        for &(slot, chunk) in &chunks {
            let s = &mut self.slots[slot as usize];
            s.done += chunk;
            if s.done < s.target {
                continue;
            }
            s.generated += 1;
            produced += 1;
            if s.generated == 1 {
                sink.outcome(Outcome::FirstToken(s.req), now);
            }
            self.prefilling.retain(|&x| x != slot);
            let s = self.slots[slot as usize];
            if s.generated >= s.output {
                self.kv_used -= u64::from(s.done) + self.slack;
                self.complete(slot, now, sink);
            } else {
                let seq = &mut self.slots[slot as usize];
                seq.decoding = true;
                seq.join_clock = self.clock;
                self.n_decoding += 1;
                self.ctx_sum += u64::from(s.target);
                let finish_at = self.clock + u64::from(s.output - s.generated);
                self.finish.push(Reverse((finish_at, slot, s.epoch)));
            }
        }
        self.plan.chunks = chunks;
        produced
    }

    fn complete(&mut self, slot: u32, now: f64, sink: &mut impl Sink) {
        let s = self.slots[slot as usize];
        self.outstanding_requests -= 1;
        self.outstanding_tokens -= u64::from(s.prompt + s.output);
        self.release(slot);
        sink.outcome(Outcome::Finished(s.req), now);
    }
}
