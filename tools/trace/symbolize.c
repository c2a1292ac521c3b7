/*
 * Addresses to names, at report time only (the interposed calls keep raw
 * return addresses). With elfutils' libdw (SKC_TRACE_HAVE_LIBDW): the
 * function from the symbol table, file and line from the DWARF line
 * table, separate debug files found as elfutils finds them
 * (/usr/lib/debug, build-id). Without it: dladdr(), which knows only the
 * module and the exported (dynamic) symbols; the report then gives
 * module+offset, for `addr2line -f -e MODULE OFFSET`.
 *
 * A return address points after the call; the call itself is one byte
 * earlier, which is what is looked up.
 */
#define _GNU_SOURCE
#include "trace.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef SKC_TRACE_HAVE_LIBDW
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#endif

struct skc__trace_symbolizer {
#ifdef SKC_TRACE_HAVE_LIBDW
  Dwfl *dwfl;
#endif
  int unused;
};

#ifdef SKC_TRACE_HAVE_LIBDW
/* dwfl_module_getsrc() finds the compilation unit through
 * .debug_aranges, which clang does not emit unless asked
 * (-gdwarf-aranges): elfutils 0.188 then finds no line for any address
 * of a clang-built program. Walking the units' address ranges finds it. */
static int skc__line_by_units(Dwfl_Module *mod, Dwarf_Addr address, const char **file,
                              int *line) {
  Dwarf_Addr bias = 0;
  Dwarf *dwarf = dwfl_module_getdwarf(mod, &bias);
  Dwarf_Off offset = 0, next;
  size_t header_size;
  if (dwarf == NULL)
    return -1;
  while (dwarf_nextcu(dwarf, offset, &next, &header_size, NULL, NULL, NULL) == 0) {
    Dwarf_Die unit;
    if (dwarf_offdie(dwarf, offset + header_size, &unit) != NULL &&
        dwarf_haspc(&unit, address - bias) == 1) {
      Dwarf_Line *found = dwarf_getsrc_die(&unit, address - bias);
      if (found != NULL && dwarf_lineno(found, line) == 0) {
        *file = dwarf_linesrc(found, NULL, NULL);
        return *file != NULL ? 0 : -1;
      }
      return -1;
    }
    offset = next;
  }
  return -1;
}

static char *skc__debuginfo_path;
static const Dwfl_Callbacks skc__callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &skc__debuginfo_path,
};
#endif

const char *skc__trace_symbolizer_kind(void) {
#ifdef SKC_TRACE_HAVE_LIBDW
  return "libdw";
#else
  return "dladdr";
#endif
}

skc__trace_symbolizer *skc__trace_symbolizer_open(void) {
  skc__trace_symbolizer *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
#ifdef SKC_TRACE_HAVE_LIBDW
  s->dwfl = dwfl_begin(&skc__callbacks);
  if (s->dwfl != NULL) {
    dwfl_report_begin(s->dwfl);
    if (dwfl_linux_proc_report(s->dwfl, getpid()) != 0 ||
        dwfl_report_end(s->dwfl, NULL, NULL) != 0) {
      dwfl_end(s->dwfl);
      s->dwfl = NULL;
    }
  }
#endif
  return s;
}

void skc__trace_symbolizer_close(skc__trace_symbolizer *s) {
  if (s == NULL)
    return;
#ifdef SKC_TRACE_HAVE_LIBDW
  if (s->dwfl != NULL)
    dwfl_end(s->dwfl);
#endif
  free(s);
}

static void skc__copy(char *to, size_t size, const char *from) {
  snprintf(to, size, "%s", from != NULL ? from : "");
}

static void skc__by_dladdr(uintptr_t call, skc__trace_frame *out) {
  Dl_info info;
  if (dladdr((void *)call, &info) == 0)
    return;
  skc__copy(out->module, sizeof out->module, info.dli_fname);
  out->module_offset = call - (uintptr_t)info.dli_fbase;
  if (out->function[0] == '\0')
    skc__copy(out->function, sizeof out->function, info.dli_sname);
}

void skc__trace_symbolize(skc__trace_symbolizer *s, uintptr_t address,
                          skc__trace_frame *out) {
  uintptr_t call = address - 1;
  memset(out, 0, sizeof *out);
  out->address = address;
#ifdef SKC_TRACE_HAVE_LIBDW
  if (s != NULL && s->dwfl != NULL) {
    Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, (Dwarf_Addr)call);
    if (mod != NULL) {
      GElf_Off offset;
      GElf_Sym sym;
      Dwarf_Addr base = 0;
      const char *name = dwfl_module_addrinfo(mod, (GElf_Addr)call, &offset, &sym,
                                              NULL, NULL, NULL);
      Dwfl_Line *line = dwfl_module_getsrc(mod, (Dwarf_Addr)call);
      const char *module = dwfl_module_info(mod, NULL, &base, NULL, NULL, NULL, NULL, NULL);
      skc__copy(out->function, sizeof out->function, name);
      skc__copy(out->module, sizeof out->module, module);
      out->module_offset = call - (uintptr_t)base;
      if (line != NULL) {
        int lineno = 0;
        const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        skc__copy(out->file, sizeof out->file, file);
        out->line = lineno;
      } else {
        const char *file = NULL;
        int lineno = 0;
        if (skc__line_by_units(mod, (Dwarf_Addr)call, &file, &lineno) == 0) {
          skc__copy(out->file, sizeof out->file, file);
          out->line = lineno;
        }
      }
      return;
    }
  }
#else
  (void)s;
#endif
  skc__by_dladdr(call, out);
}
