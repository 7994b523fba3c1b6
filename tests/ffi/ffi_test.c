/*
 * The C test suite of the policy C API (policy-ffi/include/agent_policy.h).
 *
 *   ffi_test VECTORS.tsv EXAMPLE.apol [THREADS [ROUNDS [PINS.tsv [LISTING.tsv LISTING.apol]]]]
 *
 * 1. conformance: every case of VECTORS.tsv (written by .ci/ffi.sh with
 *    `cargo run -p policy-ffi --example ffi_vectors`, the test-case runner
 *    policy_eval::cases; format in spec/tests.md, "Flattened vectors"; the
 *    Go tests read the same file) goes through apol_decide_json (and
 *    apol_decide_json_alloc); the decision must equal the Rust runtime's byte
 *    for byte and contain every `"key":value` fragment the case expects.
 *    The cases come from tests/conformance, tests/bypass and examples; the
 *    counts are reported per directory. Requests travel in hex, so NUL bytes,
 *    tabs, newlines and 64 KiB requests reach the library unchanged; a line
 *    whose other fields do not have the expected shape is an error.
 * 2. typed: apol_decide_network / _http / _filesystem / _credential / _mcp /
 *    apol_decide / events against EXAMPLE.apol (examples/coding-agent.policy).
 * 3. bad input: NULL pointers, truncated artifacts, invalid UTF-8, oversized
 *    strings, double free, a handle of the wrong type: error codes and
 *    messages, never a crash.
 * 4. threads: THREADS threads (default 8) decide every vector ROUNDS times
 *    (default 20) against policies shared by all of them; every answer is
 *    checked.
 * 5. pins: every tool-digest vector of PINS.tsv (tests/pins, flattened by
 *    ffi_vectors with policy_eval::cases::pins) goes through
 *    apol_tool_digest: the digest, or APOL_ERR_TOOL_DEFINITION with the
 *    Rust runtime's message, byte for byte.
 * 6. listing: every tool-listing vector of LISTING.tsv (tests/listing,
 *    flattened by ffi_vectors with policy_eval::cases::listing) goes through
 *    apol_list_tools_json against LISTING.apol: the answer must equal the
 *    Rust runtime's byte for byte.
 *
 * Last line: `ffi-c: N passed, M failed`; exit status 1 when M > 0.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_policy.h"

static long passed, failed;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (cond) {                                            \
      passed++;                                            \
    } else {                                               \
      failed++;                                            \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
    }                                                      \
  } while (0)

/* ------------------------------------------------------------------------ */
/* Files and vectors                                                         */
/* ------------------------------------------------------------------------ */

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return NULL;
  }
  long size = ftell(f);
  rewind(f);
  unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
  if (buf == NULL || size < 0 || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *len = (size_t)size;
  return buf;
}

typedef struct {
  char *path;
  apol_policy *policy;
} loaded;

#define MAX_FRAGS 16

typedef struct {
  const char *where;
  apol_policy *policy;
  apol_stack *stack; /* stack vectors: decided by the stack, not `policy` */
  char *input;
  size_t input_len;
  const char *rust;
  const char *frags[MAX_FRAGS];
  size_t nfrags;
} vector;

static loaded *artifacts;
static size_t nartifacts;

#define MAX_STACKS 16
#define MAX_STACK_LAYERS 8
static struct {
  char *field;
  apol_stack *stack;
} stacks[MAX_STACKS];
static size_t nstacks;
static vector *vectors;
static size_t nvectors;
static char *vectors_text;

static apol_policy *load_path(const char *path) {
  size_t len = 0;
  unsigned char *bytes = read_file(path, &len);
  if (bytes == NULL) {
    fprintf(stderr, "cannot read %s\n", path);
    return NULL;
  }
  apol_policy *p = NULL;
  apol_error err;
  apol_result rc = apol_policy_load(bytes, len, &p, &err);
  free(bytes);
  if (rc != APOL_OK) {
    fprintf(stderr, "%s: %s (%s)\n", path, err.message, apol_result_name(rc));
    return NULL;
  }
  return p;
}

static apol_policy *artifact(const char *path) {
  for (size_t i = 0; i < nartifacts; i++) {
    if (strcmp(artifacts[i].path, path) == 0) {
      return artifacts[i].policy;
    }
  }
  apol_policy *p = load_path(path);
  if (p == NULL) {
    return NULL;
  }
  loaded *more = realloc(artifacts, (nartifacts + 1) * sizeof *artifacts);
  if (more == NULL) {
    apol_policy_free(p);
    return NULL;
  }
  artifacts = more;
  artifacts[nartifacts].path = strdup(path);
  artifacts[nartifacts].policy = p;
  nartifacts++;
  return p;
}

/* The stack of a flattened stack vector's second field (`LEVEL:NAME:AUDIT:
 * ARTIFACT` per layer, joined by `;`; spec/tests.md), built once. */
static apol_stack *stack_of(const char *field) {
  for (size_t i = 0; i < nstacks; i++) {
    if (strcmp(stacks[i].field, field) == 0) return stacks[i].stack;
  }
  if (nstacks == MAX_STACKS) return NULL;
  char *copy = strdup(field);
  if (copy == NULL) return NULL;
  apol_layer layers[MAX_STACK_LAYERS];
  size_t n = 0;
  char *save = NULL;
  for (char *l = strtok_r(copy, ";", &save); l != NULL; l = strtok_r(NULL, ";", &save)) {
    char *level = l, *name = strchr(level, ':');
    char *audit = name ? strchr(name + 1, ':') : NULL;
    char *path = audit ? strchr(audit + 1, ':') : NULL;
    if (path == NULL || n == MAX_STACK_LAYERS) {
      fprintf(stderr, "bad stack field %s\n", field);
      free(copy);
      return NULL;
    }
    *name++ = '\0';
    *audit++ = '\0';
    *path++ = '\0';
    apol_policy *p = artifact(path);
    if (p == NULL) {
      free(copy);
      return NULL;
    }
    layers[n].name.ptr = name;
    layers[n].name.len = strlen(name);
    layers[n].level = (uint8_t)atoi(level);
    layers[n].audit = strcmp(audit, "1") == 0;
    layers[n].policy = p;
    n++;
  }
  apol_stack *stack = NULL;
  apol_error err;
  apol_result rc = apol_stack_new(layers, n, &stack, &err);
  /* The stack copies names and policies: the field's copy can go. */
  free(copy);
  if (rc != APOL_OK) {
    fprintf(stderr, "stack %s: %s (%s)\n", field, err.message, apol_result_name(rc));
    return NULL;
  }
  stacks[nstacks].field = strdup(field);
  stacks[nstacks].stack = stack;
  nstacks++;
  return stack;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes hex in place; returns the byte count or -1. */
static long unhex(char *s) {
  size_t n = strlen(s);
  if (n % 2 != 0) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    s[i] = (char)(hi * 16 + lo);
  }
  return (long)(n / 2);
}

