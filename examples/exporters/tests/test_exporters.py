"""End-to-end tests of `hcp-exporters` (make exporters): the real process on free ports, read by the
real tools — prometheus_client's text parser for both expositions, and pyasic (from PyPI) for a
simulated Antminer S21 over TCP (cgminer API) and HTTP (its web interface).

The first process runs a frozen fleet (`--speed 0`) so what pyasic reports can be compared exactly
with the raw replies; the second runs the clock fast to check that values move between reads.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]
BINARY = Path(os.environ.get("HCP_EXPORTERS_BIN", ROOT / "target" / "debug" / "hcp-exporters"))
START_TIMEOUT_SECONDS = 120
MINERS = 3
GPUS = 3


class Exporters:
    """A running hcp-exporters process and where it listens."""

    def __init__(self, *flags: str) -> None:
        if not BINARY.exists():
            pytest.fail(f"{BINARY} is missing: run `cargo build -p hcp-exporters` (make exporters-test does)")
        ports = ["--dcgm-port", "0", "--miner-metrics-port", "0", "--cgminer-base-port", "0", "--web-base-port", "0"]
        args = [str(BINARY), *ports, "--miners", str(MINERS), "--gpus", str(GPUS), *flags]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline() if self.proc.stdout else ""))
        reader.start()
        reader.join(START_TIMEOUT_SECONDS)
        if not line or not line[0].startswith("hcp-exporters ready "):
            self.stop()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            pytest.fail(f"hcp-exporters did not start: {line!r} {err}")
        self.info: dict[str, Any] = json.loads(line[0].split(" ", 2)[2])
        self.miners: list[dict[str, Any]] = self.info["cgminer"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def alive(self) -> bool:
        return self.proc.poll() is None


@pytest.fixture(scope="module")
def frozen() -> Iterator[Exporters]:
    e = Exporters("--speed", "0", "--warmup-seconds", "1800", "--seed", "7")
    yield e
    e.stop()


@pytest.fixture(scope="module")
def live() -> Iterator[Exporters]:
    e = Exporters("--speed", "300", "--dt-seconds", "5", "--warmup-seconds", "60")
    yield e
    e.stop()


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        return r.read().decode()


def raw(port: int, data: bytes, *, close_write: bool = False) -> bytes:
    """Sends `data` to a TCP port and reads until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        if close_write:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def cgminer(port: int, request: dict[str, Any]) -> dict[str, Any]:
    reply = raw(port, json.dumps(request).encode())
    assert reply.endswith(b"\x00"), "cgminer replies end with NUL"
    return json.loads(reply[:-1])


def families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


# ------------------------------------------------------------------ Prometheus expositions ------


def test_prometheus_client_parses_the_dcgm_exposition(frozen: Exporters) -> None:
    fams = families(http_get(frozen.info["dcgm"]))
    for name in ["DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_XID_ERRORS"]:
        assert fams[name].type == "gauge", name
        assert len(fams[name].samples) == GPUS, name
    energy = fams["DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"]
    assert energy.type == "counter"
    assert energy.documentation == "Total energy consumption since boot (in mJ)."
    assert all(s.value > 0 for s in energy.samples)
    for fam in fams.values():
        for s in fam.samples:
            assert s.labels["DCGM_FI_DRIVER_VERSION"], s
            assert s.labels["UUID"].startswith("GPU-") and s.labels["modelName"].startswith("NVIDIA H100")
            assert ("err_code" in s.labels) == (fam.name == "DCGM_FI_DEV_XID_ERRORS"), s
    for s in fams["DCGM_FI_DEV_XID_ERRORS"].samples:
        assert s.labels["err_code"] == str(int(s.value))
        assert s.labels["err_msg"] == ("No Error" if s.value == 0 else s.labels["err_msg"])
    power = [s.value for s in fams["DCGM_FI_DEV_POWER_USAGE"].samples]
    assert all(100 < p < 800 for p in power), power


def test_prometheus_client_parses_the_miner_exposition(frozen: Exporters) -> None:
    fams = families(http_get(frozen.info["miners"]))
    names = {m["miner"] for m in frozen.miners}
    hashrate = {s.labels["miner"]: s.value for s in fams["miner_hashrate_ghs"].samples}
    assert set(hashrate) == names
    assert all(140_000 < v < 240_000 for v in hashrate.values()), hashrate
    shares = fams["miner_shares"]  # counters are named without _total by the parser
    assert shares.type == "counter"
    accepted = {s.labels["miner"]: s.value for s in shares.samples if s.labels["result"] == "accepted"}
    assert all(v > 0 for v in accepted.values()), accepted
    boards = fams["miner_hashboard_hashrate_ghs"].samples
    assert len(boards) == 3 * MINERS
    assert {s.labels["board"] for s in boards} == {"0", "1", "2"}
    temps = fams["miner_chip_temperature_celsius"].samples
    assert {s.labels["location"] for s in temps} == {"inlet", "outlet"}
    assert all(40 < s.value < 95 for s in temps)
    assert len(fams["miner_fan_rpm"].samples) == 4 * MINERS
    info = fams["miner_info"].samples[0].labels
    assert info["model"] == "Antminer S21"


