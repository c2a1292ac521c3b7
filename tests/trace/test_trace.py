#!/usr/bin/env python3
"""sockclose-trace's tests: runs trace_target's scenarios under the tracer
and checks that the reports name exactly the leaking creation sites, with
trace_target.c's line numbers (its SITE(name) markers) and the right
counts, and nothing else.

usage: test_trace.py LAUNCHER TARGET TARGET_SOURCE SCENARIO [LIBRARY]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

LAUNCHER, TARGET, SOURCE, SCENARIO = sys.argv[1:5]
if len(sys.argv) > 5:  # another build of the preloaded library
    os.environ["SOCKCLOSE_TRACE_LIBRARY"] = sys.argv[5]

# The function each marked line is in.
FUNCTIONS = {
    "leak-accept": "leak_accept",
    "leak-dup": "leak_dup",
    "dup-source": "accept_for_dup",
    "thread-leak": "thread_leak",
    "thread-dup2-leak": "thread_dup2_leak",
    "thread-dup2-source": "thread_dup2_leak",
    "fork-inherited": "fork_inherited",
    "fork-child-leak": "fork_child_leak",
    "foreign-leak": "foreign_leak",
    "periodic-leak": "periodic_leak",
    "environment": "scenario_environment",
}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def marker_lines():
    lines = {}
    with open(SOURCE, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            m = re.search(r"SITE\(([a-z0-9-]+)\)", text)
            if m:
                lines[m.group(1)] = number
    return lines


LINES = marker_lines()
BY_LINE = {line: name for name, line in LINES.items()}


def run(options, expect_status=0, json_output=True, stdout=None, env=None):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "reports")
        command = [LAUNCHER] + options + (["--json"] if json_output else []) + \
            ["--output", out, "--", TARGET, SCENARIO]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        sys.stdout.write(done.stderr)
        if stdout is not None:
            stdout.append(done.stdout)
        check(done.returncode == expect_status,
              f"{' '.join(command)} exited {done.returncode}, expected {expect_status}")
        check("sockclose-trace" not in done.stderr,
              "with --output, nothing of the tracer goes to standard error")
        with open(out, encoding="utf-8") as f:
            text = f.read()
    print(text)
    if not json_output:
        return text
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def site_name(site):
    """The marker name of a reported site, checking file, line and function."""
    check(os.path.basename(site["file"]) == "trace_target.c",
          f"site file {site['file']!r} is trace_target.c")
    name = BY_LINE.get(site["line"], f"unmarked line {site['line']}")
    if name in FUNCTIONS:
        check(site["function"] == FUNCTIONS[name],
              f"site {name}: function {site['function']!r}, expected {FUNCTIONS[name]!r}")
        check(site["stack"] and site["stack"][0]["line"] == site["line"],
              f"site {name}: the stack starts at the site")
    return name


def sites_of(report):
    found = {}
    for site in report["sites"]:
        name = site_name(site)
        check(name not in found, f"site {name} appears once per report")
        found[name] = site["count"]
        check(site["count"] == len(site["sockets"]), f"site {name}: count matches its sockets")
        for sock in site["sockets"]:
            check(re.fullmatch(r"127\.0\.0\.1:\d+", sock["local"]) is not None,
                  f"site {name}: local endpoint {sock['local']!r}")
            check(re.fullmatch(r"127\.0\.0\.1:\d+", sock["remote"]) is not None,
                  f"site {name}: remote endpoint {sock['remote']!r}")
            check(sock["unread_bytes"] == 1,
                  f"site {name}: the client's byte is unread ({sock['unread_bytes']})")
            check(sock["since_fin_seconds"] >= report["after_seconds"],
                  f"site {name}: in CLOSE_WAIT at least --after seconds")
    check(report["close_wait"] == sum(found.values()), "close_wait counts every socket")
    return found


def exit_reports(reports):
    return [r for r in reports if r["report"] == "exit"]


def only(reports, what):
    check(len(reports) == 1, f"exactly one {what} ({len(reports)})")
    return reports[0] if reports else {"sites": [], "close_wait": 0, "after_seconds": 0}


def dup_origin(report, site, origin):
    for s in report["sites"]:
        if BY_LINE.get(s["line"]) == site:
            stack = s.get("socket_stack") or [{}]
            check(stack[0].get("line") == LINES[origin],
                  f"{site}: the duplicated socket was created at {origin} "
                  f"(line {stack[0].get('line')}, expected {LINES[origin]})")
            return
    check(False, f"{site} reported")


if SCENARIO == "basic":
    reports = run(["--after", "0", "--interval", "0"])
    report = only(exit_reports(reports), "exit report")
    check(sites_of(report) == {"leak-accept": 5, "leak-dup": 1},
          f"basic: sites {sites_of(report)}")
    dup_origin(report, "leak-dup", "dup-source")
    for s in report["sites"]:
        if BY_LINE.get(s["line"]) == "leak-dup":
            check(s["kind"] == "fcntl", "leak-dup: kind fcntl")
        if BY_LINE.get(s["line"]) == "leak-accept":
            check(s["kind"] == "accept", "leak-accept: kind accept")
    text = run(["--after", "0", "--interval", "0"], json_output=False)
    heading = (f"5 sockets created at trace_target.c:{LINES['leak-accept']} in leak_accept "
               f"(accept) are in CLOSE_WAIT")
    check(heading in text, f"the text report says {heading!r}")
    check(f"1 socket created at trace_target.c:{LINES['leak-dup']} in leak_dup (fcntl) is in CLOSE_WAIT" in text,
          "the text report names the dup site")
elif SCENARIO == "threads":
    report = only(exit_reports(run(["--after", "0", "--interval", "0.2"])), "exit report")
    check(sites_of(report) == {"thread-leak": 8, "thread-dup2-leak": 4},
          f"threads: sites {sites_of(report)}")
    dup_origin(report, "thread-dup2-leak", "thread-dup2-source")
elif SCENARIO == "fork":
    everything = run(["--after", "0", "--interval", "0.05"])
    reports = exit_reports(everything)
    pids = {r["pid"] for r in reports}
    check(len(pids) == 2, f"one exit report from the parent and one from the child ({len(reports)})")
    child = [r for r in reports if r["close_wait"] > 0]
    parent = [r for r in reports if r["close_wait"] == 0]
    check(sites_of(only(child, "child report")) == {"fork-inherited": 2, "fork-child-leak": 1},
          "fork: the child's sites")
    check(sites_of(only(parent, "parent report")) == {}, "fork: the parent leaves nothing")
    if child:
        check(any(r["report"] == "periodic" and r["pid"] == child[0]["pid"]
                  and sites_of(r) == {"fork-inherited": 2, "fork-child-leak": 1}
                  for r in everything),
              "the child's periodic checks run (started by its accept)")
elif SCENARIO == "errno":
    report = only(exit_reports(run(["--after", "0", "--interval", "0.1"])), "exit report")
    check(sites_of(report) == {}, "errno: nothing left in CLOSE_WAIT")
elif SCENARIO == "foreign":
    report = only(exit_reports(run(["--after", "0", "--interval", "0.1"])), "exit report")
    check(sites_of(report) == {"foreign-leak": 1}, f"foreign: sites {sites_of(report)}")
elif SCENARIO == "periodic":
    reports = run(["--after", "1", "--interval", "0.3"])
    periodic = [r for r in reports if r["report"] == "periodic"]
    check(any(sites_of(r) == {"periodic-leak": 2} for r in periodic),
          "a periodic report names periodic-leak with both sockets")
    for r in periodic:
        check(set(sites_of(r)) <= {"periodic-leak"}, "periodic reports name periodic-leak only")
    check(sites_of(only(exit_reports(reports), "exit report")) == {},
          "the sockets closed before exit are not in the exit report")
elif SCENARIO == "environment":
    # descriptors, signal handlers and the blocked set, as the program
    # sees them, with and without the tracer (periodic checks reporting
    # meanwhile)
    plain = subprocess.run([TARGET, SCENARIO], capture_output=True, text=True, timeout=60)
    check(plain.returncode == 0, "the program runs without the tracer")
    traced = []
    reports = run(["--after", "0", "--interval", "0.1"], stdout=traced)
    print("without:", plain.stdout, "with:", traced[0] if traced else "")
    check(traced and traced[0] == plain.stdout and "start: descriptors 0 1 2;" in plain.stdout,
          "the program sees the same descriptors, handlers and signal mask")
    check(any(r["report"] == "periodic" and sites_of(r) == {"environment": 1} for r in reports),
          "periodic reports ran while the program looked")
elif SCENARIO == "launcher":
    # bad command lines get a message and status 2; a program that cannot
    # run, 127; the program's own status comes back
    for args, status in [(["--after", "-1", "--", TARGET], 2),
                         (["--after", "soon", "--", TARGET], 2),
                         (["--interval"], 2),
                         (["--output", "", "--", TARGET], 2),
                         (["--bogus", "--", TARGET], 2),
                         ([], 2),
                         (["--", "/nonexistent/program"], 127),
                         (["--interval", "0", "--", TARGET, "no-such-scenario"], 2),
                         (["--interval", "0", "--", TARGET, "errno"], 0)]:
        done = subprocess.run([LAUNCHER] + args, capture_output=True, text=True, timeout=60)
        check(done.returncode == status,
              f"sockclose-trace {' '.join(args)}: status {done.returncode}, expected {status}")
        if status == 2 and "no-such-scenario" not in args:
            check("sockclose-trace:" in done.stderr, f"{' '.join(args)}: a message")
    done = subprocess.run([LAUNCHER, "--help"], capture_output=True, text=True, timeout=60)
    check(done.returncode == 0 and "--after SECONDS" in done.stdout, "--help")
elif SCENARIO == "stderr-reuse":
    # no --output: the program closed standard error and descriptor 2 is
    # now a connection, so the report is dropped, not sent to the peer
    done = subprocess.run([LAUNCHER, "--after", "0", "--interval", "0", "--", TARGET, SCENARIO],
                          capture_output=True, text=True, timeout=60)
    print(done.stdout, done.stderr)
    check(done.returncode == 0, f"exit status {done.returncode}")
    # the reader child holds the output pipe: its line is in done.stdout
    out = done.stdout
    check("descriptor 2's peer received 0 bytes" in out,
          f"nothing reaches descriptor 2's peer ({out.strip()!r})")
elif SCENARIO == "fallback":
    # built without libdw: no file or line in the report, but module and
    # offset, which addr2line turns into the marked lines (as the man page
    # says); run with the dladdr build of the library
    scenario_target, SCENARIO = SCENARIO, "basic"
    report = only(exit_reports(run(["--after", "0", "--interval", "0"])), "exit report")
    check(report["symbolizer"] == "dladdr", f"the dladdr symboliser ({report['symbolizer']})")
    found = {}
    for site in report["sites"]:
        check(site["file"] == "" and site["line"] == 0, "no file or line without libdw")
        frame = site["stack"][0] if site["stack"] else {}
        check(os.path.basename(frame.get("module", "")) == "trace_target", "the module is named")
        where = subprocess.run(["addr2line", "-e", frame.get("module", ""),
                                frame.get("module_offset", "0")],
                               capture_output=True, text=True).stdout.strip()
        file, _, line = where.rpartition(":")
        check(os.path.basename(file) == "trace_target.c", f"addr2line finds the file ({where})")
        name = BY_LINE.get(int(line) if line.isdigit() else 0, f"unmarked {where}")
        found[name] = site["count"]
    check(found == {"leak-accept": 5, "leak-dup": 1}, f"fallback: sites {found}")
else:
    sys.exit(f"unknown scenario {SCENARIO}")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("ok")