static int read_vectors(const char *path) {
  size_t len = 0;
  unsigned char *text = read_file(path, &len);
  if (text == NULL) {
    fprintf(stderr, "cannot read vectors %s\n", path);
    return -1;
  }
  vectors_text = realloc(text, len + 1);
  if (vectors_text == NULL) {
    free(text);
    return -1;
  }
  vectors_text[len] = '\0';
  size_t cap = 0;
  char *save_line = NULL;
  for (char *line = strtok_r(vectors_text, "\n", &save_line); line != NULL;
       line = strtok_r(NULL, "\n", &save_line)) {
    char *fields[4 + MAX_FRAGS];
    size_t nf = 0;
    /* Split on every TAB (fields may be empty, unlike with strtok). */
    char *f = line;
    while (f != NULL && nf < 4 + MAX_FRAGS) {
      fields[nf++] = f;
      char *tab = strchr(f, '\t');
      if (tab != NULL) *tab++ = '\0';
      f = tab;
    }
    if (nf < 4 || f != NULL) {
      fprintf(stderr, "malformed vector line (%zu fields): %s\n", nf, line);
      return -1;
    }
    /* A stray TAB or newline inside a field would shift the others: check
     * their shapes (the decision is a JSON object, every fragment a member). */
    size_t rust_len = strlen(fields[3]);
    int shaped = rust_len >= 2 && fields[3][0] == '{' && fields[3][rust_len - 1] == '}';
    for (size_t i = 4; i < nf; i++) {
      shaped = shaped && fields[i][0] == '"' && strstr(fields[i], "\":") != NULL;
    }
    if (!shaped) {
      fprintf(stderr, "%s: malformed decision or expect fields\n", fields[0]);
      return -1;
    }
    if (nvectors == cap) {
      cap = cap ? cap * 2 : 256;
      vector *more = realloc(vectors, cap * sizeof *vectors);
      if (more == NULL) return -1;
      vectors = more;
    }
    vector *v = &vectors[nvectors];
    v->where = fields[0];
    v->policy = NULL;
    v->stack = NULL;
    if (strchr(fields[1], ':') != NULL) {
      v->stack = stack_of(fields[1]);
      if (v->stack == NULL) return -1;
    } else {
      v->policy = artifact(fields[1]);
      if (v->policy == NULL) return -1;
    }
    long n = unhex(fields[2]);
    if (n < 0) {
      fprintf(stderr, "%s: bad hex\n", fields[0]);
      return -1;
    }
    v->input = fields[2];
    v->input_len = (size_t)n;
    v->rust = fields[3];
    v->nfrags = nf - 4;
    for (size_t i = 0; i < v->nfrags; i++) v->frags[i] = fields[4 + i];
    nvectors++;
  }
  return 0;
}

/* Whether the flat decision JSON has the fragment `"key":value` as a whole
 * member: the fragment is followed by `,` or `}`. Sound because a string
 * value escapes every `"`, so `"key":` only occurs as a real key. */
static int has_member(const char *json, const char *frag) {
  size_t n = strlen(frag);
  for (const char *p = strstr(json, frag); p != NULL; p = strstr(p + 1, frag)) {
    if (p[n] == ',' || p[n] == '}') return 1;
  }
  return 0;
}

/* Checks one vector; returns the number of failures (quiet when !report). */
static int check_vector(const vector *v, int use_alloc, int report) {
  char buf[1024];
  const char *json = buf;
  apol_string *s = NULL;
  apol_error err;
  apol_result rc;
  if (v->stack != NULL) {
    rc = apol_stack_decide_json_alloc(v->stack, v->input, v->input_len, &s, &err);
    json = rc == APOL_OK ? apol_string_ptr(s) : "";
  } else if (use_alloc) {
    rc = apol_decide_json_alloc(v->policy, v->input, v->input_len, &s, &err);
    json = rc == APOL_OK ? apol_string_ptr(s) : "";
  } else {
    size_t len = 0;
    rc = apol_decide_json(v->policy, v->input, v->input_len, buf, sizeof buf, &len, &err);
    if (rc == APOL_OK && len != strlen(buf)) rc = APOL_ERR_PANIC;
  }
  int bad = 0;
  if (rc != APOL_OK) {
    bad++;
    if (report) fprintf(stderr, "FAIL %s: %s (%s)\n", v->where, err.message, apol_result_name(rc));
  } else {
    if (strcmp(json, v->rust) != 0) {
      bad++;
      if (report) fprintf(stderr, "FAIL %s: C gives %s, Rust gives %s\n", v->where, json, v->rust);
    }
    for (size_t i = 0; i < v->nfrags; i++) {
      if (!has_member(json, v->frags[i])) {
        bad++;
        if (report) fprintf(stderr, "FAIL %s: expected %s in %s\n", v->where, v->frags[i], json);
      }
    }
  }
  if (s != NULL) apol_string_free(s);
  return bad;
}

/* The directory of a vector's `FILE:LINE` (`tests/bypass`), as a length. */
static size_t dir_len(const char *where) {
  const char *slash = strrchr(where, '/');
  return slash != NULL ? (size_t)(slash - where) : 0;
}

#define MAX_DIRS 16

static void test_conformance(void) {
  size_t before = (size_t)failed;
  struct {
    const char *dir;
    size_t len, total, bad;
  } dirs[MAX_DIRS];
  size_t ndirs = 0;
  for (size_t i = 0; i < nvectors; i++) {
    int bad = check_vector(&vectors[i], (int)(i % 2), 1);
    if (bad) failed++; else passed++;
    const char *where = vectors[i].where;
    size_t len = dir_len(where), d = 0;
    while (d < ndirs && !(dirs[d].len == len && strncmp(dirs[d].dir, where, len) == 0)) d++;
    if (d == ndirs && ndirs < MAX_DIRS) {
      dirs[ndirs].dir = where;
      dirs[ndirs].len = len;
      dirs[ndirs].total = dirs[ndirs].bad = 0;
      ndirs++;
    }
    if (d < ndirs) {
      dirs[d].total++;
      dirs[d].bad += bad != 0;
    }
  }
  for (size_t d = 0; d < ndirs; d++) {
    printf("  %.*s: %zu vectors, %zu failed\n", (int)dirs[d].len, dirs[d].dir, dirs[d].total,
           dirs[d].bad);
  }
  printf("conformance: %zu vectors, %zu failed\n", nvectors, (size_t)failed - before);
}

/* ------------------------------------------------------------------------ */
/* Typed API                                                                 */
/* ------------------------------------------------------------------------ */

static int str_is(const char *p, size_t len, const char *want) {
  if (p == NULL) return want == NULL;
  return want != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}

/* MAX_ROOT_BINDINGS (policy-eval/src/limits.rs; spec/limits.md). */
#define APOL_TEST_MAX_ROOTS 64