# ------------------------------------------------------------------ pyasic --------------------


def pyasic_s21(miner: dict[str, Any]) -> Any:
    from pyasic.miners.antminer import BMMinerS21

    m = BMMinerS21("127.0.0.1")
    m.rpc.port = miner["port"]
    m.web.port = miner["web_port"]
    return m


def test_pyasic_identifies_an_s21_as_its_factory_does(frozen: Exporters, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyasic's MinerFactory probes port 4028 (fixed in its code): that port is redirected to the
    simulated miner's, and everything else runs as pyasic ships it."""
    from pyasic.miners.antminer import BMMinerS21
    from pyasic.miners.factory import MinerFactory

    port = frozen.miners[0]["port"]
    real_open = asyncio.open_connection

    async def redirect(host: Any = None, p: Any = None, *args: Any, **kwargs: Any) -> Any:
        if str(host) == "127.0.0.1" and p == 4028:
            p = port
        return await real_open(host, p, *args, **kwargs)

    monkeypatch.setattr(asyncio, "open_connection", redirect)
    miner = asyncio.run(MinerFactory().get_miner("127.0.0.1"))
    assert isinstance(miner, BMMinerS21), miner


def test_pyasic_reads_a_simulated_s21(frozen: Exporters) -> None:
    miner = frozen.miners[0]
    data = asyncio.run(pyasic_s21(miner).get_data())
    summary = cgminer(miner["port"], {"command": "summary"})["SUMMARY"][0]
    classic = cgminer(miner["port"], {"command": "stats"})["STATS"][1]
    chains = cgminer(miner["port"], {"command": "stats", "new_api": True})["STATS"][0]["chain"]
    pools = cgminer(miner["port"], {"command": "pools"})["POOLS"][0]

    assert data.model == "S21" and data.make == "AntMiner"
    assert float(data.hashrate) == pytest.approx(summary["GHS 5s"] / 1000)
    assert 150 < float(data.hashrate) < 250
    assert float(data.expected_hashrate) == pytest.approx(200.0)
    assert data.uptime == summary["Elapsed"] == 1800
    assert data.api_ver == "3.1" and data.fw_ver
    assert len(data.hashboards) == 3
    for hb, chain in zip(data.hashboards, chains):
        assert not hb.missing
        assert hb.chips == chain["asic_num"] == 108
        assert float(hb.hashrate) == pytest.approx(chain["rate_real"] / 1000)
        assert float(hb.hashrate) > 40
        assert hb.temp == pytest.approx(sum(chain["temp_pcb"]) / 4)
        assert hb.chip_temp == pytest.approx(sum(chain["temp_chip"]) / 4)
        assert 40 < hb.temp < hb.chip_temp < 95
        assert hb.serial_number == chain["sn"]
    assert data.total_chips == 324
    assert sum(float(hb.hashrate) for hb in data.hashboards) == pytest.approx(float(data.hashrate), rel=1e-4)
    speeds = [f.speed for f in data.fans]
    assert speeds == [classic[f"fan{i}"] for i in range(1, 5)]
    assert len(set(speeds)) > 1, "each fan has its own speed"
    assert all(1000 < s < 7000 for s in speeds)
    assert len(data.pools) == 1
    assert data.pools[0].accepted == pools["Accepted"] == summary["Accepted"] > 0
    assert data.pools[0].rejected == pools["Rejected"]
    assert data.pools[0].alive and data.pools[0].active


# ------------------------------------------------------------------ cgminer protocol ----------


def test_cgminer_commands_joined_and_bad_requests(frozen: Exporters) -> None:
    port = frozen.miners[1]["port"]
    version = cgminer(port, {"command": "version"})
    assert version["VERSION"][0]["Type"] == "Antminer S21"
    devs = cgminer(port, {"command": "devs"})["DEVS"]
    assert len(devs) == 3 and all(d["Status"] == "Alive" for d in devs)
    joined = cgminer(port, {"command": "version+summary+stats+pools+devs"})
    assert set(joined) == {"version", "summary", "stats", "pools", "devs", "id"}
    assert isinstance(joined["summary"][0]["SUMMARY"][0]["GHS 5s"], float)
    assert isinstance(joined["summary"][0]["SUMMARY"][0]["Work Utility"], float)

    def status(reply: bytes) -> dict[str, Any]:
        assert reply.endswith(b"\x00")
        return json.loads(reply[:-1])["STATUS"][0]

    assert status(raw(port, b'{"command": "summ'))["Code"] == 23  # malformed JSON, client waits
    assert status(raw(port, b'{"command": "summ', close_write=True))["Code"] == 23
    assert status(raw(port, b'{"command": "restart"}'))["Code"] == 14
    assert status(raw(port, b'{"parameter": "0"}'))["Code"] == 24
    assert status(raw(port, b'{"command": 3}'))["STATUS"] == "E"
    big = b'{"command":"summary","parameter":"' + b"x" * 20_000 + b'"}'
    assert "limit" in status(raw(port, big))["Msg"]
    text = raw(port, b"summary|")
    assert text.startswith(b"STATUS=S,") and b"|SUMMARY," in text and text.endswith(b"\x00")
    assert raw(port, b"", close_write=True) == b""
    # A client that connects and sends nothing (or trickles) does not hold up the others.
    with socket.create_connection(("127.0.0.1", port), timeout=30) as idle:
        idle.sendall(b'{"comm')
        assert cgminer(port, {"command": "version"})["STATUS"][0]["STATUS"] == "S"
    # Still answering after all of that.
    assert cgminer(port, {"command": "summary"})["STATUS"][0]["STATUS"] == "S"
    assert frozen.alive()


def test_http_servers_refuse_bad_requests_cleanly(frozen: Exporters) -> None:
    base = frozen.info["miners"].rsplit("/", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as e:
        http_get(base + "/nope")
    assert e.value.code == 404
    req = urllib.request.Request(frozen.info["dcgm"], data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 405
    port = int(base.rsplit(":", 1)[1])
    assert raw(port, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert raw(port, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431")
    web = frozen.miners[0]["web_port"]
    page = json.loads(http_get(f"http://127.0.0.1:{web}/cgi-bin/get_system_info.cgi"))
    assert page["minertype"] == "Antminer S21"
    assert raw(web, b"GET /cgi-bin/reboot.cgi HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404")
    assert frozen.alive()


# Fragments of real requests, so that drawn inputs reach past the first byte.
FRAGMENTS = st.sampled_from(
    [b"{", b"}", b'"command"', b":", b",", b"+", b"|", b'"new_api":true', b'"summary"', b'"stats"', b"\x00", b"\n"]
)
REQUESTS = st.one_of(st.binary(max_size=6000), st.lists(FRAGMENTS | st.binary(max_size=8), max_size=16).map(b"".join))


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=REQUESTS)
def test_any_bytes_get_one_reply_from_the_cgminer_port(frozen: Exporters, request: bytes) -> None:
    reply = raw(frozen.miners[2]["port"], request, close_write=True)
    if request.strip(b" \t\r\n\x0b\x0c"):
        assert reply.endswith(b"\x00") and b"\x00" not in reply[:-1], reply[:200]
        if request.lstrip().startswith(b"{"):
            assert isinstance(json.loads(reply[:-1]), dict)
    else:
        assert reply == b"", "nothing asked, nothing answered"
    assert frozen.alive()


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=st.one_of(st.binary(max_size=3000), st.binary(max_size=200).map(lambda b: b"GET /" + b + b"\r\n\r\n")))
def test_any_bytes_get_an_http_status_from_the_metrics_port(frozen: Exporters, request: bytes) -> None:
    port = int(frozen.info["miners"].rsplit(":", 1)[1].split("/")[0])
    reply = raw(port, request, close_write=True)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 "), reply[:200]
    assert frozen.alive()


# ------------------------------------------------------------------ the clock -----------------


def test_values_move_as_the_fleet_steps(live: Exporters) -> None:
    miner = live.miners[0]

    def read() -> tuple[int, float, float]:
        fams = families(http_get(live.info["dcgm"]))
        energy = sum(s.value for s in fams["DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"].samples)
        summary = cgminer(miner["port"], {"command": "summary"})["SUMMARY"][0]
        return summary["Elapsed"], summary["GHS 5s"], energy

    first = read()
    # Wait (bounded by the number of reads, not by time) until the clock has moved the fleet.
    for _ in range(2000):
        now = read()
        if now[0] > first[0] + 60:
            break
    assert now[0] > first[0] + 60, "simulated time moves"
    assert now[1] != first[1], "the 5 s hashrate moves"
    assert now[2] > first[2], "GPU energy counters grow"
    data = asyncio.run(pyasic_s21(miner).get_data())
    assert data.uptime is not None and data.uptime >= now[0]
