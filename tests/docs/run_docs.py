#!/usr/bin/env python3
"""Runs the shell commands of one Markdown document as written, so the docs cannot drift from the code.

    run_docs.py --source REPO --build BUILD_DIR DOC.md        (DOC.md relative to REPO)

Every fenced block whose language is `sh`, `bash`, `shell` or `console` (for `console`, only the
lines after a `$ ` prompt) runs, in the document's order, in one bash session (`set -e -o
pipefail`), so a variable one block sets is there for the next. The session runs in a temporary
folder that looks like a fresh clone: every top-level entry of REPO is linked into it, `data/` is
a copy (the docs write indexes there) and `build/` is BUILD_DIR. What the environment provides:

- PATH is BUILD_DIR, then Debian's default PATH: `cmake --install build` would put the three
  programs on the PATH, which is what the guides' bare `discoveryctl`, `discoveryd` and
  `mimi-lookup` assume.
- Loopback ports: every `127.0.0.1:PORT`, `0.0.0.0:PORT` and `localhost:PORT` in a block is
  rewritten to a free port (the same free port for the same documented port, throughout the
  document), so the docs keep the ports a reader types (8080, 8443, ...) and a shared CI machine
  runs them side by side. LISTEN (scripts/demo.sh's address) is the free port for 8080.
- DEMO_SKIP_SETUP=1: scripts/demo.sh does not run scripts/setup.sh (apt-get).
- HOME is the temporary folder, with a ~/.curlrc holding `fail-with-body`: a curl that gets an
  HTTP error exits 22 (with the body printed), so a stale URL fails the test.

Markers, HTML comments (invisible in the rendered page) on a line of their own:

- `<!-- docs-test: skip REASON -->`: the next shell block is not run; REASON is required and is
  printed, so that every skip is deliberate and reviewed.
- `<!-- docs-test: background -->`: in the next block, the lines that start `discoveryd` or
  `scripts/demo.sh` (any path; a trailing `&` is dropped) run in the background with their output
  in a log, and the session waits until the server prints `listening on` before the next line.
- `<!-- docs-test: exit N -->`: the next block shows a failure on purpose: it runs without
  `set -e` in a subshell and its last command must exit N.
- `<!-- docs-test: run COMMANDS -->`: hidden commands run at that point (e.g. the reader's own
  mappings file that the page assumes). `<!-- docs-test: background COMMAND -->`: a hidden server
  started as above (e.g. the demo a page assumes running).
- `<!-- docs-test: postgresql USER@HOST:PORT -->`: starts a throwaway PostgreSQL 15 (superuser
  USER, trust authentication) on a free loopback port, before the session starts; HOST:PORT and
  HOST in the document's blocks are rewritten to it, and PGPORT is set.

A comment `# -> TEXT` in a block is an answer the docs show: TEXT must appear in the block's
output (JSON: an object with at least its members, in any order; else the text, whitespace
ignored, `<...>` matching any value without quotes).

At the end every process the session started is stopped (SIGTERM, then SIGKILL). A command that
fails fails the test with the document, the line, the command and the block's output.
"""

import argparse
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SHELL_LANGS = {"sh", "bash", "shell", "console"}
MARKER = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*(-->)?\s*$")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([A-Za-z0-9_+-]*)")
LOOPBACK = re.compile(r"\b(127\.0\.0\.1|0\.0\.0\.0|localhost):(\d{2,5})\b")
SERVER = re.compile(r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:\S*/)?(discoveryd|demo\.sh)(\s|$)")
EXPECTED = re.compile(r"#\s*->\s*(\S.*)$")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DOC_TIMEOUT_S = 240


class DocError(Exception):
    pass


class Step:
    """One thing the session does: a shell block, or a hidden command from a marker."""

    def __init__(self, kind, line, lines, lang="sh", skip=None, background=False, exit_code=None):
        self.kind = kind            # "block", "run", "background", "postgresql"
        self.line = line            # the document line of the first command line
        self.lines = lines          # [(document line, text)]
        self.lang = lang
        self.skip = skip
        self.background = background
        self.exit_code = exit_code


