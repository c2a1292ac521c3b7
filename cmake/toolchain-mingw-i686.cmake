# CMake toolchain file: cross-compile for 32-bit Windows with MinGW-w64
# (Debian: gcc-mingw-w64-i686), and run target executables under 32-bit
# Wine (Debian: wine32, from the i386 architecture; WINEARCH=win32). On
# 32-bit Windows SOCKET is 32 bits wide, and MSVC x86 is built too: this
# is the build that checks sockclose there. Options as in
# toolchain-mingw-x86_64.cmake.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR i686)

set(CMAKE_C_COMPILER   i686-w64-mingw32-gcc)
set(CMAKE_CXX_COMPILER i686-w64-mingw32-g++)
set(CMAKE_RC_COMPILER  i686-w64-mingw32-windres)

list(FIND CMAKE_FIND_ROOT_PATH /usr/i686-w64-mingw32 _mingw_root_idx)
if(_mingw_root_idx EQUAL -1)
  list(APPEND CMAKE_FIND_ROOT_PATH /usr/i686-w64-mingw32)
endif()
unset(_mingw_root_idx)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR wine)
endif()