#define S(x) (x), strlen(x)
#define NONE NULL, 0

static void expect_decision(const char *what, apol_result rc, const apol_error *err,
                            const apol_decision *d, apol_effect effect, apol_reason reason,
                            const char *rule) {
  CHECK(rc == APOL_OK, "%s: %s (%s)", what, err->message, apol_result_name(rc));
  if (rc != APOL_OK) return;
  CHECK(d->effect == effect && d->reason == reason, "%s: effect %u reason %u, want %u %u", what,
        (unsigned)d->effect, (unsigned)d->reason, (unsigned)effect, (unsigned)reason);
  CHECK(str_is(d->rule_id, d->rule_id_len, rule) && (d->has_rule == (rule != NULL)),
        "%s: rule %.*s, want %s", what, (int)d->rule_id_len, d->rule_id ? d->rule_id : "",
        rule ? rule : "(none)");
}

static void test_typed(apol_policy *p) {
  apol_decision d;
  apol_error err;
  apol_result rc;

  rc = apol_decide_network(p, S("api.github.com"), S("140.82.112.3"), 443, NULL, &d, &err);
  expect_decision("network allow", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE, "github");
  CHECK(err.code == APOL_OK && err.message[0] == '\0', "err filled on success");
  rc = apol_decide_network(p, S("github.com"), S("10.0.0.1"), 443, NULL, &d, &err);
  expect_decision("network rebinding", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_RULE, "no-local");
  rc = apol_decide_network(p, S("github.com"), NONE, APOL_PORT_NONE, NULL, &d, &err);
  expect_decision("network no port", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_DEFAULT, NULL);
  rc = apol_decide_network(p, S("github.com"), NONE, 0, NULL, &d, &err);
  expect_decision("network port 0", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_INVALID, NULL);
  CHECK(str_is(d.message, d.message_len, "port must be between 1 and 65535"), "port message");

  /* Not NUL-terminated: the length is what counts. */
  const char *glued = "github.comXXXX";
  rc = apol_decide_network(p, glued, 10, NONE, 443, NULL, &d, &err);
  expect_decision("network length", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE, "github");

  /* HTTP requests: the connection decides (the example has no http blocks);
     a refused spelling is an invalid decision, not an error. */
  rc = apol_decide_http(p, S("api.github.com"), NONE, 443, S("GET"), S("/repos/o/r/"), NULL, &d,
                        &err);
  expect_decision("http GET", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE, "github");
  rc = apol_decide_http(p, S("github.com"), S("10.0.0.1"), 443, S("GET"), S("/"), NULL, &d, &err);
  expect_decision("http rebinding", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_RULE, "no-local");
  rc = apol_decide_http(p, S("api.github.com"), NONE, 443, S("get"), S("/repos"), NULL, &d, &err);
  expect_decision("http lower-case method", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_INVALID,
                  NULL);
  CHECK(str_is(d.message, d.message_len,
               "method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, "
               "TRACE, in upper case"),
        "http method message: %.*s", (int)d.message_len, d.message ? d.message : "");
  rc = apol_decide_http(p, S("api.github.com"), NONE, 443, S("GET"), S("/repos/o%2Fr"), NULL, &d,
                        &err);
  expect_decision("http %2F", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_INVALID, NULL);
  CHECK(d.message != NULL && strncmp(d.message, "HTTP path has percent-encoding", 30) == 0,
        "http %%2F message: %.*s", (int)d.message_len, d.message ? d.message : "");
  rc = apol_decide_http(p, S("api.github.com"), NONE, 443, S("GET"), S("/a/../b"), NULL, &d, &err);
  expect_decision("http dot segment", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_INVALID, NULL);
  CHECK(str_is(d.message, d.message_len,
               "HTTP path has a `.` or `..` segment: pass the resolved path"),
        "http dot message");
  /* A NUL byte inside the path is a byte like any other: invalid, not cut. */
  rc = apol_decide_http(p, S("api.github.com"), NONE, 443, S("GET"), "/a\0b", 4, NULL, &d, &err);
  expect_decision("http NUL", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_INVALID, NULL);
  /* Not NUL-terminated: the lengths are what count. */
  rc = apol_decide_http(p, S("api.github.com"), NONE, 443, "GETX", 3, "/repos?x", 6, NULL, &d,
                        &err);
  expect_decision("http lengths", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE, "github");

  apol_root roots[] = {{{S("home")}, {S("/home/u")}}, {{S("workspace")}, {S("/home/u/w")}}};
  apol_context ctx = {roots, 2, {S("alice")}, {S("s-1")}, {NONE}};
  rc = apol_decide_filesystem(p, S("/home/u/w/src/main.rs"), APOL_ACCESS_WRITE, &ctx, &d, &err);
  expect_decision("fs workspace", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE, "workspace");
  rc = apol_decide_filesystem(p, S("/home/u/w/../.ssh/id_rsa"), APOL_ACCESS_READ, &ctx, &d, &err);
  expect_decision("fs ssh", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_RULE, "secrets");
  rc = apol_decide_filesystem(p, S("/usr/lib/x"), APOL_ACCESS_READ_WRITE, &ctx, &d, &err);
  expect_decision("fs read write", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_DEFAULT, NULL);
  /* Read and write together: the stricter of the two (a deny of either). */
  rc = apol_decide_filesystem(p, S("/home/u/.ssh/config"), APOL_ACCESS_READ_WRITE, &ctx, &d, &err);
  expect_decision("fs read write ssh", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_RULE, "secrets");
  rc = apol_decide_filesystem(p, S("/home/u/w/a.rs"), APOL_ACCESS_READ_WRITE, &ctx, &d, &err);
  expect_decision("fs read write ws", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE, "workspace");
  rc = apol_decide_filesystem(p, S("/usr/lib/x"), 7, &ctx, &d, &err);
  expect_decision("fs bad access", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_INVALID, NULL);
  rc = apol_decide_filesystem(p, S("/usr/lib/x"), APOL_ACCESS_READ, NULL, &d, &err);
  expect_decision("fs unbound", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_INVALID, NULL);

  rc = apol_decide_credential(p, S("NPM_TOKEN"), S("registry.npmjs.org"), NONE, NULL, &d, &err);
  expect_decision("cred npm", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE,
                  "credential.allow.NPM_TOKEN");
  CHECK(d.lifetime == APOL_LIFETIME_SECONDS && d.lifetime_seconds == 3600, "npm lifetime");
  rc = apol_decide_credential(p, S("github_token"), NONE, NONE, NULL, &d, &err);
  expect_decision("cred see", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE,
                  "credential.allow.GITHUB_TOKEN");
  CHECK(d.lifetime == APOL_LIFETIME_SESSION, "session lifetime");
  /* A send to an allowed host dialled at the metadata address (NAT64 form):
     no rule names the address, so it is denied. */
  rc = apol_decide_credential(p, S("GITHUB_TOKEN"), S("github.com"), S("64:ff9b::a9fe:a9fe"), NULL,
                              &d, &err);
  expect_decision("send to a local address", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_DEFAULT,
                  NULL);
  rc = apol_decide_credential(p, S("GITHUB_TOKEN"), S("evil.com"), NONE, NULL, &d, &err);
  expect_decision("cred send", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_DEFAULT, NULL);

  const char *src = "ghcr.io/github/github-mcp-server:v0.8.0";
  rc = apol_decide_mcp(p, S("github"), S("delete_repo"), S(src), NULL, &d, &err);
  CHECK(rc == APOL_OK && d.effect == APOL_EFFECT_DENY && d.has_rule, "mcp delete");
  rc = apol_decide_mcp(p, S("github"), S("create_issue"), S(src), NULL, &d, &err);
  CHECK(rc == APOL_OK && d.effect == APOL_EFFECT_ASK && d.has_rule, "mcp create");
  rc = apol_decide_mcp(p, S("github"), S("get_me"), S("ghcr.io/evil"), NULL, &d, &err);
  expect_decision("mcp other source", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_DEFAULT, NULL);

  /* Rule lookup, info, generic decide, and the same answer as JSON. */
  rc = apol_decide_network(p, S("index.crates.io"), NONE, 443, NULL, &d, &err);
  apol_rule rule;
  rc = apol_policy_rule(p, d.rule, &rule, &err);
  CHECK(rc == APOL_OK && str_is(rule.id, rule.id_len, "registries") &&
            rule.effect == APOL_EFFECT_ALLOW && rule.surface == APOL_SURFACE_NETWORK && rule.line > 0,
        "apol_policy_rule");
  apol_policy_info info;
  rc = apol_policy_get_info(p, &info, &err);
  CHECK(rc == APOL_OK && str_is(info.name, info.name_len, "coding-agent") &&
            str_is(info.version, info.version_len, "1.0.0") && info.rule_count > 0,
        "apol_policy_get_info");
  rc = apol_policy_rule(p, info.rule_count, &rule, &err);
  CHECK(rc == APOL_ERR_NO_RULE && err.code == APOL_ERR_NO_RULE && strlen(err.message) > 0,
        "no such rule: %s", err.message);

  apol_request req;
  memset(&req, 0, sizeof req);
  req.surface = APOL_SURFACE_FILESYSTEM;
  req.path = (apol_str){S("/home/u/.cargo/credentials.toml")};
  req.access = APOL_ACCESS_READ;
  rc = apol_decide(p, &req, &ctx, &d, &err);
  expect_decision("apol_decide", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_RULE, "secrets");

  /* Events: typed with the caller's context, and from JSON. */
  apol_string *ev = NULL;
  rc = apol_event(p, &req, &ctx, 1795464000123LL, &d, &ev, &err);
  CHECK(rc == APOL_OK, "apol_event: %s", err.message);
  if (rc == APOL_OK) {
    const char *line = apol_string_ptr(ev);
    CHECK(strstr(line, "\"time\":\"2026-11-23T20:00:00.123Z\"") != NULL &&
              strstr(line, "\"user\":\"alice\"") != NULL &&
              strstr(line, "\"session\":\"s-1\"") != NULL &&
              strstr(line, "\"agent\":null") != NULL &&
              strstr(line, "\"id\":\"secrets\"") != NULL &&
              apol_string_len(ev) == strlen(line) && line[strlen(line) - 1] == '\n',
          "event: %s", line);
    CHECK(d.effect == APOL_EFFECT_DENY, "event decision");
    CHECK(apol_string_free(ev) == APOL_OK, "string free");
  }
  const char *jreq =
      "{\"surface\":\"network\",\"host\":\"0x7f.1\",\"context\":{\"agent\":\"coder\"}}";
  rc = apol_event_json(p, S(jreq), -1, NULL, &ev, &err);
  CHECK(rc == APOL_OK && strstr(apol_string_ptr(ev), "\"host\":\"127.0.0.1\"") != NULL &&
            strstr(apol_string_ptr(ev), "\"agent\":\"coder\"") != NULL,
        "apol_event_json");
  if (rc == APOL_OK) apol_string_free(ev);

  /* Versions. */
  CHECK(strlen(apol_version()) > 0 && apol_artifact_format_min() >= 1 &&
            apol_artifact_format_max() >= apol_artifact_format_min(),
        "versions");
}

