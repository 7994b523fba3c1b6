//! The generator vocabulary: patterns that check clean, and request fields
//! that hit them, miss them, or are hostile.

/// Rule effects.
pub const EFFECTS: &[&str] = &["allow", "deny", "ask"];
/// Defaults of a block: the effects, and `pass` (a stack layer's
/// delegation, deny on its own).
pub const DEFAULTS: &[&str] = &["allow", "deny", "ask", "pass"];

/// Network targets (domains, addresses, sets), also `to` destinations.
pub const DOMAINS: &[&str] = &[
    "example.com",
    "*.example.com",
    "**.example.com",
    "api-*.example.com",
    "a.*.example.com",
    "*",
    "**.com",
    "b.example.com",
    "bücher.example",
    "**.a-*.test.org",
    "*-x*.example.com",
    // Several wildcard labels, stars in several places of one label.
    "a*.*b.example.com",
    "**.x*.example.com",
    "*.*.example.com",
    "*a*b*.example.com",
    "**.*.q.example.com",
    "10.0.0.0/8",
    "10.1.0.0/16",
    "127.0.0.1",
    "::1",
    "fc00::/7",
    "@private",
    "@loopback",
    "@metadata",
    "192.168.1.0/24",
    "::ffff:192.168.0.0/112",
    "169.254.169.254",
    "@link-local",
    "64:ff9b::/96",
    "2002::/16",
    "2001:db8::/32",
];

/// Request hosts.
pub const HOSTS: &[&str] = &[
    "example.com",
    "EXAMPLE.com.",
    "example.com..",
    "b.example.com",
    "x.b.example.com",
    "api-1.example.com",
    "api-.example.com",
    "a.q.example.com",
    "a.b.q.example.com",
    "com",
    "q-xy.example.com",
    "bücher.example",
    "xn--bcher-kva.example",
    "z.a-1.test.org",
    "test.org",
    "localhost",
    "x.localhost",
    "metadata.google.internal",
    "127.0.0.1",
    "127.1",
    "0x7f.1",
    "2130706433",
    "::ffff:10.1.2.3",
    "[::1]",
    "10.0.0.5",
    "",
    "a..b",
    "evil.com/x",
    "user@example.com",
    "example.com:443",
    "fe80::1%eth0",
    "[64:ff9b::a9fe:a9fe]",
    "2002:a00:1::1",
    // Hosts with many labels, for the wildcard labels above.
    "ab.cb.example.com",
    "a.b.example.com",
    "aab.example.com",
    "x.y.x1.example.com",
    "q.w.e.r.t.y.u.i.o.p.x.example.com",
    "z.y.q.example.com",
];

/// Request IP addresses.
pub const IPS: &[&str] = &[
    "10.1.2.3",
    "10.2.0.1",
    "127.0.0.1",
    "169.254.169.254",
    "fd00::1",
    "::ffff:192.168.1.7",
    "8.8.8.8",
    "::1",
    "192.168.0.9",
    "1.2.3",
    "garbage",
    // IPv6 forms embedding IPv4 (NAT64, local-use NAT64, SIIT, 6to4,
    // Teredo, ISATAP), and other local addresses.
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::10.1.2.3",
    "64:ff9b:1::c0a8:107",
    "::ffff:0:10.0.0.1",
    "2002:7f00:1::1",
    "2001:0:4136:e378:8000:63bf:3f57:fefd",
    "2001:db8::5efe:10.1.2.3",
    "fe80::1",
    "fec0::1",
    "100.100.100.200",
];

/// Port clauses of network rules.
pub const PORT_LISTS: &[&str] = &["", " port 443", " ports 80, 443", " port 8000-9000"];

/// Request ports.
pub const PORTS: &[u32] = &[22, 80, 443, 8080, 8500, 0, 70000];

