//! The JSON pages of an Antminer's web interface (`/cgi-bin/<page>.cgi`) that monitoring tools
//! read beside the cgminer API: `stats` and `summary` (the same documents as the API's
//! `"new_api": true` replies — current pyasic reads each hash board from `stats.cgi`),
//! `get_system_info` (model, host name, MAC, serial), `get_miner_conf` (pools and work mode) and
//! `get_blink_status`. Only the pages that read state are served; none changes the miner.

use serde_json::{json, Value};

use super::{stats_new_api, summary_new_api, COMPILE_TIME};
use crate::sim::asic::miner::MinerStatus;
use crate::sim::asic::spec::PowerMode;
use crate::sim::telemetry::splitmix64;

/// The pages [`page`] serves (`/cgi-bin/<name>.cgi`).
pub const PAGES: [&str; 5] = ["stats", "summary", "get_system_info", "get_miner_conf", "get_blink_status"];

/// Bitmain's `bitmain-work-mode` of a power mode (0 normal, 1 sleep, 3 low power; high
/// performance as 2).
pub fn bitmain_work_mode(mode: PowerMode) -> u8 {
    match mode {
        PowerMode::Normal => 0,
        PowerMode::Sleep => 1,
        PowerMode::High => 2,
        PowerMode::Low => 3,
    }
}

fn mac(device: u32) -> String {
    let h = splitmix64(device as u64 ^ 0x00AC_0000);
    let b: Vec<String> = (0..5).map(|i| format!("{:02X}", (h >> (8 * i)) & 0xFF)).collect();
    // A locally administered unicast address: nobody's real hardware.
    format!("02:{}", b.join(":"))
}

/// `get_system_info.cgi`: model (`minertype`), host name, MAC address, serial number, firmware.
pub fn system_info(device: u32, s: &MinerStatus, hostname: &str) -> Value {
    let h = splitmix64(device as u64 ^ 0x5E12_1A10);
    json!({
        "minertype": s.product_name,
        "nettype": "DHCP",
        "netdevice": "eth0",
        "macaddr": mac(device),
        "hostname": hostname,
        "ipaddress": "",
        "netmask": "255.255.255.0",
        "gateway": "",
        "dnsservers": "",
        "system_mode": "GNU/Linux",
        "system_kernel_version": "Linux 4.9.113 #1 SMP PREEMPT",
        "system_filesystem_version": COMPILE_TIME,
        "firmware_type": "Release",
        "serinum": format!("HTM3D{:010X}", h & 0xFF_FFFF_FFFF),
        "Algorithm": "SHA256",
    })
}

/// `get_miner_conf.cgi`: the pool and the work mode.
pub fn miner_conf(s: &MinerStatus) -> Value {
    json!({
        "pools": [{ "url": s.pool.url, "user": s.pool.user, "pass": "x" }],
        "api-listen": true,
        "api-network": true,
        "api-groups": "A:stats:pools:devs:summary:version",
        "api-allow": "A:0/0,W:*",
        "bitmain-fan-ctrl": false,
        "bitmain-fan-pwm": "100",
        "bitmain-use-vil": true,
        "bitmain-freq": "490",
        "bitmain-voltage": "1350",
        "bitmain-ccdelay": "0",
        "bitmain-pwth": "0",
        "bitmain-work-mode": bitmain_work_mode(s.mode).to_string(),
        "bitmain-freq-level": "100",
    })
}

/// The page `name` (without `/cgi-bin/` and `.cgi`) of miner `device`, called `hostname`;
/// `None` for a page not served.
///
/// ```
/// use hcpcore::sim::{Fleet, FleetConfig};
/// use hcpcore::sim::telemetry::cgminer::web::page;
/// let mut fleet = Fleet::new(FleetConfig::default()).unwrap();
/// let id = fleet.add_miner("S21").unwrap();
/// fleet.step().unwrap();
/// let s = fleet.miner_status(id).unwrap();
/// assert_eq!(page("get_system_info", id as u32, &s, "rack-1", 0).unwrap()["minertype"], "Antminer S21");
/// assert_eq!(page("stats", id as u32, &s, "rack-1", 0).unwrap()["STATS"][0]["chain"][1]["asic_num"], 108);
/// assert!(page("reboot", id as u32, &s, "rack-1", 0).is_none());
/// ```
pub fn page(name: &str, device: u32, s: &MinerStatus, hostname: &str, when_unix: i64) -> Option<Value> {
    Some(match name {
        "stats" => stats_new_api(device, s, when_unix),
        "summary" => summary_new_api(device, s, when_unix),
        "get_system_info" => system_info(device, s, hostname),
        "get_miner_conf" => miner_conf(s),
        "get_blink_status" => json!({ "blink": false }),
        _ => return None,
    })
}
