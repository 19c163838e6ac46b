//! `cargo run -p hcp-header-gen -- write` regenerates `go/include/hcp.h`; `-- check` fails (exit 1)
//! when the checked-in header differs from what the C ABI's source generates.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "check".into());
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let header = crate_dir.join("go/include/hcp.h");
    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cbindgen.toml: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bindings = match cbindgen::Builder::new().with_crate(&crate_dir).with_config(config).generate() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cbindgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    match mode.as_str() {
        "write" => match std::fs::write(&header, &generated) {
            Ok(()) => {
                println!("wrote {}", header.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", header.display());
                ExitCode::FAILURE
            }
        },
        _ => {
            let current = std::fs::read(&header).unwrap_or_default();
            if current == generated {
                println!("{} is up to date", header.display());
                ExitCode::SUCCESS
            } else {
                eprintln!("{} differs from the C ABI; run `make header` and commit it", header.display());
                ExitCode::FAILURE
            }
        }
    }
}