/// Path patterns.
pub const PATHS: &[&str] = &[
    "/etc/**",
    "/etc/passwd",
    "~/.ssh/**",
    "$workspace/**",
    "$workspace/src/*.rs",
    "/**/*.key",
    "~/{a,b}/**",
    "/tmp/?x",
    "/var/[a-c]*/log",
    "$workspace/**/target/**",
    "/",
    "~",
    "/x/**/y/*.pem",
    "/tmp/*",
    "/srv/**/*.tar.gz",
    // Hard shapes for the automata: many stars, `**` runs, classes, `?`,
    // escapes, no literal prefix.
    "/**/*a*b*c*/**",
    "/a/**/**/b",
    "/x/**/**/*",
    "/tmp/[!x]*",
    "/tmp/\\*x",
    "/var/[a-c]?/**/[!.]*",
    "/*/*/*",
    "$workspace/**/*.*",
    "/**/*x*/**/*y*/**",
    "/*x*/**",
];

/// Filesystem rule access clauses.
pub const ACCESS: &[&str] = &["read", "write", "read write"];

/// Request paths.
pub const REQ_PATHS: &[&str] = &[
    "/etc/passwd",
    "/etc",
    "/etc/x/../passwd",
    "/home/u/.ssh/id_rsa",
    "/home/u/.ssh",
    "/home/u/w/src/main.rs",
    "/home/u/w/src/a/main.rs",
    "/home/u/w/a/target/x",
    "/home/u/w/target",
    "/home/u/a/f",
    "/tmp/ax",
    "/tmp/abx",
    "/var/b1/log",
    "/var/d/log",
    "relative/x",
    "/a\0b",
    "//etc//passwd/",
    "/home/u/w/../.ssh/k",
    "/x/y.key",
    "/x/.key",
    "/x/q/y/z.pem",
    "/x/y/z.pem",
    "/",
    "~/x",
    "/srv/a/b.tar.gz",
    // Paths that several of the hard globs match at once, and near misses.
    "/tmp/*x",
    "/tmp/yx",
    "/a/b",
    "/a/x/y/b",
    "/x/q/r/s",
    "/var/b1/q/app.log",
    "/var/b1/q/.hidden",
    "/abc/x/y/a-x-b-y-c",
    "/p/qax/r/yyy/s",
    "/home/u/w/src/a.b",
    "/x/x/x/x/x/x/x/x/x/x/x/x/y",
];

/// Secret name patterns.
pub const NAMES: &[&str] = &[
    "GITHUB_TOKEN",
    "NPM_*",
    "AWS_*",
    "*_KEY",
    "?PI",
    "*",
    "{A,B}_X",
    // Many stars, classes, `?`, escapes.
    "*_*_*",
    "A*B*C",
    "[A-C]_?",
    "[!G]*_TOKEN",
    "\\*X",
    "*T*K*N",
];

/// Request secret names.
pub const REQ_NAMES: &[&str] = &[
    "GITHUB_TOKEN",
    "github_token",
    "NPM_TOKEN",
    "AWS_SECRET",
    "MY_KEY",
    "API",
    "A_X",
    "AWS_a/b",
    "A_B_C",
    "ABBC",
    "b_q",
    "x_y/z_w",
    "*X",
    "GH/TOKEN",
    "bad name",
    "",
];

/// Credential lifetimes.
pub const LIFETIMES: &[&str] = &["", " for session", " for 1h", " for 90s"];

/// Tool name patterns.
pub const TOOLS: &[&str] = &[
    "get_*",
    "list_*",
    "delete_*",
    "create_issue",
    "*",
    "?et_x",
    "*secret*",
    "*_admin",
    "*_*_*",
    "get_*_[0-9]",
    "[!d]*_x",
    "*a*b*",
];

/// Resource URI patterns: literal, `prefix*`, general globs and classes
/// over a few schemes, case kept.
pub const RESOURCES: &[&str] = &[
    "file:///repo/*",
    "file:///repo/secrets/*",
    "file:///repo/README.md",
    "file:///Repo/*",
    "db://main/*?limit=*",
    "db://main/t{1,2}",
    "*",
    "mem:note-[0-9]",
    "file:///*/*.key",
    "https://docs.example.com/*",
];