def parse(path):
    """The steps of a Markdown document, with its markers applied."""
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    steps, pending, i = [], {}, 0
    while i < len(text):
        line = text[i]
        m = MARKER.match(line)
        if m:
            start = i
            body = m.group(1)
            while not m.group(2):  # a marker over several lines, up to its -->
                i += 1
                if i == len(text):
                    raise DocError(f"{path}:{start + 1}: a docs-test marker without its closing -->")
                nxt = text[i]
                end = nxt.find("-->")
                body += "\n" + (nxt[:end] if end >= 0 else nxt)
                if end >= 0:
                    break
            word, _, rest = body.strip().partition(" ")
            word = word.strip()
            rest = rest.strip()
            if word == "skip":
                if not rest:
                    raise DocError(f"{path}:{start + 1}: docs-test: skip needs a reason")
                pending["skip"] = rest
            elif word == "background" and not rest:
                pending["background"] = True
            elif word == "exit" and rest.isdigit():
                pending["exit"] = int(rest)
            elif word in ("run", "background"):
                steps.append(Step(word, start + 1, [(start + 1 + k, t) for k, t in enumerate(rest.split("\n"))]))
            elif word == "postgresql" and re.fullmatch(r"[A-Za-z0-9_]+@[A-Za-z0-9.-]+:\d+", rest):
                steps.append(Step("postgresql", start + 1, [(start + 1, rest)]))
            else:
                raise DocError(f"{path}:{start + 1}: unknown docs-test marker: {body.strip()}")
            i += 1
            continue
        f = FENCE.match(line)
        if f:
            indent, fence, lang = f.group(1), f.group(2), f.group(3).lower()
            start = i
            i += 1
            block = []
            while i < len(text) and not text[i].strip().startswith(fence):
                block.append((i + 1, text[i][len(indent):] if text[i].startswith(indent) else text[i]))
                i += 1
            i += 1
            if lang in SHELL_LANGS:
                steps.append(Step("block", start + 2, block, lang, pending.get("skip"),
                                  pending.get("background", False), pending.get("exit")))
                pending = {}
            elif pending:
                raise DocError(f"{path}:{start + 1}: a docs-test marker precedes a block that is not a shell block")
            continue
        if pending and line.strip() and not line.strip().startswith("<!--"):
            raise DocError(f"{path}:{i + 1}: a docs-test marker is not followed by a shell block")
        i += 1
    if pending:
        raise DocError(f"{path}: a docs-test marker at the end is not followed by a shell block")
    return steps


def console_commands(lines):
    """The command lines of a console block: after `$ `, with their continuation lines."""
    out, continuing = [], False
    for number, text in lines:
        if text.startswith("$ "):
            out.append((number, text[2:]))
            continuing = text.rstrip().endswith("\\")
        elif continuing:
            out.append((number, text))
            continuing = text.rstrip().endswith("\\")
    return out


def code_part(line):
    """The line without its trailing comment (a `#` after whitespace, outside quotes)."""
    quote, escaped = None, False
    for k, c in enumerate(line):
        if escaped:
            escaped = False
        elif c == "\\" and quote != "'":
            escaped = True
        elif quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (k == 0 or line[k - 1] in " \t"):
            return line[:k]
    return line


def json_values(text):
    """Every JSON object in `text` (a curl's answer among other lines)."""
    decoder, values = json.JSONDecoder(), []
    for k, c in enumerate(text):
        if c == "{":
            try:
                values.append(decoder.raw_decode(text, k)[0])
            except ValueError:
                pass
    return values


