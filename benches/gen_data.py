#!/usr/bin/env python3
"""Bench data for the peer-engine benchmarks (benches/peers, issue 6).

Builds rule sets and request streams from lists that Debian ships, installing
the packages when they are missing, plus seeded synthetic path globs, MCP
tool names and secret names. Nothing here is committed: the output goes to
target/bench-data/ and is regenerated on every run (the script is
deterministic: same packages, same seed, same files).

    python3 benches/gen_data.py [--out DIR] [--sizes 10,100,1000,10000,100000]

Output, per workload W in domain, cidr, path, mcp, secret and per rule count N:
    DIR/W/rules-N.txt     one pattern per line (this engine's syntax)
    DIR/W/requests-N.txt  4,096 distinct requests in random order, about half
                          hits and half misses; the first line is a hit (the
                          "hot" request)
and DIR/sources.txt, which records where each pool came from.
"""

import argparse
import ipaddress
import os
import random
import re
import subprocess
import sys

SEED = 0x6B656E63
REQUESTS = 4096

PSL = "/usr/share/publicsuffix/public_suffix_list.dat"
EASYLIST_DIR = "/usr/share/chromium/extensions/ublock-origin/assets/thirdparties/easylist"
GEOIP = "/usr/share/tor/geoip"

PACKAGES = {
    "publicsuffix": PSL,
    "webext-ublock-origin-chromium": EASYLIST_DIR + "/easylist.txt",
    "tor-geoipdb": GEOIP,
}

LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
EASY_RULE = re.compile(r"^\|\|([a-z0-9.-]+)\^(\$.*)?$")

WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima "
    "mike november oscar papa quebec romeo sierra tango uniform victor whiskey "
    "xray yankee zulu"
).split()
VERBS = "get list create update delete search read write run fetch sync export".split()
NOUNS = (
    "issue pull_request branch file comment user team repo release tag "
    "secret token workflow job artifact label milestone project page table"
).split()


