# CMake toolchain file: clang targeting 64-bit Windows (x86_64-w64-mingw32)
# with Debian's MinGW-w64 sysroot, headers and import libraries (Debian:
# clang, gcc-mingw-w64-x86-64): a second Windows compiler next to gcc.
# Test executables run under Wine like the gcc build's.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET x86_64-w64-mingw32)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_AR x86_64-w64-mingw32-ar CACHE FILEPATH "")
set(CMAKE_RANLIB x86_64-w64-mingw32-ranlib CACHE FILEPATH "")

# clang looks for libgcc in /usr/lib/gcc/x86_64-w64-mingw32/<version>, and
# Debian names those directories "12-win32" and "12-posix", which clang
# does not recognise as versions: name the win32 one (the threading model
# Debian's x86_64-w64-mingw32-gcc uses).
file(GLOB _mingw_gcc_dirs LIST_DIRECTORIES true /usr/lib/gcc/x86_64-w64-mingw32/*-win32)
list(SORT _mingw_gcc_dirs)
list(GET _mingw_gcc_dirs -1 _mingw_gcc_dir)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-L${_mingw_gcc_dir}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-L${_mingw_gcc_dir}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-L${_mingw_gcc_dir}")
unset(_mingw_gcc_dirs)
unset(_mingw_gcc_dir)

list(FIND CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 _mingw_root_idx)
if(_mingw_root_idx EQUAL -1)
  list(APPEND CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
endif()
unset(_mingw_root_idx)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR wine)
endif()
