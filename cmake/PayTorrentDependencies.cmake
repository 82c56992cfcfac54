# Every external package, found once. scripts/setup.sh installs them on Debian 12.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)

pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
# libtorrent: always compile with its pkg-config flags (TORRENT_ABI_VERSION etc. must match
# the Debian build, see docs/architecture.md), never with TORRENT_NO_DEPRECATE.
pkg_check_modules(LIBTORRENT IMPORTED_TARGET libtorrent-rasterbar>=2.0)

if(PT_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(benchmark QUIET)
endif()

if(PT_BUILD_GUI)
  find_package(Qt6 COMPONENTS Widgets Test QUIET)
  if(NOT Qt6_FOUND)
    message(WARNING "Qt6 not found: the desktop app will not be built")
    set(PT_BUILD_GUI OFF)
  endif()
endif()

# Where the npm pieces (anvil, nitro-protocol) live; tests and the node find them here.
set(PT_NODE_TOOLS_DIR ${CMAKE_SOURCE_DIR}/tools/node CACHE PATH "npm install of tools/node")
