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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef SKC_TRACE_HAVE_LIBDW
#include <elfutils/libdw.h>
#include <libelf.h>
#include <elfutils/libdwfl.h>
#endif

struct skc__trace_symbolizer {
#ifdef SKC_TRACE_HAVE_LIBDW
  Dwfl *dwfl;
#endif
  int unused; /* cppcheck-suppress unusedStructMember ; keeps the struct non-empty without libdw */
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

/* The program's modules are mapped into memory and their descriptors
 * closed at once, so that the program never sees a descriptor of the
 * tracer's for longer than an open-mmap-close (dwfl_linux_proc_find_elf
 * keeps each module's file open until dwfl_end). The mappings are
 * released with the symboliser; the report lock serialises its users. */
typedef struct skc__mapping {
  void *address;
  size_t size;
} skc__mapping;
static skc__mapping *skc__mappings;
static size_t skc__mapping_count, skc__mapping_capacity;

static int skc__find_elf(Dwfl_Module *mod, void **userdata, const char *module_name,
                         Dwarf_Addr base, char **file_name, Elf **elfp) {
  struct stat st;
  void *image;
  int fd;
  (void)mod;
  (void)userdata;
  (void)base;
  *elfp = NULL;
  if (module_name == NULL || module_name[0] != '/')
    return -1; /* [vdso] and the like: no file */
  if (skc__mapping_count == skc__mapping_capacity) {
    size_t capacity = skc__mapping_capacity * 2 + 16;
    skc__mapping *grown = realloc(skc__mappings, capacity * sizeof *grown);
    if (grown == NULL)
      return -1;
    skc__mappings = grown;
    skc__mapping_capacity = capacity;
  }
  fd = open(module_name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    skc__trace_real_close(fd);
    return -1;
  }
  /* private and writable: libelf may write to an image it was given */
  image = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  skc__trace_real_close(fd);
  if (image == MAP_FAILED)
    return -1;
  *elfp = elf_memory(image, (size_t)st.st_size);
  if (*elfp == NULL) {
    munmap(image, (size_t)st.st_size);
    return -1;
  }
  skc__mappings[skc__mapping_count].address = image;
  skc__mappings[skc__mapping_count].size = (size_t)st.st_size;
  skc__mapping_count++;
  *file_name = strdup(module_name);
  return -1; /* no descriptor: the image is in memory */
}

static void skc__unmap_all(void) {
  for (size_t i = 0; i < skc__mapping_count; i++)
    munmap(skc__mappings[i].address, skc__mappings[i].size);
  free(skc__mappings);
  skc__mappings = NULL;
  skc__mapping_count = skc__mapping_capacity = 0;
}

static char *skc__debuginfo_path;
static const Dwfl_Callbacks skc__callbacks = {
    .find_elf = skc__find_elf,
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
  skc__unmap_all();
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
