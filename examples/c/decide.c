/*
 * decide: load a compiled policy artifact and decide JSON requests read from
 * standard input, one per line, printing one decision JSON per line.
 *
 *   cargo run -p polc -- compile examples/coding-agent.policy -o /tmp/agent.apol
 *   cargo build --release -p policy-ffi
 *   gcc -Wall -Wextra -Werror -std=c11 -I policy-ffi/include examples/c/decide.c \
 *       target/release/libpolicy_ffi.a -lm -ldl -lpthread -o /tmp/decide
 *   echo '{"surface":"network","host":"api.github.com","port":443}' | /tmp/decide /tmp/agent.apol
 *
 * Exit status: 0 when every line was decided, 1 on a usage, I/O or API error.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_policy.h"

/* Reads a whole file into a malloc'd buffer. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  size_t cap = 4096, n = 0;
  unsigned char *buf = malloc(cap);
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) {
      break;
    }
    unsigned char *bigger = realloc(buf, cap * 2);
    if (bigger == NULL) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ARTIFACT < REQUESTS.jsonl\n", argv[0]);
    return 1;
  }
  size_t len = 0;
  unsigned char *bytes = read_file(argv[1], &len);
  if (bytes == NULL) {
    perror(argv[1]);
    return 1;
  }
  apol_policy *policy = NULL;
  apol_error err;
  /* The library copies the bytes: they can be freed right away. */
  apol_result rc = apol_policy_load(bytes, len, &policy, &err);
  free(bytes);
  if (rc != APOL_OK) {
    fprintf(stderr, "error: %s: %s (%s)\n", argv[1], err.message, apol_result_name(rc));
    return 1;
  }

  size_t cap = 512;
  char *out = malloc(cap);
  char *line = NULL;
  size_t line_cap = 0;
  ssize_t n;
  int status = 0;
  while (out != NULL && (n = getline(&line, &line_cap, stdin)) != -1) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
      n--;
    }
    if (n == 0) {
      continue;
    }
    size_t out_len = 0;
    rc = apol_decide_json(policy, line, (size_t)n, out, cap, &out_len, &err);
    if (rc == APOL_ERR_BUFFER_TOO_SMALL) {
      /* out_len holds the capacity needed: grow and decide again. */
      char *bigger = realloc(out, out_len);
      if (bigger == NULL) {
        status = 1;
        break;
      }
      out = bigger;
      cap = out_len;
      rc = apol_decide_json(policy, line, (size_t)n, out, cap, &out_len, &err);
    }
    if (rc != APOL_OK) {
      fprintf(stderr, "error: %s (%s)\n", err.message, apol_result_name(rc));
      status = 1;
      break;
    }
    printf("%s\n", out);
  }
  if (out == NULL) {
    status = 1;
  }
  free(line);
  free(out);
  apol_policy_free(policy);
  return status;
}