/// Request resource URIs: canonical, other case, hostile spellings
/// (dot segments, empty segments, percent-encoding, upper-case scheme).
pub const REQ_RESOURCES: &[&str] = &[
    "file:///repo/src/a.rs",
    "file:///repo/secrets/k",
    "file:///repo/README.md",
    "file:///Repo/x",
    "file:///REPO/x",
    "db://main/t1",
    "db://main/t3?limit=5",
    "mem:note-7",
    "file:///home/u/.ssh/id.key",
    "file:///repo/../etc/passwd",
    "file:///repo//secrets/k",
    "file:///repo/%2Fsecrets",
    "file:///repo/secrets%2Fk",
    "FILE:///repo/x",
    "file:///repo/a b",
    "https://docs.example.com/",
    "",
];

/// Prompt name patterns.
pub const PROMPTS: &[&str] = &["summarize", "review_*", "*", "deploy", "*_prod"];

/// Request prompt names.
pub const REQ_PROMPTS: &[&str] = &[
    "summarize",
    "Review_PR",
    "deploy",
    "deploy_prod",
    "x",
    "bad prompt",
];

/// Request tool names.
pub const REQ_TOOLS: &[&str] = &[
    "get_me",
    "delete_a/b",
    "list_/x",
    "GET_ME",
    "list_x",
    "delete_repo",
    "create_issue",
    "set_x",
    "bad tool",
    "read_secret_value",
    "reset_admin",
    "get_a_1",
    "a/b_c_d",
    "ab_x",
    "d_x",
];

/// Request server names.
pub const SERVERS: &[&str] = &["github", "GitHub", "fs", "other"];

/// Request server sources (the first is the pin of the generated policy).
pub const SOURCES: &[&str] = &["ghcr.io/github/mcp:1", "ghcr.io/evil/mcp:1"];

/// Root bindings: all bound (the usual case), `$workspace` unbound,
/// none, and odd ones (trailing slashes, relative, `/`, bound twice).
pub const ROOTS: &[&[(&str, &str)]] = &[
    &[("home", "/home/u"), ("workspace", "/home/u/w")],
    &[("home", "/home/u")],
    &[],
    &[("home", "/home/u/"), ("workspace", "/home/u/w/./")],
    &[("home", "relative"), ("workspace", "/home/u/w")],
    &[("home", "/"), ("workspace", "/")],
    &[
        ("home", "/home/u"),
        ("workspace", "/home/u/w"),
        ("workspace", "/elsewhere"),
    ],
];

/// Hosts of `http` blocks: the three plain shapes, overlapping [`HOSTS`]
/// and each other (several blocks cover one host).
pub const HTTP_HOSTS: &[&str] = &[
    "example.com",
    "*.example.com",
    "**.example.com",
    "b.example.com",
    "**.q.example.com",
    "bücher.example",
    "*.test.org",
];

/// Method sets of HTTP rules.
pub const METHOD_SETS: &[&str] = &["*", "GET", "GET|HEAD", "POST", "DELETE", "PUT|PATCH|DELETE"];

/// Path globs of HTTP rules: every shape of the path table (literal,
/// `dir/**`, `dir/**/*.ext`, general globs, braces), nested and
/// overlapping.
pub const HTTP_PATHS: &[&str] = &[
    "/",
    "/**",
    "/repos/**",
    "/repos/*/*/releases/**",
    "/repos/*/*/issues",
    "/repos/o/r",
    "/repos/o/r/releases",
    "/api/v*/users/*",
    "/files/**/*.json",
    "/files/caf%C3%A9/*",
    "/{a,b}/x",
    "/a/[0-9]*",
    "/*/**/x",
];

/// Hosts of HTTP requests: covered by one, several or none of
/// [`HTTP_HOSTS`].
pub const REQ_HTTP_HOSTS: &[&str] = &[
    "example.com",
    "b.example.com",
    "x.b.example.com",
    "a.q.example.com",
    "z.y.q.example.com",
    "xn--bcher-kva.example",
    "www.test.org",
    "test.org",
    "other.org",
];

