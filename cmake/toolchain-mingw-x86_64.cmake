# CMake toolchain file: cross-compile for 64-bit Windows with MinGW-w64
# (Debian: gcc-mingw-w64-x86-64), and run target executables (try_run,
# add_test(NAME ... COMMAND <target>), i.e. ctest) under Wine.
#
#   cmake -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-x86_64.cmake ...
#
# Extra roots for Windows libraries (e.g. a cmocka install prefix) can be
# added with -DCMAKE_FIND_ROOT_PATH=<dir>[;<dir>...]: this file appends the
# MinGW sysroot to that list instead of replacing it. Alternatively point
# find_package() at a package directly with -D<Pkg>_DIR=<dir>.
# Override the emulator with -DCMAKE_CROSSCOMPILING_EMULATOR=<cmd>.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CMAKE_C_COMPILER   x86_64-w64-mingw32-gcc)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++)
set(CMAKE_RC_COMPILER  x86_64-w64-mingw32-windres)

list(FIND CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 _mingw_root_idx)
if(_mingw_root_idx EQUAL -1)
  list(APPEND CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
endif()
unset(_mingw_root_idx)
# Programs (build tools) come from the host; libraries, headers and CMake
# packages only from the target roots, so that the host's (Linux) copies,
# e.g. Debian's libcmocka-dev, are never picked up.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR wine)
endif()
