//! Power over one tick as piecewise-linear paths: hold `from_w` for `wait_s`, move linearly to
//! `to_w` over `ramp_s` (a step when 0), hold `to_w`. Every device cohort of a tick is one path,
//! so the tick's exact peak is the largest sum at the paths' breakpoints and its energy is the
//! sum of their integrals.

/// One cohort's power over a tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Path {
    /// Devices in the cohort.
    pub count: f64,
    /// Power each at the start of the tick, W.
    pub from_w: f64,
    /// Power each after the ramp, W.
    pub to_w: f64,
    /// Seconds held at `from_w`.
    pub wait_s: f64,
    /// Seconds of the linear ramp (0: a step).
    pub ramp_s: f64,
}

impl Path {
    /// A constant path.
    pub fn flat(count: f64, watts: f64) -> Path {
        Path { count, from_w: watts, to_w: watts, wait_s: 0.0, ramp_s: 0.0 }
    }

    /// Power of the cohort at `t` (right limit at a step), W.
    pub fn at(&self, t: f64) -> f64 {
        self.count * self.each_at(t, false)
    }

    /// Power of the cohort just before `t`, W.
    pub fn before(&self, t: f64) -> f64 {
        self.count * self.each_at(t, true)
    }

    fn each_at(&self, t: f64, left: bool) -> f64 {
        let in_wait = if left { t <= self.wait_s } else { t < self.wait_s };
        if in_wait {
            return self.from_w;
        }
        if self.ramp_s <= 0.0 {
            return self.to_w;
        }
        let f = ((t - self.wait_s) / self.ramp_s).clamp(0.0, 1.0);
        self.from_w + (self.to_w - self.from_w) * f
    }

    /// Energy of the cohort over `[0, end_s]`, J.
    pub fn energy_joules(&self, end_s: f64) -> f64 {
        self.count * self.each_integral(end_s, |w| w)
    }

    /// ∫ g(power each) dt over `[0, end_s]` for a g linear on each piece (exact for linear g,
    /// trapezoid on the ramp otherwise).
    pub fn each_integral(&self, end_s: f64, g: impl Fn(f64) -> f64) -> f64 {
        let w = self.wait_s.min(end_s);
        let mut total = g(self.from_w) * w;
        if end_s > self.wait_s {
            let r_end = (end_s - self.wait_s).min(self.ramp_s.max(0.0));
            if r_end > 0.0 {
                let p_end = self.each_at(self.wait_s + r_end, true);
                total += 0.5 * (g(self.from_w) + g(p_end)) * r_end;
            }
            let hold = end_s - self.wait_s - r_end;
            if hold > 0.0 {
                total += g(self.to_w) * hold;
            }
        }
        total
    }
}

/// The largest total power of `paths` over `[0, end_s]`, W (exact for piecewise-linear paths).
pub fn peak_watts(paths: &[Path], end_s: f64) -> f64 {
    let mut points = vec![0.0, end_s];
    for p in paths {
        for b in [p.wait_s, p.wait_s + p.ramp_s] {
            if b > 0.0 && b < end_s {
                points.push(b);
            }
        }
    }
    let mut peak = f64::MIN;
    for &t in &points {
        let right: f64 = paths.iter().map(|p| p.at(t)).sum();
        peak = peak.max(right);
        if t > 0.0 {
            let left: f64 = paths.iter().map(|p| p.before(t)).sum();
            peak = peak.max(left);
        }
    }
    peak.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_and_peak() {
        let down = Path { count: 2.0, from_w: 100.0, to_w: 0.0, wait_s: 10.0, ramp_s: 10.0 };
        assert_eq!(down.energy_joules(100.0), 2.0 * (1000.0 + 500.0));
        let up = Path { count: 1.0, from_w: 0.0, to_w: 200.0, wait_s: 20.0, ramp_s: 0.0 };
        // Shed then add: 200 at the start, 200 at the end, never 400.
        assert_eq!(peak_watts(&[down, up], 100.0), 200.0);
        let early = Path { wait_s: 5.0, ..up };
        assert_eq!(peak_watts(&[down, early], 100.0), 400.0);
    }
}