def within(actual, expected):
    """`expected` is part of `actual`: the same scalar, or an object whose members are all there."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and within(actual[k], v) for k, v in expected.items())
    return actual == expected


def shows(output, squeezed, expected):
    """The output shows `expected`: as JSON, an object with at least its members (any order); else
    the text without whitespace, `<...>` standing for any value without quotes."""
    if "<" not in expected:
        try:
            want = json.loads(expected)
        except ValueError:
            want = None
        if want is not None:
            return any(within(value, want) for value in json_values(output))
    pattern = "".join('[^"]*' if piece.startswith("<") else re.escape(piece)
                      for piece in re.split(r"(<[^>]*>)", re.sub(r"\s+", "", expected)) if piece)
    return re.search(pattern, squeezed) is not None


def free_port(taken):
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port


class Runner:
    def __init__(self, source, build, doc):
        self.source = os.path.abspath(source)
        self.build = os.path.abspath(build)
        self.doc = doc
        self.ports = {}
        self.taken = set()
        self.rewrites = []  # (regex, replacement) from markers, applied after the ports
        self.pg = None
        self.env_extra = {}

    def port_for(self, documented):
        if documented not in self.ports:
            self.ports[documented] = free_port(self.taken)
        return self.ports[documented]

    def rewrite(self, text):
        text = LOOPBACK.sub(lambda m: f"{m.group(1)}:{self.port_for(m.group(2))}", text)
        for pattern, replacement in self.rewrites:
            text = pattern.sub(replacement, text)
        return text

    # --- the temporary clone -------------------------------------------------------------------
    def make_workdir(self):
        self.tmp = tempfile.mkdtemp(prefix="docs-test-")
        self.work = os.path.join(self.tmp, "repo")
        self.logs = os.path.join(self.tmp, "logs")
        os.mkdir(self.work)
        os.mkdir(self.logs)
        for entry in os.listdir(self.source):
            if entry in (".git", "data") or entry.startswith("build"):
                continue
            os.symlink(os.path.join(self.source, entry), os.path.join(self.work, entry))
        shutil.copytree(os.path.join(self.source, "data"), os.path.join(self.work, "data"),
                        ignore=shutil.ignore_patterns("*.db", "*.db-*", "*.ratelimit*"))
        os.symlink(self.build, os.path.join(self.work, "build"))
        with open(os.path.join(self.tmp, ".curlrc"), "w") as f:
            f.write("fail-with-body\n")

    # --- PostgreSQL for `docs-test: postgresql` -----------------------------------------------
    def start_postgresql(self, spec):
        user, _, where = spec.partition("@")
        host, _, port = where.rpartition(":")
        bin_dir = os.environ.get("MIMI_POSTGRES_BIN") or "/usr/lib/postgresql/15/bin/"
        if not os.access(os.path.join(bin_dir, "postgres"), os.X_OK):
            raise DocError(f"{self.doc}: PostgreSQL 15 is not installed ({bin_dir}postgres is missing); "
                           "run scripts/setup.sh")
        pgdir = tempfile.mkdtemp(prefix="docs-test-pg-")
        prefix = ["/usr/bin/setpriv"]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            pw = pwd.getpwnam("postgres")
            os.chown(pgdir, pw.pw_uid, pw.pw_gid)
            prefix += ["--reuid=postgres", "--regid=postgres", "--init-groups"]
        prefix += ["--pdeathsig", "SIGQUIT", "--"]
        data = os.path.join(pgdir, "data")
        init = subprocess.run(prefix + [bin_dir + "initdb", "-D", data, "-A", "trust", "-U", user, "--no-sync",
                                        "-E", "UTF8", "--locale=C", "--no-instructions"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if init.returncode != 0:
            raise DocError(f"{self.doc}: initdb failed:\n{init.stdout[-2000:]}")
        pg_port = free_port(self.taken)
        log = open(os.path.join(self.logs, "postgresql.log"), "w")
        self.pg = (subprocess.Popen(prefix + [bin_dir + "postgres", "-D", data, "-p", str(pg_port), "-k", pgdir,
                                              "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                                              "-c", "full_page_writes=off"],
                                    stdout=log, stderr=subprocess.STDOUT), pgdir)
        for _ in range(300):
            ready = subprocess.run([bin_dir + "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(pg_port)])
            if ready.returncode == 0:
                break
            if self.pg[0].poll() is not None:
                break
            time.sleep(0.1)
        else:
            raise DocError(f"{self.doc}: PostgreSQL did not start within 30 s")
        if self.pg[0].poll() is not None:
            with open(os.path.join(self.logs, "postgresql.log")) as f:
                raise DocError(f"{self.doc}: PostgreSQL did not start:\n{f.read()[-2000:]}")
        self.rewrites.append((re.compile(re.escape(f"{host}:{port}") + r"\b"), f"127.0.0.1:{pg_port}"))
        self.rewrites.append((re.compile(r"\b" + re.escape(host) + r"\b"), "127.0.0.1"))
        self.env_extra["PGPORT"] = str(pg_port)

    def stop_postgresql(self):
        if self.pg:
            proc, pgdir = self.pg
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            shutil.rmtree(pgdir, ignore_errors=True)

    # --- the session's script ------------------------------------------------------------------
    def script(self, steps):
        """The driver script and the block files; fills self.where: (file, line) -> document line."""
        self.where = {}
        self.commands = {}
        driver = [
            "set -e -o pipefail",
            f"__docs_status={shlex.quote(os.path.join(self.logs, 'status'))}",
            "trap 'echo \"$? ${BASH_SOURCE[0]} $LINENO\" > \"$__docs_status\"' ERR",
            # __docs_wait PID LOG: until the server prints `listening on`; fails if it exits first.
            "__docs_wait() {",
            "  local i",
            "  for ((i = 0; i < 300; i++)); do",
            "    if grep -q 'listening on' \"$2\" 2>/dev/null; then return 0; fi",
            "    if ! kill -0 \"$1\" 2>/dev/null; then echo \"the server exited before it listened:\"; cat \"$2\"; return 1; fi",
            "    sleep 0.1",
            "  done",
            "  echo \"the server did not listen within 30 s:\"; cat \"$2\"; return 1",
            "}",
        ]
        background = 0
        for n, step in enumerate(steps):
            if step.kind == "postgresql" or step.skip:
                continue
            path = os.path.join(self.logs, f"step{n}.sh")
            out = []  # (document line, generated text)
            lines = console_commands(step.lines) if step.lang == "console" else step.lines
            for number, text in lines:
                text = self.rewrite(text)
                if (step.background and SERVER.match(text)) or step.kind == "background":
                    code = code_part(text).rstrip()
                    if code.endswith("&") and not code.endswith("&&"):
                        code = code[:-1].rstrip()
                    background += 1
                    log = shlex.quote(os.path.join(self.logs, f"server{background}.log"))
                    out.append((number, "{ " + code))
                    out.append((number, "} > " + log + " 2>&1 < /dev/null &"))
                    out.append((number, f"__docs_wait $! {log}"))
                else:
                    out.append((number, text))
            with open(path, "w") as f:
                f.write("\n".join(t for _, t in out) + "\n")
            for k, (number, _) in enumerate(out):
                self.where[(path, k + 1)] = number
            for number, text in lines:
                self.commands[number] = text
            driver.append(f"printf '\\n@@docs-test step {n}@@\\n'")  # on a line of its own after a curl
            if step.exit_code is None:
                driver.append(f"source {shlex.quote(path)}")
            else:
                want = step.exit_code
                driver.append(f"if ( source {shlex.quote(path)} ); then __docs_rc=0; else __docs_rc=$?; fi")
                driver.append(f"if [ \"$__docs_rc\" != {want} ]; then echo \"the block exited $__docs_rc, "
                              f"not {want}\"; echo \"$__docs_rc {path} {len(out)}\" > \"$__docs_status\"; exit 1; fi")
        driver.append("printf '\\n@@docs-test done@@\\n'")
        return "\n".join(driver) + "\n"

    def run(self):
        start = time.monotonic()
        steps = parse(os.path.join(self.source, self.doc))
        self.make_workdir()
        env = {k: v for k, v in os.environ.items() if k not in ("DISCOVERY_DB", "LISTEN", "PGPORT", "PGHOST")}
        env.update({"PATH": self.build + ":" + DEFAULT_PATH, "HOME": self.tmp, "DEMO_SKIP_SETUP": "1",
                    "LC_ALL": "C.UTF-8"})
        ran = skipped = 0
        try:
            # PostgreSQL starts before the session: its port must be known when the script is written.
            for step in steps:
                if step.kind == "postgresql":
                    self.start_postgresql(step.lines[0][1])
            env.update(self.env_extra)
            env["LISTEN"] = f"127.0.0.1:{self.port_for('8080')}"
            for step in steps:
                if step.skip:
                    skipped += 1
                    print(f"{self.doc}:{step.line}: skipped: {step.skip}")
                elif step.kind == "block":
                    ran += 1
            driver_path = os.path.join(self.logs, "session.sh")
            with open(driver_path, "w") as f:
                f.write(self.script(steps))
            output_path = os.path.join(self.logs, "output")
            with open(output_path, "w") as output:
                session = subprocess.Popen(["bash", "--noprofile", "--norc", driver_path], cwd=self.work, env=env,
                                           stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                           start_new_session=True)
                try:
                    rc = session.wait(timeout=DOC_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    rc = None
            self.stop_session(session.pid)
            with open(output_path, encoding="utf-8", errors="replace") as f:
                output = f.read()
            if rc == 0 and "@@docs-test done@@" in output:
                if not self.check_expected(steps, output):
                    return 1
                took = time.monotonic() - start
                print(f"{self.doc}: {ran} blocks ran, {skipped} skipped, in {took:.1f} s "
                      f"(ports: {', '.join(f'{a}->{b}' for a, b in sorted(self.ports.items()))})")
                return 0
            self.report_failure(rc, output)
            return 1
        finally:
            self.stop_postgresql()
            if os.environ.get("DOCS_TEST_KEEP"):
                print(f"kept {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def check_expected(self, steps, output):
        """Each `# -> TEXT` of a block (an answer the docs show) is in that block's output, compared
        without whitespace; `<...>` in TEXT stands for any value without quotes."""
        parts = re.split(r"^@@docs-test step (\d+)@@$", output, flags=re.M)
        outputs = {int(parts[k]): parts[k + 1] for k in range(1, len(parts) - 1, 2)}
        ok = True
        for n, step in enumerate(steps):
            if step.kind != "block" or step.skip:
                continue
            if n not in outputs:
                print(f"FAILED: {self.doc}:{step.line}: the block's output was not found", file=sys.stderr)
                ok = False
                continue
            seen = re.sub(r"\s+", "", outputs[n].replace("@@docs-test done@@", ""))
            for number, text in step.lines:
                m = EXPECTED.search(text)
                if not m:
                    continue
                if not shows(outputs[n], seen, m.group(1)):
                    ok = False
                    print(f"FAILED: {self.doc}:{number}: the output does not show {m.group(1).strip()}", file=sys.stderr)
                    print("--- the output of its block ---", file=sys.stderr)
                    print(outputs[n].strip()[-4000:], file=sys.stderr)
        return ok

    def stop_session(self, pgid):
        """Stops everything the session started (its process group): SIGTERM, then SIGKILL."""
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def report_failure(self, rc, output):
        status_path = os.path.join(self.logs, "status")
        where = None
        if os.path.exists(status_path):
            with open(status_path) as f:
                parts = f.read().split()
            if len(parts) == 3:
                status, path, line = parts
                where = (status, self.where.get((path, int(line))))
        # The output of the step that failed: from its marker on.
        shown = output
        cut = output.rfind("@@docs-test step ")
        if cut >= 0:
            shown = output[output.find("\n", cut) + 1:]
        lines = shown.splitlines()
        if len(lines) > 80:
            lines = ["..."] + lines[-80:]
        print(f"FAILED: {self.doc}", file=sys.stderr)
        if rc is None:
            print(f"the commands did not finish within {DOC_TIMEOUT_S} s", file=sys.stderr)
        if where and where[1]:
            status, line = where
            print(f"{self.doc}:{line}: exit status {status}: {self.commands.get(line, '').strip()}", file=sys.stderr)
        elif rc is not None:
            print(f"the session exited {rc}", file=sys.stderr)
        print("--- the output of its block ---", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)
        for name in sorted(os.listdir(self.logs)):
            if name.startswith("server") or name == "postgresql.log":
                with open(os.path.join(self.logs, name), errors="replace") as f:
                    text = f.read().splitlines()
                print(f"--- {name} (last lines) ---", file=sys.stderr)
                print("\n".join(text[-15:]), file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", required=True, help="the repository")
    parser.add_argument("--build", required=True, help="the build directory with the programs")
    parser.add_argument("--list", action="store_true", help="print the steps and run nothing")
    parser.add_argument("document", help="the Markdown file, relative to the repository")
    args = parser.parse_args()
    try:
        if args.list:
            for step in parse(os.path.join(args.source, args.document)):
                what = f"skip ({step.skip})" if step.skip else step.kind + (" background" if step.background else "")
                if step.exit_code is not None:
                    what += f" exit {step.exit_code}"
                print(f"{args.document}:{step.line}: {what}")
                for number, text in step.lines:
                    print(f"    {number:4}  {text}")
            return 0
        return Runner(args.source, args.build, args.document).run()
    except DocError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
