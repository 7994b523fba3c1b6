#!/usr/bin/env python3
"""Regenerates the committed seed corpora in fuzz/corpus/<target>/.

    python3 fuzz/seeds.py          # from the repository root

Seeds: the policies of examples/, tests/conformance/ and tests/check/
(parse_check; the clean ones for compile), artifacts compiled by polc from
examples/ and a few conformance policies (artifact_load), the request objects
of every *.tests.jsonl (json_request, duplicate keys kept), and fixed
pseudo-random bytes (differential, and mutation programs for artifact_load).
Files are named by content hash, so rerunning is idempotent. Total stays well
under 1 MB.
"""

import glob
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SEED = 4096


def put(target, data):
    if len(data) > MAX_SEED:
        return
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Obj(list):
    """A JSON object as its (key, value) pairs: duplicate keys and order kept."""


def to_json(v):
    if isinstance(v, Obj):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + to_json(x) for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ",".join(to_json(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    policies = sorted(glob.glob(os.path.join(ROOT, "examples", "*.policy")))
    policies += sorted(glob.glob(os.path.join(ROOT, "tests", "conformance", "*.policy")))
    passing = sorted(glob.glob(os.path.join(ROOT, "tests", "check", "pass", "*.policy")))
    failing = sorted(glob.glob(os.path.join(ROOT, "tests", "check", "fail", "*.policy")))
    for p in policies + passing + failing:
        put("parse_check", read(p))
    for p in policies + passing:
        put("compile", read(p))

    subprocess.run(["cargo", "build", "-q", "-p", "polc"], cwd=ROOT, check=True)
    polc = os.path.join(ROOT, "target", "debug", "polc")
    compiled = sorted(glob.glob(os.path.join(ROOT, "examples", "*.policy")))
    compiled += [os.path.join(ROOT, "tests", "conformance", n + ".policy")
                 for n in ("network-addresses", "filesystem-roots", "credentials", "mcp")]
    with tempfile.TemporaryDirectory() as tmp:
        for p in compiled:
            out = os.path.join(tmp, "a.apol")
            subprocess.run([polc, "compile", p, "-o", out], check=True)
            put("artifact_load", read(out))

    rng = random.Random(7)
    for n in (0, 1, 8, 32, 64, 128, 256, 512):
        put("artifact_load", bytes(rng.randrange(256) for _ in range(n)))
    for n in (0, 16, 64, 128, 256, 512, 1024, 2048):
        for _ in range(2):
            put("differential", bytes(rng.randrange(256) for _ in range(n)))

    requests = set()
    for t in sorted(glob.glob(os.path.join(ROOT, "examples", "*.tests.jsonl"))
                    + glob.glob(os.path.join(ROOT, "tests", "conformance", "*.tests.jsonl"))):
        with open(t, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                case = dict(json.loads(line, object_pairs_hook=Obj))
                if "request" in case:
                    requests.add(to_json(case["request"]).encode())
    for r in sorted(requests):
        put("json_request", r)

    total = sum(os.path.getsize(f) for f in glob.glob(os.path.join(CORPUS, "*", "*")))
    for t in sorted(os.listdir(CORPUS)):
        print(f"{t}: {len(os.listdir(os.path.join(CORPUS, t)))} files", file=sys.stderr)
    print(f"total {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
