//! Writes an SVG comparing the H100 SXM model with the measured trace (power, GPU and HBM
//! temperature over the measured phases).
//!
//! `cargo run -p hcpcore --release --example sim_calibration_plot -- benches/sim-calibration.svg`

use std::fmt::Write;

use hcpcore::sim::calibration::{read_phases, read_trace, replay};
use hcpcore::sim::GpuSpec;

const W: f64 = 1200.0;
const PANEL_H: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const GAP: f64 = 50.0;

#[allow(clippy::too_many_arguments)]
fn polyline(
    out: &mut String,
    xs: &[f64],
    ys: &[f64],
    x_range: (f64, f64),
    y_range: (f64, f64),
    top: f64,
    color: &str,
    width: f64,
) {
    let sx = |x: f64| LEFT + (x - x_range.0) / (x_range.1 - x_range.0) * (W - LEFT - RIGHT);
    let sy = |y: f64| top + PANEL_H - (y - y_range.0) / (y_range.1 - y_range.0) * PANEL_H;
    let mut pts = String::new();
    for (x, y) in xs.iter().zip(ys) {
        let _ = write!(pts, "{:.1},{:.1} ", sx(*x), sy(*y));
    }
    let _ = writeln!(out, r#"<polyline fill="none" stroke="{color}" stroke-width="{width}" points="{pts}"/>"#);
}

fn axes(out: &mut String, title: &str, unit: &str, x_range: (f64, f64), y_range: (f64, f64), top: f64) {
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{top}" width="{}" height="{PANEL_H}" fill="none" stroke="#999"/>"##,
        W - LEFT - RIGHT
    );
    let _ = writeln!(out, r#"<text x="{LEFT}" y="{}" font-size="14" font-weight="bold">{title}</text>"#, top - 8.0);
    for k in 0..=5 {
        let y = y_range.0 + (y_range.1 - y_range.0) * k as f64 / 5.0;
        let py = top + PANEL_H - PANEL_H * k as f64 / 5.0;
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{y:.0}</text><line x1="{LEFT}" x2="{}" y1="{py:.1}" y2="{py:.1}" stroke="#eee"/>"##,
            LEFT - 5.0,
            py + 4.0,
            W - RIGHT
        );
    }
    for k in 0..=10 {
        let x = x_range.0 + (x_range.1 - x_range.0) * k as f64 / 10.0;
        let px = LEFT + (W - LEFT - RIGHT) * k as f64 / 10.0;
        let _ = writeln!(
            out,
            r#"<text x="{px:.1}" y="{}" font-size="11" text-anchor="middle">{x:.0} s</text>"#,
            top + PANEL_H + 14.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="12" y="{}" font-size="11" transform="rotate(-90 12 {})">{unit}</text>"#,
        top + PANEL_H / 2.0,
        top + PANEL_H / 2.0
    );
}

type Series<'a> = Box<dyn Fn(usize) -> f64 + 'a>;
/// Title, unit, y range, measured, modelled, colour.
type Panel<'a> = (&'a str, &'a str, (f64, f64), Series<'a>, Series<'a>, &'a str);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_path = std::env::args().nth(1).unwrap_or_else(|| "benches/sim-calibration.svg".into());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/calibration/h100-sxm-80gb");
    // The interesting part of the run: decode proxies, GEMM, cool-down, duty cycles, copy, cool-down.
    let trace: Vec<_> =
        read_trace(&format!("{dir}/trace.csv"))?.into_iter().filter(|r| r.time_seconds >= 2.0).collect();
    let phases = read_phases(&format!("{dir}/phases.json"))?;
    let times: Vec<f64> = trace.iter().map(|r| r.time_seconds).collect();
    let model = replay(&GpuSpec::h100_sxm(), &phases, 2.0, &times, 0.005)?;
    let keep: Vec<usize> = (0..trace.len()).filter(|&i| trace[i].time_seconds >= 95.0).collect();
    let t: Vec<f64> = keep.iter().map(|&i| trace[i].time_seconds).collect();
    let xr = (95.0, t.last().copied().unwrap_or(260.0));
    let mut svg = String::new();
    let height = TOP + 3.0 * (PANEL_H + GAP) + 20.0;
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r##"<text x="{LEFT}" y="20" font-size="16">H100 SXM 80GB: measured trace (grey) vs hcpcore::sim model (colour), data/calibration/h100-sxm-80gb</text>"##
    );
    let panels: [Panel; 3] = [
        (
            "Power (nvidia-smi power.draw, 1 s average)",
            "W",
            (0.0, 800.0),
            Box::new(|i| trace[i].power_watts),
            Box::new(|i| model[i].power_watts),
            "#d62728",
        ),
        (
            "GPU temperature",
            "°C",
            (30.0, 90.0),
            Box::new(|i| trace[i].gpu_temp_c),
            Box::new(|i| model[i].gpu_temp_c),
            "#1f77b4",
        ),
        (
            "HBM temperature",
            "°C",
            (30.0, 90.0),
            Box::new(|i| trace[i].memory_temp_c),
            Box::new(|i| model[i].memory_temp_c),
            "#2ca02c",
        ),
    ];
    for (k, (title, unit, yr, measured, modelled, color)) in panels.iter().enumerate() {
        let top = TOP + k as f64 * (PANEL_H + GAP);
        axes(&mut svg, title, unit, xr, *yr, top);
        let ym: Vec<f64> = keep.iter().map(|&i| measured(i)).collect();
        let yy: Vec<f64> = keep.iter().map(|&i| modelled(i)).collect();
        polyline(&mut svg, &t, &ym, xr, *yr, top, "#888", 1.2);
        polyline(&mut svg, &t, &yy, xr, *yr, top, color, 1.6);
        for p in phases.iter().filter(|p| p.duration_s >= 1.0 && p.start_s >= xr.0) {
            let px = LEFT + (p.start_s - xr.0) / (xr.1 - xr.0) * (W - LEFT - RIGHT);
            let _ = writeln!(
                svg,
                r##"<line x1="{px:.1}" x2="{px:.1}" y1="{top}" y2="{}" stroke="#ccc" stroke-dasharray="3,3"/>"##,
                top + PANEL_H
            );
            if k == 0 {
                let _ = writeln!(
                    svg,
                    r##"<text x="{:.1}" y="{}" font-size="10" fill="#555">{}</text>"##,
                    px + 2.0,
                    top + 12.0,
                    p.name
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    std::fs::write(&out_path, svg)?;
    println!("wrote {out_path}");
    Ok(())
}
