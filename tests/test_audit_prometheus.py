#!/usr/bin/env python3
"""sockclose-audit --prometheus, read back with the Prometheus client's
own text-format parser (prometheus_client.parser): this process holds 3
connections in CLOSE_WAIT under a name with a double quote and a
backslash, and 5 of its client connections sit in TIME_WAIT; the metrics
must say so, each with HELP and TYPE.

usage: test_audit_prometheus.py SOCKCLOSE_AUDIT
"""
import os
import re
import socket
import subprocess
import sys
import time

import yaml
from prometheus_client.parser import text_string_to_metric_families

AUDIT = sys.argv[1]
NAME = 'sc"prom\\test'  # a process name that needs escaping (15 bytes at most)
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


with open("/proc/self/comm", "w", encoding="utf-8") as f:
    f.write(NAME)

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
port = listener.getsockname()[1]

held = []
for _ in range(3):  # the client closes, the server holds its end: CLOSE_WAIT
    client = socket.create_connection(("127.0.0.1", port))
    server, _ = listener.accept()
    client.close()
    held.append(server)
for _ in range(5):  # the client closes first: its end goes to TIME_WAIT
    client = socket.create_connection(("127.0.0.1", port))
    server, _ = listener.accept()
    client.close()
    server.recv(1)
    server.close()
time.sleep(0.3)

done = subprocess.run([AUDIT, "--prometheus"], capture_output=True, text=True, timeout=300)
check(done.returncode == 0, f"exit status {done.returncode}: {done.stderr}")
text = done.stdout
print(text)

families = {f.name: f for f in text_string_to_metric_families(text)}
expected = [
    "sockclose_tcp_connections",
    "sockclose_tcp_close_wait_connections",
    "sockclose_ephemeral_port_range_first",
    "sockclose_ephemeral_port_range_last",
    "sockclose_tcp_time_wait_ephemeral_connections",
    "sockclose_tcp_time_wait_ephemeral_max_per_destination",
    "sockclose_tcp_time_wait_ephemeral_ratio",
]
check(sorted(families) == sorted(expected), f"metric families {sorted(families)}")
for name in expected:
    family = families.get(name)
    if family is None:
        continue
    check(family.type == "gauge", f"{name}: TYPE gauge ({family.type})")
    check(len(family.documentation) > 20, f"{name}: HELP text")
    check(f"# HELP {name} " in text and f"# TYPE {name} gauge" in text,
          f"{name}: HELP and TYPE lines")


def samples(name):
    family = families.get(name)
    return family.samples if family is not None else []


def value(name):
    found = samples(name)
    check(len(found) == 1, f"{name}: one sample")
    return found[0].value if found else None


states = {s.labels["state"]: s.value for s in samples("sockclose_tcp_connections")}
check(sorted(states) == sorted(["closed", "listen", "syn_sent", "syn_received", "established",
                                "fin_wait_1", "fin_wait_2", "close_wait", "closing",
                                "last_ack", "time_wait"]),
      f"one sample per state: {sorted(states)}")
check(states.get("close_wait", 0) >= 3, "at least our 3 CLOSE_WAIT connections")
check(states.get("time_wait", 0) >= 5, "at least our 5 TIME_WAIT connections")
check(states.get("listen", 0) >= 1, "at least our listener")

ours = [s for s in samples("sockclose_tcp_close_wait_connections")
        if s.labels.get("pid") == str(os.getpid())]
check(len(ours) == 1, f"one CLOSE_WAIT sample for pid {os.getpid()}")
if ours:
    check(ours[0].labels["process"] == NAME,
          f"the process label reads back as {NAME!r}: {ours[0].labels['process']!r}")
    check(ours[0].value == 3, f"3 CLOSE_WAIT connections for this process ({ours[0].value})")
check(all(set(s.labels) == {"pid", "process"}
          for s in samples("sockclose_tcp_close_wait_connections")),
      "CLOSE_WAIT samples carry pid and process labels")
check(sum(s.value for s in samples("sockclose_tcp_close_wait_connections"))
      == states.get("close_wait"), "CLOSE_WAIT per process adds up to the state's count")

with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
    first, last = (int(v) for v in f.read().split())
check(value("sockclose_ephemeral_port_range_first") == first, "range start from the kernel")
check(value("sockclose_ephemeral_port_range_last") == last, "range end from the kernel")
most = value("sockclose_tcp_time_wait_ephemeral_max_per_destination")
check(most is not None and most >= 5, f"at least 5 TIME_WAIT towards our listener ({most})")
check(value("sockclose_tcp_time_wait_ephemeral_connections") >= (most or 0),
      "the total is at least the largest destination's")
ratio = value("sockclose_tcp_time_wait_ephemeral_ratio")
check(ratio is not None and most is not None and abs(ratio - most / (last - first + 1)) < 1e-6,
      f"ratio = max per destination / range size ({ratio})")

bad = subprocess.run([AUDIT, "--prometheus", "--json"], capture_output=True, text=True)
check(bad.returncode == 2, "--prometheus with --json is a usage error")
bad = subprocess.run([AUDIT, "--prometheus", "--watch", "1"], capture_output=True, text=True)
check(bad.returncode == 2, "--prometheus with --watch is a usage error")

# The example alert rules in docs/ use only metrics the tool writes.
rules_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs",
                          "prometheus", "sockclose-alerts.yml")
with open(rules_file, encoding="utf-8") as f:
    rules = yaml.safe_load(f)
exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
check(len(exprs) >= 2, "the example rules have expressions")
for expr in exprs:
    for metric in re.findall(r"sockclose_[a-z0-9_]+", expr):
        check(metric in families, f"alert rule metric {metric} is written by the tool")

for s in held:
    s.close()
if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("ok")
