# CMake toolchain for cross-building qint8 (addon and native tests) for linux-arm64 on an x86-64 host with
# Debian's g++-aarch64-linux-gnu; scripts/prebuild-arm64.js and scripts/test-arm64.js pass it to cmake-js / cmake.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(QINT8_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${QINT8_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${QINT8_CROSS_TRIPLE}-g++)
set(CMAKE_STRIP ${QINT8_CROSS_TRIPLE}-strip)

# The cross sysroot Debian installs (libc6-arm64-cross, libstdc++-12-dev-arm64-cross).
set(CMAKE_FIND_ROOT_PATH /usr/${QINT8_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest (and anything else that runs a built binary) goes through the user-mode emulator.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static;-L;/usr/${QINT8_CROSS_TRIPLE})