/// Request methods: the fixed set (first, nine of them), and spellings that
/// are refused.
pub const REQ_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "get",
    "PROPFIND", "",
];

/// Request HTTP paths: hits and misses of [`HTTP_PATHS`], a trailing slash,
/// and the hostile spellings of `spec/requests.md` (encoded slashes and
/// dots, dot and empty segments, queries, raw bytes).
pub const REQ_HTTP_PATHS: &[&str] = &[
    "/",
    "/repos",
    "/repos/o/r",
    "/repos/o/r/",
    "/repos/o/r/releases",
    "/repos/o/r/releases/7",
    "/repos/x/y/issues",
    "/api/v2/users/7",
    "/api/v/users/7/x",
    "/files/a/b.json",
    "/files/caf%C3%A9/x",
    "/a/x",
    "/b/x",
    "/a/42",
    "/q/w/x",
    "/repos%2Fo",
    "/repos/o/r/releases%2F7",
    "/repos/o/r/x/../releases",
    "/%2e%2e/repos",
    "/repos//o",
    "/repos?x=1",
    "/repos#f",
    "repos/o/r",
    "/a b",
    "/caf\u{e9}",
    "/%c3%a9",
];

/// `where` clauses of tool rules that any effect may carry: globs, value
/// sets (mixed types), integer ranges, nested and array pointers, escapes.
pub const WHERE_CLAUSES: &[&str] = &[
    " where /q matches \"*a*\"",
    " where /n in 1..10",
    " where /n in -5..5 and /mode in \"ro\"",
    " where /mode in \"ro\", \"rw\"",
    " where /a/b in true",
    " where /items/0 in \"x\", 3",
    " where /a~1b in 1, false",
    " where /q matches \"/home/u/w/**\" and /n in 0..0",
];

/// Tools that pinned rules name (exact names of [`REQ_TOOLS`], in some
/// case), one pinned rule each at most.
pub const PIN_TOOLS: &[&str] = &["get_me", "create_issue", "LIST_X", "delete_repo"];

/// Definition digests: pinned by rules and carried by requests.
pub const DIGESTS: &[&str] = &[
    "sha256:0000000000000000000000000000000000000000000000000000000000000001",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0a",
];

/// Request `definition` values: the pinned digests (one in upper-case hex,
/// the same pin), and malformed ones (short, upper-case prefix, non-hex,
/// another algorithm, empty).
pub const REQ_DEFINITIONS: &[&str] = &[
    "sha256:0000000000000000000000000000000000000000000000000000000000000001",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0b",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
    "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "",
];

/// `where` clauses with path constraints (allow and ask rules only).
pub const PATH_CLAUSES: &[&str] = &[
    " where /path is read path",
    " where /path is write path",
    " where /path is read write path and /n in 1..10",
];

/// The `arguments` objects of generated tool calls (JSON): values of the
/// tested types and of others, missing keys, nesting, hostile spellings.
pub const REQ_ARGUMENTS: &[&str] = &[
    "{}",
    r#"{"q":"bab"}"#,
    r#"{"q":"bbb","n":3}"#,
    r#"{"q":"/home/u/w/src/x","n":0}"#,
    r#"{"n":10.0}"#,
    r#"{"n":11}"#,
    r#"{"n":"3"}"#,
    r#"{"n":-5,"mode":"ro"}"#,
    r#"{"n":1e0,"mode":"rw"}"#,
    r#"{"mode":null}"#,
    r#"{"a":{"b":true}}"#,
    r#"{"a":{"b":"true"}}"#,
    r#"{"a/b":false}"#,
    r#"{"items":["x"]}"#,
    r#"{"items":[3,"x"]}"#,
    r#"{"items":{"0":"x"}}"#,
    r#"{"items":[]}"#,
];
