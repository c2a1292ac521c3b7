/*
 * Reads the probe's JSON documents back (tools/probe.c writes them with
 * --json). A small reader for that shape: objects, arrays, strings with
 * the escapes the probe writes, numbers, true, false, null; only the
 * fields the table needs are kept.
 */
#include "probe_results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  const char *label;
} known_runs[PROBE_RUNS] = {
    {"linux", "Linux"},
    {"wine-x86_64", "x86_64"},
    {"wine-i686", "i686"},
    {"windows-msvc-x64", "Windows x64 (MSVC)"},
    {"windows-msvc-x86", "Windows x86 (MSVC)"},
    {"windows-mingw", "Windows x64 (MinGW)"},
    {"macos", "macOS"},
};

typedef struct reader {
  const char *p, *end;
  int failed;
} reader;

static void skip_space(reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' ||
                           *r->p == '\t'))
    r->p++;
}

static int take(reader *r, char c) {
  skip_space(r);
  if (r->p < r->end && *r->p == c) {
    r->p++;
    return 1;
  }
  return 0;
}

/* A string into out (truncated to size, always terminated); out may be
 * NULL to skip it. \uXXXX outside ASCII becomes '?'. */
static void read_string(reader *r, char *out, size_t size) {
  size_t n = 0;
  if (!take(r, '"')) {
    r->failed = 1;
    return;
  }
  while (r->p < r->end && *r->p != '"') {
    char c = *r->p++;
    if (c == '\\' && r->p < r->end) {
      char e = *r->p++;
      switch (e) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'u': {
        unsigned v = 0;
        int i;
        for (i = 0; i < 4 && r->p < r->end; i++, r->p++) {
          char h = *r->p;
          v = v * 16 + (unsigned)(h >= '0' && h <= '9'   ? h - '0'
                                  : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                  : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                         : 0);
        }
        c = v < 0x80 ? (char)v : '?';
        break;
      }
      default: c = e; break; /* \" \\ \/ */
      }
    }
    if (out != NULL && n + 1 < size)
      out[n++] = c;
  }
  if (!take(r, '"'))
    r->failed = 1;
  if (out != NULL && size > 0)
    out[n] = '\0';
}

static void skip_value(reader *r, int depth);

static void skip_container(reader *r, char close, int object, int depth) {
  if (take(r, close))
    return;
  do {
    if (object) {
      read_string(r, NULL, 0);
      if (!take(r, ':'))
        r->failed = 1;
    }
    skip_value(r, depth + 1);
  } while (!r->failed && take(r, ','));
  if (!take(r, close))
    r->failed = 1;
}

static void skip_value(reader *r, int depth) {
  skip_space(r);
  if (r->failed || r->p >= r->end || depth > 32) {
    r->failed = 1;
    return;
  }
  if (*r->p == '"') {
    read_string(r, NULL, 0);
  } else if (*r->p == '{') {
    r->p++;
    skip_container(r, '}', 1, depth);
  } else if (*r->p == '[') {
    r->p++;
    skip_container(r, ']', 0, depth);
  } else {
    const char *start = r->p;
    while (r->p < r->end && strchr(",}] \n\r\t", *r->p) == NULL)
      r->p++;
    if (r->p == start)
      r->failed = 1;
  }
}

/* {"id": ..., "native": ..., ...}; native null or absent leaves "". */
static void read_situation(reader *r, probe_result *out) {
  memset(out, 0, sizeof *out);
  if (!take(r, '{')) {
    r->failed = 1;
    return;
  }
  if (take(r, '}'))
    return;
  do {
    char key[32];
    read_string(r, key, sizeof key);
    if (!take(r, ':')) {
      r->failed = 1;
      return;
    }
    skip_space(r);
    if (strcmp(key, "id") == 0 && r->p < r->end && *r->p == '"')
      read_string(r, out->id, sizeof out->id);
    else if (strcmp(key, "native") == 0 && r->p < r->end && *r->p == '"')
      read_string(r, out->native, sizeof out->native);
    else
      skip_value(r, 2);
  } while (!r->failed && take(r, ','));
  if (!take(r, '}'))
    r->failed = 1;
}

static void read_document(reader *r, probe_run *run) {
  int is_probe = 0;
  if (!take(r, '{')) {
    r->failed = 1;
    return;
  }
  do {
    char key[32];
    read_string(r, key, sizeof key);
    if (!take(r, ':')) {
      r->failed = 1;
      return;
    }
    skip_space(r);
    if (strcmp(key, "tool") == 0) {
      char tool[32];
      read_string(r, tool, sizeof tool);
      is_probe = strcmp(tool, "sockclose-probe") == 0;
    } else if (strcmp(key, "wine") == 0) {
      run->wine = r->p < r->end && *r->p == 't';
      skip_value(r, 1);
    } else if (strcmp(key, "situations") == 0) {
      if (!take(r, '[')) {
        r->failed = 1;
        return;
      }
      if (take(r, ']'))
        continue;
      do {
        probe_result *grown =
            realloc(run->results, (run->count + 1) * sizeof *grown);
        if (grown == NULL) {
          r->failed = 1;
          return;
        }
        run->results = grown;
        read_situation(r, &run->results[run->count]);
        run->count++;
      } while (!r->failed && take(r, ','));
      if (!take(r, ']'))
        r->failed = 1;
    } else {
      skip_value(r, 1);
    }
  } while (!r->failed && take(r, ','));
  if (!take(r, '}') || !is_probe)
    r->failed = 1;
}

int probe_results_load(const char *dir, probe_run runs[PROBE_RUNS]) {
  int i, err = 0;
  memset(runs, 0, sizeof(probe_run) * PROBE_RUNS);
  for (i = 0; i < PROBE_RUNS; i++) {
    char path[1024];
    char *text;
    long size;
    FILE *f;
    reader r;
    runs[i].name = known_runs[i].name;
    runs[i].label = known_runs[i].label;
    snprintf(path, sizeof path, "%s/%s.json", dir, known_runs[i].name);
    f = fopen(path, "rb");
    if (f == NULL)
      continue; /* no recorded run of this platform */
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 ||
        (text = malloc((size_t)size + 1)) == NULL) {
      fclose(f);
      fprintf(stderr, "sockclose-probe: cannot read %s\n", path);
      err = -1;
      continue;
    }
    if (fread(text, 1, (size_t)size, f) != (size_t)size) {
      free(text);
      fclose(f);
      fprintf(stderr, "sockclose-probe: cannot read %s\n", path);
      err = -1;
      continue;
    }
    fclose(f);
    r.p = text;
    r.end = text + size;
    r.failed = 0;
    read_document(&r, &runs[i]);
    free(text);
    if (r.failed) {
      fprintf(stderr, "sockclose-probe: %s is not a sockclose-probe --json "
                      "document\n", path);
      free(runs[i].results);
      runs[i].results = NULL;
      runs[i].count = 0;
      err = -1;
      continue;
    }
    runs[i].loaded = 1;
  }
  return err;
}

void probe_results_free(probe_run runs[PROBE_RUNS]) {
  int i;
  for (i = 0; i < PROBE_RUNS; i++) {
    free(runs[i].results);
    runs[i].results = NULL;
    runs[i].count = 0;
  }
}

const char *probe_results_native(const probe_run *run, const char *id) {
  size_t i;
  if (!run->loaded)
    return NULL;
  for (i = 0; i < run->count; i++)
    if (strcmp(run->results[i].id, id) == 0)
      return run->results[i].native[0] != '\0' ? run->results[i].native : NULL;
  return NULL;
}
