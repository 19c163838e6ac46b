//! `make exporters`: a simulated fleet served the way monitoring tools expect real devices —
//! dcgm-exporter-compatible GPU metrics on `:9400/metrics`, miner metrics on `:9401/metrics`, and
//! for each simulated Antminer its cgminer API on its own port from `:4028` and the JSON pages of
//! its web interface on its own port from `:8028` — while the fleet steps on a clock so values
//! move. Everything served comes from hcp's public API (`Fleet::dcgm_exposition`,
//! `Fleet::miner_exposition`, `Fleet::cgminer_request`, `Fleet::antminer_web_page`); this
//! program only binds ports, moves bytes and runs the clock. See README.md.

mod args;
mod servers;
mod sim;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::Arc;

use args::{Args, Parsed};
use sim::Sim;

fn bind(args: &Args, port: u16, what: &str) -> Result<TcpListener, String> {
    let addr = SocketAddr::new(args.listen, port);
    TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr} for {what}: {e}"))
}

fn port_of(listener: &TcpListener) -> u16 {
    listener.local_addr().map_or(0, |a| a.port())
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), String> {
    std::thread::Builder::new().name(name.into()).spawn(f).map(|_| ()).map_err(|e| format!("cannot start {name}: {e}"))
}

/// `/metrics` of a metrics server, and a one-line index at `/`.
fn metrics_route(path: &str, what: &str, render: impl Fn() -> String) -> Option<(&'static str, String)> {
    match path {
        "/metrics" => Some((servers::EXPOSITION_TYPE, render())),
        "/" => Some(("text/plain; charset=utf-8", format!("hcp-exporters: {what} metrics at /metrics\n"))),
        _ => None,
    }
}

/// `/cgi-bin/<page>.cgi` of a miner's web interface.
fn web_route(path: &str, sim: &Sim, device: i64, name: &str) -> Option<(&'static str, String)> {
    let page = path.strip_prefix("/cgi-bin/")?.strip_suffix(".cgi")?;
    match sim.fleet().antminer_web_page(device, page, name, servers::now_unix()) {
        Ok(Some(json)) => Some((servers::JSON_TYPE, json.to_string())),
        Ok(None) => None,
        Err(e) => {
            eprintln!("hcp-exporters: miner {device}: {e}");
            None
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let sim = Arc::new(Sim::new(&args).map_err(|e| format!("fleet: {e}"))?);
    let miners = sim.fleet().miner_ids();

    // Bind everything before announcing, so that a client that reads the ready line can connect.
    let dcgm = bind(&args, args.dcgm_port, "DCGM metrics")?;
    let miner_metrics = bind(&args, args.miner_metrics_port, "miner metrics")?;
    let mut cgminer_ports = Vec::with_capacity(miners.len());
    let mut web_ports = Vec::with_capacity(miners.len());
    for (i, &device) in miners.iter().enumerate() {
        let port = |base: u16| if base == 0 { 0 } else { base + i as u16 };
        cgminer_ports
            .push((device, bind(&args, port(args.cgminer_base_port), &format!("the cgminer API of miner {device}"))?));
        web_ports.push(bind(&args, port(args.web_base_port), &format!("the web interface of miner {device}"))?);
    }

    let web_ports: Vec<(i64, TcpListener)> = miners.iter().copied().zip(web_ports).collect();
    let ready = format!(
        "{{\"dcgm\":\"http://{host}:{}/metrics\",\"miners\":\"http://{host}:{}/metrics\",\"cgminer\":[{}]}}",
        port_of(&dcgm),
        port_of(&miner_metrics),
        cgminer_ports
            .iter()
            .zip(&web_ports)
            .map(|((device, api), web)| format!(
                "{{\"miner\":\"{}-{device}\",\"device\":{device},\"port\":{},\"web_port\":{}}}",
                args.hostname,
                port_of(api),
                port_of(&web.1)
            ))
            .collect::<Vec<_>>()
            .join(","),
        host = args.listen,
    );

    let host = args.hostname.clone();
    let s = Arc::clone(&sim);
    spawn("dcgm", move || {
        servers::accept_loop(dcgm, move |stream| {
            servers::serve_http(stream, &|path| {
                metrics_route(path, "dcgm-exporter", || s.fleet().dcgm_exposition(&host))
            })
        })
    })?;
    let host = args.hostname.clone();
    let s = Arc::clone(&sim);
    spawn("miner-metrics", move || {
        servers::accept_loop(miner_metrics, move |stream| {
            servers::serve_http(stream, &|path| metrics_route(path, "miners", || s.fleet().miner_exposition(&host)))
        })
    })?;
    for (device, listener) in cgminer_ports {
        let s = Arc::clone(&sim);
        spawn("cgminer", move || {
            servers::accept_loop(listener, move |stream| servers::serve_cgminer(stream, &s, device))
        })?;
    }
    for (device, listener) in web_ports {
        let s = Arc::clone(&sim);
        let name = format!("{}-{device}", args.hostname);
        spawn("web", move || {
            servers::accept_loop(listener, move |stream| {
                servers::serve_http(stream, &|path| web_route(path, &s, device, &name))
            })
        })?;
    }

    // One line a supervisor or test can wait for: where everything listens.
    let mut out = std::io::stdout().lock();
    writeln!(out, "hcp-exporters ready {ready}").and_then(|_| out.flush()).map_err(|e| format!("stdout: {e}"))?;
    drop(out);
    Err(format!("the simulation stopped: {}", sim.run_clock()))
}

fn main() -> ExitCode {
    match args::parse(std::env::args().skip(1)) {
        Ok(Parsed::Help) => {
            println!("{}", args::USAGE);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hcp-exporters: {e}\n\n{}", args::USAGE);
            ExitCode::from(2)
        }
        Ok(Parsed::Run(a)) => match run(a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hcp-exporters: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
