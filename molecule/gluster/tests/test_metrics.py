"""The monitoring layer on the storage nodes, and a brick-down alert end to end.

Runs last (after test_health_gate.py) and leaves the pool healed.

* roles/gluster_metrics: the timer runs, the textfile is whole and fresh, and
  node_exporter serves our metrics;
* end to end, on Debian's real Prometheus and Alertmanager (prepare.yml, on
  the client): stopping storage2's container must bring GlusterBrickDown,
  naming its brick, to the recording webhook within ALERT_BOUND seconds, and
  starting it again must resolve it within RESOLVE_BOUND. The measured times
  go to reports/monitoring-e2e.json.
"""

import functools
import json
import os
import re
import subprocess
import time

import pytest
import testinfra

STORAGE = ["gluster-storage1", "gluster-storage2", "gluster-storage3"]
CLIENT = "gluster-client1"
PROM_FILE = "/var/lib/prometheus/node-exporter/mlp_gluster.prom"
RECORD = "/var/lib/webhook-recorder/alerts.jsonl"
BRICK = "10.79.0.12:/data/glusterfs/gv0/brick"
# Expected: collector interval 10 s + scrape 5 s + `for: 1m` + evaluation 5 s
# + Alertmanager group_wait 5 s, about 85 s; the bound leaves room for a
# loaded CI machine (2 cores shared with other scenarios).
ALERT_BOUND = 180
RESOLVE_BOUND = 180
REPORT = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "reports", "monitoring-e2e.json")


@functools.lru_cache(maxsize=None)
def node(name):
    return testinfra.get_host("podman://%s" % name)


def samples(text, name):
    """{frozenset(labels): value} of one metric in Prometheus text format."""
    out = {}
    for line in text.splitlines():
        match = re.match(r"^%s(?:\{(.*)\})? (\S+)$" % re.escape(name), line)
        if match:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
            out[labels] = float(match.group(2))
    return out


@pytest.mark.parametrize("name", STORAGE)
def test_timer_and_node_exporter_run(name):
    host = node(name)
    assert host.service("mlp-gluster-metrics.timer").is_enabled
    assert host.service("mlp-gluster-metrics.timer").is_running
    assert host.service("prometheus-node-exporter").is_running
    assert host.socket("tcp://0.0.0.0:9100").is_listening or host.socket("tcp://:::9100").is_listening
    prom = host.file(PROM_FILE)
    assert prom.user == "root" and prom.mode == 0o644
    # Written beside the file and renamed: no temporary is left behind.
    assert host.check_output("ls -A /var/lib/prometheus/node-exporter | grep -c '^\\.' || true") == "0"


@pytest.mark.parametrize("name", STORAGE)
def test_node_exporter_serves_the_pool_healthy(name):
    # test_health_gate.py's last case leaves a heal running: wait until this
    # node's own collector sees the pool healthy, then read node_exporter.
    wait_healthy(name)
    text = node(name).check_output("curl -sf http://127.0.0.1:9100/metrics")
    assert samples(text, "node_textfile_scrape_error") == {frozenset(): 0.0}
    assert samples(text, "mlp_gluster_up") == {frozenset(): 1.0}
    online = samples(text, "mlp_gluster_brick_online")
    assert len(online) == 6 and set(online.values()) == {1.0}, online
    assert frozenset({("volume", "gv0"), ("brick", BRICK)}) in online
    sizes = samples(text, "mlp_gluster_brick_size_bytes")
    assert len(sizes) == 6 and min(sizes.values()) > 0
    assert samples(text, "mlp_gluster_heal_pending_entries")[frozenset({("volume", "gv0")})] == 0.0


def test_the_file_is_rewritten_every_interval():
    host = node("gluster-storage1")
    first = samples(host.file(PROM_FILE).content_string, "mlp_gluster_scrape_timestamp_seconds")[frozenset()]
    deadline = time.time() + 40
    while True:
        now = samples(host.file(PROM_FILE).content_string, "mlp_gluster_scrape_timestamp_seconds")[frozenset()]
        if now > first:
            break
        assert time.time() < deadline, "mlp_gluster.prom not rewritten in 40 s"
        time.sleep(2)


def notifications():
    text = node(CLIENT).run("cat %s 2>/dev/null" % RECORD).stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def brick_alert(status, after):
    """Arrival time of the first notification after `after` with GlusterBrickDown for BRICK in `status`."""
    for record in notifications():
        if record["received"] < after:
            continue
        for alert in record["notification"].get("alerts", []):
            labels = alert["labels"]
            if labels.get("alertname") == "GlusterBrickDown" and labels.get("brick") == BRICK \
                    and alert["status"] == status:
                return record["received"], alert
    return None, None


def wait_for(what, bound, probe):
    deadline = time.time() + bound
    while True:
        found = probe()
        if found[0] is not None:
            return found
        assert time.time() < deadline, "%s: nothing within %d s; received: %s" % (
            what, bound, json.dumps(notifications())[-3000:])
        time.sleep(2)


def prometheus_targets_up():
    out = node(CLIENT).run("curl -sf 'http://127.0.0.1:9090/api/v1/query?query=up'").stdout
    return sum(1 for r in json.loads(out or '{"data":{"result":[]}}')["data"]["result"] if r["value"][1] == "1")


def wait_healthy(name="gluster-storage1", bound=300):
    """The pool healthy, as our own collector on `name` sees it."""
    deadline = time.time() + bound
    while True:
        text = node(name).file(PROM_FILE).content_string
        if samples(text, "mlp_gluster_healthy") == {frozenset(): 1.0}:
            return
        assert time.time() < deadline, "pool not healthy within %d s as %s sees it: %s" % (bound, name, text[-1500:])
        time.sleep(3)


def test_stopping_a_storage_node_alerts_naming_its_brick_and_starting_it_resolves():
    deadline = time.time() + 60
    while prometheus_targets_up() < 3:
        assert time.time() < deadline, "Prometheus on the client does not scrape the 3 storage nodes"
        time.sleep(2)
    stopped = time.time()
    subprocess.run(["podman", "stop", "gluster-storage2"], check=True, capture_output=True)
    try:
        fired_at, alert = wait_for("GlusterBrickDown firing", ALERT_BOUND, lambda: brick_alert("firing", stopped))
        assert alert["labels"]["volume"] == "gv0" and alert["labels"]["severity"] == "critical"
        assert BRICK in alert["annotations"]["summary"]
        # Nothing resolved it while the node was down.
        assert brick_alert("resolved", stopped) == (None, None)
    finally:
        started = time.time()
        subprocess.run(["podman", "start", "gluster-storage2"], check=True, capture_output=True)
    resolved_at, _alert = wait_for("GlusterBrickDown resolved", RESOLVE_BOUND,
                                   lambda: brick_alert("resolved", started))
    wait_healthy()
    figures = {"fault_to_alert_seconds": round(fired_at - stopped, 1),
               "recovery_to_resolved_seconds": round(resolved_at - started, 1),
               "alert_bound_seconds": ALERT_BOUND, "resolve_bound_seconds": RESOLVE_BOUND}
    os.makedirs(os.path.dirname(REPORT), exist_ok=True)
    with open(REPORT, "w") as handle:
        json.dump(figures, handle, indent=2)
    print("monitoring end to end: %s" % figures)