def ensure_packages():
    """Installs the Debian packages whose files are missing (idempotent)."""
    missing = [p for p, f in PACKAGES.items() if not os.path.exists(f)]
    if not missing:
        return
    print(f"gen_data: installing {' '.join(missing)}", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq"] + missing, check=True, env=env)
    # Find the EasyList files wherever this version of the package puts them.
    for p, f in PACKAGES.items():
        if not os.path.exists(f):
            sys.exit(f"gen_data: {p} installed but {f} is missing (see `dpkg -L {p}`)")


def valid_host(h):
    if len(h) > 253 or "." not in h:
        return False
    labels = h.split(".")
    if labels[-1].isdigit():
        return False
    return all(LABEL.match(x) for x in labels)


def domain_pool(rng, need):
    """EasyList + EasyPrivacy `||host^` hosts, then multi-label Public Suffix
    List entries, then (only if still short) synthetic names."""
    seen = set()
    easy = []
    for name in ("easylist.txt", "easyprivacy.txt"):
        with open(os.path.join(EASYLIST_DIR, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                m = EASY_RULE.match(line.strip())
                if m and valid_host(m.group(1)) and m.group(1) not in seen:
                    seen.add(m.group(1))
                    easy.append(m.group(1))
    psl = []
    with open(PSL, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("//") or s[0] in "*!":
                continue
            if s.isascii() and valid_host(s) and s not in seen:
                seen.add(s)
                psl.append(s)
    # Interleave so every prefix of the pool mixes both real lists; synthetic
    # names (only when the real ones run out) go last.
    pool = easy + psl
    rng.shuffle(pool)
    synthetic = 0
    while len(pool) < need:
        h = f"{rng.choice(WORDS)}{len(pool)}.{rng.choice(WORDS)}-pad.example"
        pool.append(h)
        synthetic += 1
    real = len(pool) - synthetic
    return pool, (f"easylist+easyprivacy {len(easy)} hosts, public suffix list {len(psl)} multi-label entries "
                  f"({real} real names: the 100,000-rule set holds {max(0, 100000 - real)} synthetic names, "
                  f"and {synthetic} synthetic names in all serve as misses)")


def domain_requests(rng, rules, pool, n):
    reqs = []
    seen = set()
    while len(reqs) < REQUESTS:
        k = len(reqs)
        if k % 2 == 0:  # hit: the name or a subdomain
            d = rng.choice(rules)
            h = d if rng.random() < 0.5 else f"{rng.choice(WORDS)}{rng.randrange(100)}.{d}"
        else:  # miss: an unselected listed host, or a near miss
            r = rng.random()
            if r < 0.6 and len(pool) > n:
                h = pool[rng.randrange(n, len(pool))]
            elif r < 0.8:
                h = "x" + rng.choice(rules)
            else:
                h = f"{rng.choice(WORDS)}{rng.randrange(10**6)}.example.org"
        if len(h) <= 253 and h not in seen:
            seen.add(h)
            reqs.append(h)
    return reqs


def range_cidrs(lo, hi):
    return [str(c) for c in ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi))]


def cidr_pool(rng):
    pool = []
    ranges = 0
    with open(GEOIP, encoding="ascii") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            lo, hi, _cc = line.strip().split(",")
            pool.extend(range_cidrs(int(lo), int(hi)))
            ranges += 1
    rng.shuffle(pool)
    return pool, f"tor-geoipdb {ranges} IPv4 ranges = {len(pool)} CIDRs"


def rand_in(rng, cidr):
    net = ipaddress.IPv4Network(cidr)
    return str(net.network_address + rng.randrange(net.num_addresses))


def cidr_requests(rng, rules, pool, n):
    reqs = []
    seen = set()
    while len(reqs) < REQUESTS:
        if len(reqs) % 2 == 0:
            ip = rand_in(rng, rng.choice(rules))
        elif rng.random() < 0.8 and len(pool) > n:
            ip = rand_in(rng, pool[rng.randrange(n, len(pool))])
        else:
            ip = str(ipaddress.IPv4Address(rng.randrange(2**32)))
        if ip not in seen:
            seen.add(ip)
            reqs.append(ip)
    return reqs


def path_rule(i, w):
    """Shapes: literal, prefix `/x/**`, extension `/srv/**/*.ext`, mixed
    `/a/**/b/*.key`. Each glob has its own literal prefix or extension."""
    shape = i % 4
    if shape == 0:
        return f"/srv/{w}{i}/f{i}.txt"
    if shape == 1:
        return f"/srv/{w}{i}/**"
    if shape == 2:
        return f"/srv/**/*.e{i}"
    return f"/srv/{w}{i}/**/k/*.key"


def path_hit(rng, i, w):
    """A path the rule matches, avoiding the edge cases where Cedar's `like`
    or OPA's glob differ (zero segments for `**`, `/` inside a last `*`)."""
    shape = i % 4
    a = rng.choice(WORDS)
    if shape == 0:
        return f"/srv/{w}{i}/f{i}.txt"
    if shape == 1:
        return f"/srv/{w}{i}/{a}/{rng.randrange(1000)}.txt"
    if shape == 2:
        return f"/srv/{a}/{rng.randrange(1000)}/file.e{i}"
    return f"/srv/{w}{i}/{a}{rng.randrange(1000)}/k/id.key"


def path_data(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    rules = [path_rule(i, words[i]) for i in range(n)]
    reqs, seen = [], set()
    while len(reqs) < REQUESTS:
        if len(reqs) % 2 == 0:
            i = rng.randrange(n)
            p = path_hit(rng, i, words[i])
        else:
            j = n + rng.randrange(10 * n + 10)
            r = rng.random()
            if r < 0.7:
                p = path_hit(rng, j, rng.choice(WORDS))
            elif r < 0.85:
                p = f"/usr/lib/{rng.choice(WORDS)}{rng.randrange(10**5)}/libz.so.1"
            else:
                p = f"/home/u/{rng.choice(WORDS)}/{rng.randrange(10**5)}.md"
        if p not in seen:
            seen.add(p)
            reqs.append(p)
    return rules, reqs


def name_data(rng, n, name, stranger):
    """Exact names: rules name(0..n); requests alternate a hit with a miss
    (a name past the rules, or stranger(rng) for an unrelated one). A small
    rule set has fewer distinct hits than requests: hits may repeat, and the
    stream grows until it holds REQUESTS distinct names."""
    rules = [name(i) for i in range(n)]
    reqs, seen = [], set()
    while len(seen) < REQUESTS:
        if len(reqs) % 2 == 0:
            t = rules[rng.randrange(n)]
        else:
            t = name(n + rng.randrange(10 * n + 10)) if rng.random() < 0.7 else stranger(rng)
            if t in seen:
                continue
        seen.add(t)
        reqs.append(t)
    return rules, reqs


def mcp_data(rng, n):
    """Exact tool names of one approved server `s0`."""
    return name_data(
        rng, n,
        lambda i: f"{VERBS[i % len(VERBS)]}_{NOUNS[(i // len(VERBS)) % len(NOUNS)]}_{i}",
        lambda r: f"{r.choice(VERBS)}_{r.choice(WORDS)}{r.randrange(100)}")


def secret_data(rng, n):
    """Exact secret names (credentials the session may see): upper case, as
    environment variables are written; requests use the same spelling."""
    return name_data(
        rng, n,
        lambda i: f"{NOUNS[i % len(NOUNS)].upper()}_{VERBS[(i // len(NOUNS)) % len(VERBS)].upper()}_TOKEN_{i}",
        lambda r: f"{r.choice(WORDS).upper()}_KEY_{r.randrange(1000)}")


def write(out, workload, n, rules, reqs):
    d = os.path.join(out, workload)
    os.makedirs(d, exist_ok=True)
    # Hot request first, then the rest shuffled (random order).
    first, rest = reqs[0], reqs[1:]
    random.Random(SEED + n).shuffle(rest)
    with open(os.path.join(d, f"rules-{n}.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(rules) + "\n")
    with open(os.path.join(d, f"requests-{n}.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join([first] + rest) + "\n")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(root, "target", "bench-data"))
    ap.add_argument("--sizes", default="10,100,1000,10000,100000")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    ensure_packages()
    os.makedirs(a.out, exist_ok=True)
    big = max(sizes)
    notes = []

    rng = random.Random(SEED)
    dpool, note = domain_pool(rng, big + big // 5 + 1000)
    notes.append("domain: " + note)
    for n in sizes:
        rules = dpool[:n]
        write(a.out, "domain", n, rules, domain_requests(random.Random(SEED + 1 + n), rules, dpool, n))

    rng = random.Random(SEED + 2)
    cpool, note = cidr_pool(rng)
    notes.append("cidr: " + note)
    for n in sizes:
        rules = cpool[:n]
        write(a.out, "cidr", n, rules, cidr_requests(random.Random(SEED + 3 + n), rules, cpool, n))

    for n in sizes:
        rules, reqs = path_data(random.Random(SEED + 4 + n), n)
        write(a.out, "path", n, rules, reqs)
        rules, reqs = mcp_data(random.Random(SEED + 5 + n), n)
        write(a.out, "mcp", n, rules, reqs)
        rules, reqs = secret_data(random.Random(SEED + 6 + n), n)
        write(a.out, "secret", n, rules, reqs)
    notes.append("path: seeded generator (literal, prefix /x/**, extension /srv/**/*.ext, mixed /a/**/k/*.key)")
    notes.append("mcp: seeded generator (exact tool names of one server)")
    notes.append("secret: seeded generator (exact upper-case secret names, 'see' requests)")
    with open(os.path.join(a.out, "sources.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(notes) + "\n")
    print("\n".join(notes), file=sys.stderr)


if __name__ == "__main__":
    main()