/* ------------------------------------------------------------------------ */
/* Bad input                                                                 */
/* ------------------------------------------------------------------------ */

static void test_bad_input(apol_policy *p, const char *artifact_path) {
  apol_decision d;
  apol_error err;
  apol_result rc;
  char buf[256];
  size_t len = 0;

  /* NULL everywhere it is not allowed. */
  rc = apol_decide_network(NULL, S("a.com"), NONE, 443, NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL && strstr(err.message, "policy") != NULL, "NULL policy: %s", err.message);
  rc = apol_decide_network(p, S("a.com"), NONE, 443, NULL, NULL, &err);
  CHECK(rc == APOL_ERR_NULL && strstr(err.message, "out") != NULL, "NULL out");
  rc = apol_decide_network(p, NULL, 3, NONE, 443, NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL host with length");
  rc = apol_decide_network(p, S("a.com"), NONE, 443, NULL, &d, NULL);
  CHECK(rc == APOL_OK, "NULL err is allowed");
  rc = apol_decide_filesystem(p, NULL, 0, APOL_ACCESS_READ, NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL path");
  rc = apol_decide_http(p, S("a.com"), NONE, 443, NULL, 0, S("/"), NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL && strcmp(err.message, "`method` is NULL") == 0, "NULL method: %s",
        err.message);
  rc = apol_decide_http(p, S("a.com"), NONE, 443, S("GET"), NULL, 0, NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL && strcmp(err.message, "`path` is NULL") == 0, "NULL http path: %s",
        err.message);
  rc = apol_decide_http(p, S("a.com"), NONE, 443, NULL, 3, S("/"), NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL method with length");
  rc = apol_decide_http(NULL, S("a.com"), NONE, 443, S("GET"), S("/"), NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL && strstr(err.message, "policy") != NULL, "NULL policy (http)");
  rc = apol_decide_http(p, S("a.com"), NONE, 443, S("GET"), S("/"), NULL, NULL, &err);
  CHECK(rc == APOL_ERR_NULL && strstr(err.message, "out") != NULL, "NULL out (http)");
  rc = apol_decide_http(p, S("a.com"), NONE, 443, S("GET"), "/", SIZE_MAX, NULL, &d, &err);
  CHECK(rc == APOL_ERR_ARGUMENT, "http path length over PTRDIFF_MAX: %s", err.message);
  rc = apol_decide_credential(p, NULL, 0, NONE, NONE, NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL name");
  rc = apol_decide_mcp(p, NULL, 0, NONE, NONE, NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL server");
  rc = apol_decide(p, NULL, NULL, &d, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL request");
  rc = apol_decide_json(p, NULL, 0, buf, sizeof buf, &len, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL JSON");
  rc = apol_decide_json(p, S("{}"), buf, sizeof buf, NULL, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL out_len");
  rc = apol_decide_json(p, S("{}"), NULL, 10, &len, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL buffer with capacity");
  rc = apol_decide_json_alloc(p, S("{}"), NULL, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL string out");
  rc = apol_policy_get_info(NULL, NULL, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL info");
  apol_context bad_ctx = {NULL, 2, {NONE}, {NONE}, {NONE}};
  rc = apol_decide_filesystem(p, S("/x"), APOL_ACCESS_READ, &bad_ctx, &d, &err);
  CHECK(rc == APOL_ERR_NULL && strstr(err.message, "roots") != NULL, "NULL roots: %s", err.message);
  apol_policy *q = NULL;
  rc = apol_policy_load(NULL, 10, &q, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL bytes");
  rc = apol_policy_load((const uint8_t *)"x", 1, NULL, &err);
  CHECK(rc == APOL_ERR_NULL, "NULL policy out");
  CHECK(apol_string_ptr(NULL) == NULL && apol_string_len(NULL) == 0, "NULL string accessors");
  CHECK(apol_policy_free(NULL) == APOL_OK && apol_string_free(NULL) == APOL_OK, "free(NULL)");

  /* Out parameters are written only on success. */
  memset(&d, 0xab, sizeof d);
  rc = apol_decide_network(p, "\xff", 1, NONE, 443, NULL, &d, &err);
  unsigned char *raw = (unsigned char *)&d;
  CHECK(rc == APOL_ERR_UTF8 && raw[0] == 0xab && raw[sizeof d - 1] == 0xab,
        "invalid UTF-8 host: %s", err.message);
  CHECK(strstr(err.message, "UTF-8") != NULL && err.code == APOL_ERR_UTF8, "UTF-8 message");
  memset(&d, 0xab, sizeof d);
  rc = apol_decide_http(p, S("a.com"), NONE, 443, S("GET"), "/caf\xe9", 5, NULL, &d, &err);
  CHECK(rc == APOL_ERR_UTF8 && strstr(err.message, "`path` is not valid UTF-8") != NULL &&
            raw[0] == 0xab,
        "invalid UTF-8 http path: %s", err.message);
  rc = apol_decide_http(p, S("a.com"), NONE, 443, "G\xc9T", 3, S("/"), NULL, &d, &err);
  CHECK(rc == APOL_ERR_UTF8 && strstr(err.message, "`method` is not valid UTF-8") != NULL,
        "invalid UTF-8 method: %s", err.message);
  rc = apol_decide_mcp(p, S("github"), "get_\xc3", 5, NONE, NULL, &d, &err);
  CHECK(rc == APOL_ERR_UTF8 && strstr(err.message, "tool") != NULL, "invalid UTF-8 tool");
  apol_root bad_root[] = {{{S("home")}, {"/h\xe9", 3}}};
  apol_context utf_ctx = {bad_root, 1, {NONE}, {NONE}, {NONE}};
  rc = apol_decide_filesystem(p, S("/x"), APOL_ACCESS_READ, &utf_ctx, &d, &err);
  CHECK(rc == APOL_ERR_UTF8, "invalid UTF-8 root");

  /* Root bindings: their count is checked before any is converted, and the
   * other surfaces do not read them at all (a roots_len far past the array
   * would be an out-of-bounds read under ASan and valgrind). */
  apol_root many[APOL_TEST_MAX_ROOTS + 1];
  for (size_t i = 0; i < APOL_TEST_MAX_ROOTS + 1; i++) {
    many[i] = (apol_root){{S("home")}, {S("/home/u")}};
  }
  many[0] = bad_root[0];
  apol_context over = {many, APOL_TEST_MAX_ROOTS + 1, {NONE}, {NONE}, {NONE}};
  rc = apol_decide_filesystem(p, S("/home/u/a"), APOL_ACCESS_READ, &over, &d, &err);
  expect_decision("65 roots, the first bad", rc, &err, &d, APOL_EFFECT_DENY, APOL_REASON_INVALID,
                  NULL);
  CHECK(str_is(d.message, d.message_len, "the context binds more than 64 roots"),
        "65 roots message: %.*s", (int)d.message_len, d.message ? d.message : "");
  over.roots_len = APOL_TEST_MAX_ROOTS;
  rc = apol_decide_filesystem(p, S("/home/u/a"), APOL_ACCESS_READ, &over, &d, &err);
  CHECK(rc == APOL_ERR_UTF8, "64 roots, the first bad: %s", err.message);
  apol_context wild = {bad_root, 100000, {NONE}, {NONE}, {NONE}};
  rc = apol_decide_network(p, S("api.github.com"), NONE, 443, &wild, &d, &err);
  expect_decision("network ignores roots", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE,
                  "github");
  rc = apol_decide_credential(p, S("GITHUB_TOKEN"), NONE, NONE, &wild, &d, &err);
  expect_decision("credential ignores roots", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE,
                  "credential.allow.GITHUB_TOKEN");
  wild.roots = NULL;
  apol_decision plain;
  rc = apol_decide_mcp(p, S("github"), NONE, NONE, NULL, &plain, &err);
  CHECK(rc == APOL_OK && plain.reason != APOL_REASON_INVALID, "mcp: %s", err.message);
  rc = apol_decide_mcp(p, S("github"), NONE, NONE, &wild, &d, &err);
  CHECK(rc == APOL_OK && d.effect == plain.effect && d.reason == plain.reason &&
            d.rule == plain.rule,
        "mcp ignores NULL roots: %s", err.message);

  /* The JSON entry point answers bad bytes with an invalid decision. */
  const char *bad_json = "{\"surface\":\"network\",\"host\":\"\xff\"}";
  rc = apol_decide_json(p, S(bad_json), buf, sizeof buf, &len, &err);
  CHECK(rc == APOL_OK && strstr(buf, "request is not well-formed JSON") != NULL, "JSON bad UTF-8");

  /* Oversized strings. */
  size_t big = 1u << 20;
  char *huge = malloc(big);
  if (huge != NULL) {
    memset(huge, 'a', big);
    rc = apol_decide_network(p, huge, big, NONE, 443, NULL, &d, &err);
    CHECK(rc == APOL_OK && d.reason == APOL_REASON_INVALID &&
              str_is(d.message, d.message_len, "host is longer than 253 bytes"),
          "1 MiB host");
    rc = apol_decide_filesystem(p, huge, big, APOL_ACCESS_READ, NULL, &d, &err);
    CHECK(rc == APOL_OK && d.reason == APOL_REASON_INVALID, "1 MiB path");
    rc = apol_decide_json(p, huge, big, buf, sizeof buf, &len, &err);
    CHECK(rc == APOL_OK && strstr(buf, "request is larger than 64 KiB") != NULL, "1 MiB JSON");
    free(huge);
  }
  rc = apol_decide_network(p, "a", SIZE_MAX, NONE, 443, NULL, &d, &err);
  CHECK(rc == APOL_ERR_ARGUMENT, "length over PTRDIFF_MAX: %s", err.message);
  rc = apol_decide_json(p, "{", (size_t)PTRDIFF_MAX + 1, buf, sizeof buf, &len, &err);
  CHECK(rc == APOL_OK && strstr(buf, "larger than 64 KiB") != NULL, "JSON length over PTRDIFF_MAX");

  /* Buffer too small: needed size reported, buffer untouched. */
  const char *req = "{\"surface\":\"network\",\"host\":\"api.github.com\",\"port\":443}";
  memset(buf, 'z', sizeof buf);
  len = 0;
  rc = apol_decide_json(p, S(req), buf, 8, &len, &err);
  CHECK(rc == APOL_ERR_BUFFER_TOO_SMALL && buf[0] == 'z' &&
            len == strlen("{\"decision\":\"allow\",\"rule\":\"github\",\"reason\":\"rule\"}") + 1,
        "buffer too small: len %zu", len);
  rc = apol_decide_json(p, S(req), buf, len, &len, &err);
  CHECK(rc == APOL_OK && strlen(buf) == len, "exact buffer");

  /* Unknown surface in a typed request. */
  apol_request r;
  memset(&r, 0, sizeof r);
  r.surface = 42;
  rc = apol_decide(p, &r, NULL, &d, &err);
  CHECK(rc == APOL_ERR_ARGUMENT && strstr(err.message, "surface") != NULL, "bad surface");

  /* Truncated and corrupted artifacts: every prefix is refused. */
  size_t alen = 0;
  unsigned char *bytes = read_file(artifact_path, &alen);
  CHECK(bytes != NULL, "read %s", artifact_path);
  if (bytes != NULL) {
    long refused = 0;
    for (size_t n = 0; n < alen; n++) {
      q = NULL;
      rc = apol_policy_load(bytes, n, &q, &err);
      if (rc == APOL_ERR_ARTIFACT && q == NULL && err.message[0] != '\0') refused++;
      if (q != NULL) apol_policy_free(q);
    }
    CHECK(refused == (long)alen, "truncated artifacts refused: %ld of %zu", refused, alen);
    bytes[alen / 2] ^= 0x40;
    rc = apol_policy_load(bytes, alen, &q, &err);
    CHECK(rc == APOL_ERR_ARTIFACT && strstr(err.message, "checksum") != NULL, "corrupted: %s",
          err.message);
    rc = apol_policy_load((const uint8_t *)"policy x\n", 9, &q, &err);
    CHECK(rc == APOL_ERR_ARTIFACT && strstr(err.message, "magic") != NULL, "source text: %s",
          err.message);
    free(bytes);
  }

  /* Double free is refused, not a crash (best-effort registry). */
  q = load_path(artifact_path);
  CHECK(q != NULL, "reload");
  CHECK(apol_policy_free(q) == APOL_OK, "first free");
  CHECK(apol_policy_free(q) == APOL_ERR_HANDLE, "double free of a policy");
  apol_string *s = NULL;
  rc = apol_decide_json_alloc(p, S(req), &s, &err);
  CHECK(rc == APOL_OK, "alloc");
  CHECK(apol_string_free(s) == APOL_OK, "string free");
  CHECK(apol_string_free(s) == APOL_ERR_HANDLE, "double free of a string");
  int not_a_handle = 0;
  CHECK(apol_policy_free((apol_policy *)&not_a_handle) == APOL_ERR_HANDLE, "foreign pointer");
  CHECK(apol_string_free((apol_string *)p) == APOL_ERR_HANDLE, "policy freed as a string");
  CHECK(strcmp(apol_result_name(APOL_ERR_HANDLE), "APOL_ERR_HANDLE") == 0 &&
            strcmp(apol_result_name(1000), "APOL_ERR_UNKNOWN") == 0,
        "result names");
}

/* A handle of one type passed where the other is expected: every handle
 * starts with its magic number (policy-ffi/src/handle.rs), so the check
 * reads 8 bytes inside either handle and refuses the other type. Under ASan
 * and valgrind this also proves no byte past a (smaller) apol_string is read. */
static void test_wrong_handle_type(apol_policy *p) {
  apol_decision d;
  apol_error err;
  apol_result rc;
  char buf[256];
  size_t len = 0;
  const char *req = "{\"surface\":\"network\",\"host\":\"api.github.com\",\"port\":443}";
  apol_string *s = NULL;
  rc = apol_decide_json_alloc(p, S(req), &s, &err);
  CHECK(rc == APOL_OK, "alloc: %s", err.message);
  if (rc != APOL_OK) return;
  const apol_policy *s_as_policy = (const apol_policy *)s;
  const apol_string *p_as_string = (const apol_string *)p;

#define EXPECT_HANDLE(what, call)                                                  \
  do {                                                                             \
    memset(&d, 0xab, sizeof d);                                                    \
    rc = (call);                                                                   \
    CHECK(rc == APOL_ERR_HANDLE && err.code == APOL_ERR_HANDLE &&                  \
              strstr(err.message, "not a live apol_policy") != NULL &&             \
              ((unsigned char *)&d)[0] == 0xab,                                    \
          "%s, a string as the policy: %s (%s)", what, err.message,                \
          apol_result_name(rc));                                                   \
  } while (0)

  EXPECT_HANDLE("apol_decide_network",
                apol_decide_network(s_as_policy, S("api.github.com"), NONE, 443, NULL, &d, &err));
  EXPECT_HANDLE("apol_decide_http", apol_decide_http(s_as_policy, S("api.github.com"), NONE, 443,
                                                     S("GET"), S("/"), NULL, &d, &err));
  EXPECT_HANDLE("apol_decide_filesystem",
                apol_decide_filesystem(s_as_policy, S("/x"), APOL_ACCESS_READ, NULL, &d, &err));
  EXPECT_HANDLE("apol_decide_credential",
                apol_decide_credential(s_as_policy, S("GITHUB_TOKEN"), NONE, NONE, NULL, &d, &err));
  EXPECT_HANDLE("apol_decide_mcp",
                apol_decide_mcp(s_as_policy, S("github"), NONE, NONE, NULL, &d, &err));
  apol_request r;
  memset(&r, 0, sizeof r);
  r.surface = APOL_SURFACE_NETWORK;
  r.host = (apol_str){S("api.github.com")};
  r.port = 443;
  EXPECT_HANDLE("apol_decide", apol_decide(s_as_policy, &r, NULL, &d, &err));
  EXPECT_HANDLE("apol_decide_json",
                apol_decide_json(s_as_policy, S(req), buf, sizeof buf, &len, &err));
  apol_string *out = NULL;
  EXPECT_HANDLE("apol_decide_json_alloc", apol_decide_json_alloc(s_as_policy, S(req), &out, &err));
  EXPECT_HANDLE("apol_event", apol_event(s_as_policy, &r, NULL, -1, &d, &out, &err));
  EXPECT_HANDLE("apol_event_json", apol_event_json(s_as_policy, S(req), -1, &d, &out, &err));
  CHECK(out == NULL, "no string out on a wrong handle");
  apol_policy_info info;
  EXPECT_HANDLE("apol_policy_get_info", apol_policy_get_info(s_as_policy, &info, &err));
  apol_rule rule;
  EXPECT_HANDLE("apol_policy_rule", apol_policy_rule(s_as_policy, 0, &rule, &err));
#undef EXPECT_HANDLE

  /* A policy where a string is expected: no text, no length. */
  CHECK(apol_string_ptr(p_as_string) == NULL && apol_string_len(p_as_string) == 0,
        "policy read as a string");
  /* Frees check the registry: the other type is refused, nothing is freed. */
  CHECK(apol_policy_free((apol_policy *)s) == APOL_ERR_HANDLE, "string freed as a policy");
  CHECK(apol_string_free((apol_string *)p) == APOL_ERR_HANDLE, "policy freed as a string");

  /* Both handles are intact. */
  const char *want = "{\"decision\":\"allow\",\"rule\":\"github\",\"reason\":\"rule\"}";
  CHECK(apol_string_len(s) == strlen(want) && strcmp(apol_string_ptr(s), want) == 0,
        "string intact: %s", apol_string_ptr(s));
  rc = apol_decide_network(p, S("api.github.com"), NONE, 443, NULL, &d, &err);
  expect_decision("policy intact", rc, &err, &d, APOL_EFFECT_ALLOW, APOL_REASON_RULE, "github");
  CHECK(apol_string_free(s) == APOL_OK, "string free");
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
  int id;
  int rounds;
  long checked;
  long bad;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  for (int r = 0; r < w->rounds; r++) {
    for (size_t k = 0; k < nvectors; k++) {
      /* Each thread walks the vectors from a different start. */
      size_t i = (k + (size_t)w->id * 7919) % nvectors;
      w->bad += check_vector(&vectors[i], (int)((i + (size_t)r) % 2), 0) != 0;
      w->checked++;
    }
  }
  return NULL;
}

static void test_threads(int threads, int rounds) {
  if (nvectors == 0) return;
  pthread_t tids[64];
  worker ws[64];
  if (threads > 64) threads = 64;
  for (int t = 0; t < threads; t++) {
    ws[t] = (worker){t, rounds, 0, 0};
    if (pthread_create(&tids[t], NULL, work, &ws[t]) != 0) {
      CHECK(0, "pthread_create");
      return;
    }
  }
  long checked = 0, bad = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(tids[t], NULL);
    checked += ws[t].checked;
    bad += ws[t].bad;
  }
  CHECK(bad == 0 && checked == (long)threads * rounds * (long)nvectors,
        "threads: %ld of %ld answers wrong", bad, checked);
  printf("threads: %d threads x %d rounds, %ld answers checked, %ld wrong\n", threads, rounds,
         checked, bad);
}

/* ------------------------------------------------------------------------ */
/* Tool pins                                                                 */
/* ------------------------------------------------------------------------ */

/* Each line: FILE:LINE, definition hex, `digest` DIGEST or `error` MESSAGE. */
static void test_pins(const char *path) {
  size_t len = 0;
  unsigned char *raw = read_file(path, &len);
  CHECK(raw != NULL, "cannot read pins %s", path);
  if (raw == NULL) return;
  char *text = realloc(raw, len + 1);
  if (text == NULL) {
    free(raw);
    failed++;
    return;
  }
  text[len] = '\0';
  long count = 0, ok = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char *fields[4];
    size_t nf = 0;
    char *f = line;
    while (f != NULL && nf < 4) {
      fields[nf++] = f;
      char *tab = strchr(f, '\t');
      if (tab != NULL) *tab++ = '\0';
      f = tab;
    }
    long n = nf == 4 && f == NULL ? unhex(fields[1]) : -1;
    int is_digest = nf == 4 && strcmp(fields[2], "digest") == 0;
    int is_error = nf == 4 && strcmp(fields[2], "error") == 0;
    CHECK(n >= 0 && (is_digest || is_error), "malformed pin line: %s", line);
    if (n < 0 || !(is_digest || is_error)) continue;
    count++;
    apol_string *s = NULL;
    apol_error err;
    apol_result rc = apol_tool_digest((const uint8_t *)fields[1], (size_t)n, &s, &err);
    int good;
    if (is_digest) {
      good = rc == APOL_OK && s != NULL && str_is(apol_string_ptr(s), apol_string_len(s), fields[3]);
    } else {
      good = rc == APOL_ERR_TOOL_DEFINITION && err.code == rc && s == NULL &&
             strcmp(err.message, fields[3]) == 0;
    }
    CHECK(good, "%s: apol_tool_digest gave %s (%s), expected %s %s", fields[0],
          apol_result_name(rc), rc == APOL_OK ? apol_string_ptr(s) : err.message, fields[2],
          fields[3]);
    ok += good;
    apol_string_free(s);
  }
  CHECK(count > 0, "no pin vectors in %s", path);
  printf("pins: %ld of %ld tool-digest vectors\n", ok, count);
  free(text);
}

/* ------------------------------------------------------------------------ */
/* Tool listings                                                             */
/* ------------------------------------------------------------------------ */

/* Each line: FILE:LINE, request hex, the Rust runtime's answer. */
static void test_listing(const char *path, const char *artifact) {
  apol_policy *policy = load_path(artifact);
  CHECK(policy != NULL, "load %s", artifact);
  size_t len = 0;
  unsigned char *raw = read_file(path, &len);
  CHECK(raw != NULL, "cannot read listing vectors %s", path);
  if (raw == NULL || policy == NULL) {
    free(raw);
    apol_policy_free(policy);
    return;
  }
  char *text = realloc(raw, len + 1);
  if (text == NULL) {
    free(raw);
    apol_policy_free(policy);
    failed++;
    return;
  }
  text[len] = '\0';
  long count = 0, ok = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char *fields[3];
    size_t nf = 0;
    char *f = line;
    while (f != NULL && nf < 3) {
      fields[nf++] = f;
      char *tab = strchr(f, '\t');
      if (tab != NULL) *tab++ = '\0';
      f = tab;
    }
    long n = nf == 3 && f == NULL ? unhex(fields[1]) : -1;
    CHECK(n >= 0, "malformed listing line: %s", line);
    if (n < 0) continue;
    count++;
    apol_string *s = NULL;
    apol_error err;
    apol_result rc = apol_list_tools_json(policy, fields[1], (size_t)n, &s, &err);
    int good = rc == APOL_OK && s != NULL && str_is(apol_string_ptr(s), apol_string_len(s), fields[2]);
    CHECK(good, "%s: apol_list_tools_json gave %s (%.*s), expected %s", fields[0],
          apol_result_name(rc), rc == APOL_OK ? (int)apol_string_len(s) : 0,
          rc == APOL_OK ? apol_string_ptr(s) : "", fields[2]);
    ok += good;
    apol_string_free(s);
  }
  /* NULL arguments are error results, not answers. */
  apol_string *s = NULL;
  apol_error err;
  CHECK(apol_list_tools_json(policy, NULL, 0, &s, &err) == APOL_ERR_NULL && s == NULL,
        "NULL request is APOL_ERR_NULL");
  CHECK(apol_list_tools_json(policy, "{}", 2, NULL, &err) == APOL_ERR_NULL,
        "NULL out is APOL_ERR_NULL");
  CHECK(count > 0, "no listing vectors in %s", path);
  printf("listing: %ld of %ld tool-listing vectors\n", ok, count);
  free(text);
  apol_policy_free(policy);
}

/* apol_stack_new's refusals, wrong handles, and that a stack outlives the
 * policies it was made from. */
static void test_stack_api(const char *artifact_path) {
  apol_error err;
  apol_stack *stack = NULL;
  apol_policy *p = load_path(artifact_path);
  CHECK(p != NULL, "load %s", artifact_path);
  if (p == NULL) return;
  apol_layer layers[9];
  for (int i = 0; i < 9; i++) {
    static const char names[9][3] = {"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8"};
    layers[i].name.ptr = names[i];
    layers[i].name.len = 2;
    layers[i].level = (uint8_t)i;
    layers[i].audit = false;
    layers[i].policy = p;
  }
  CHECK(apol_stack_new(NULL, 1, &stack, &err) == APOL_ERR_NULL, "NULL layers");
  CHECK(apol_stack_new(layers, 1, NULL, &err) == APOL_ERR_NULL, "NULL out");
  CHECK(apol_stack_new(layers, 9, &stack, &err) == APOL_ERR_STACK && stack == NULL,
        "9 layers: %s", err.message);
  CHECK(strstr(err.message, "more than the limit of 8") != NULL, "message: %s", err.message);
  CHECK(apol_stack_new(layers, 0, &stack, &err) == APOL_ERR_STACK, "no layer");
  CHECK(apol_stack_new(layers + 1, 1, &stack, &err) == APOL_ERR_STACK &&
            strstr(err.message, "level 1") != NULL,
        "a first layer at level 1: %s", err.message);
  apol_layer audit_only = layers[0];
  audit_only.audit = true;
  CHECK(apol_stack_new(&audit_only, 1, &stack, &err) == APOL_ERR_STACK, "only audit layers");
  apol_layer twice[2] = {layers[0], layers[0]};
  twice[1].level = 1;
  CHECK(apol_stack_new(twice, 2, &stack, &err) == APOL_ERR_STACK &&
            strstr(err.message, "two layers are named") != NULL,
        "a repeated name: %s", err.message);
  apol_layer no_policy = layers[0];
  no_policy.policy = NULL;
  CHECK(apol_stack_new(&no_policy, 1, &stack, &err) == APOL_ERR_NULL, "NULL policy");
  apol_layer not_policy = layers[0];
  apol_string *str = NULL;
  CHECK(apol_decide_json_alloc(p, "{}", 2, &str, &err) == APOL_OK, "a string");
  not_policy.policy = (const apol_policy *)str;
  CHECK(apol_stack_new(&not_policy, 1, &stack, &err) == APOL_ERR_HANDLE, "a string as policy");

  CHECK(apol_stack_new(layers, 8, &stack, &err) == APOL_OK, "8 layers: %s", err.message);
  /* The stack copied the policy: freeing it first changes nothing. */
  apol_policy_free(p);
  apol_string *out = NULL;
  const char *req = "{\"surface\":\"network\",\"host\":\"api.github.com\",\"port\":443}";
  CHECK(apol_stack_decide_json_alloc(stack, req, strlen(req), &out, &err) == APOL_OK, "decide");
  if (out != NULL) {
    CHECK(strstr(apol_string_ptr(out), "\"layer\":\"l0\"") != NULL, "layer in %s",
          apol_string_ptr(out));
    apol_string_free(out);
  }
  CHECK(apol_stack_decide_json_alloc(stack, NULL, 0, &out, &err) == APOL_ERR_NULL, "NULL request");
  CHECK(apol_stack_decide_json_alloc(NULL, req, strlen(req), &out, &err) == APOL_ERR_NULL,
        "NULL stack");
  CHECK(apol_stack_decide_json_alloc((const apol_stack *)str, req, strlen(req), &out, &err) ==
            APOL_ERR_HANDLE,
        "a string as stack");
  CHECK(apol_stack_free((apol_stack *)str) == APOL_ERR_HANDLE, "free a string as a stack");
  CHECK(apol_stack_free(stack) == APOL_OK, "free");
  CHECK(apol_stack_free(stack) == APOL_ERR_HANDLE, "double free");
  CHECK(apol_stack_free(NULL) == APOL_OK, "free NULL");
  apol_string_free(str);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: %s VECTORS.tsv EXAMPLE.apol [THREADS [ROUNDS [PINS.tsv [LISTING.tsv "
            "LISTING.apol]]]]\n",
            argv[0]);
    return 2;
  }
  int threads = argc > 3 ? atoi(argv[3]) : 8;
  int rounds = argc > 4 ? atoi(argv[4]) : 20;
  if (read_vectors(argv[1]) != 0) {
    failed++;
  } else {
    test_conformance();
  }
  apol_policy *example = load_path(argv[2]);
  CHECK(example != NULL, "load %s", argv[2]);
  if (example != NULL) {
    test_typed(example);
    test_bad_input(example, argv[2]);
    test_wrong_handle_type(example);
    test_stack_api(argv[2]);
  }
  test_threads(threads, rounds);
  if (argc > 5) test_pins(argv[5]);
  if (argc > 7) test_listing(argv[6], argv[7]);

  apol_policy_free(example);
  for (size_t i = 0; i < nartifacts; i++) {
    apol_policy_free(artifacts[i].policy);
    free(artifacts[i].path);
  }
  free(artifacts);
  for (size_t i = 0; i < nstacks; i++) {
    apol_stack_free(stacks[i].stack);
    free(stacks[i].field);
  }
  free(vectors);
  free(vectors_text);
  printf("ffi-c: %ld passed, %ld failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
