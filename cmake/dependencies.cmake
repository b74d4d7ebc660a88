# Every dependency comes from a Debian 12 package; see README.md for the list.
find_package(Threads REQUIRED)

# libzmq: its CMake package when present, else pkg-config.
find_package(ZeroMQ CONFIG QUIET)
if(NOT TARGET libzmq)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(ZMQ REQUIRED IMPORTED_TARGET libzmq)
  add_library(libzmq INTERFACE IMPORTED)
  target_link_libraries(libzmq INTERFACE PkgConfig::ZMQ)
endif()
find_package(cppzmq REQUIRED)

# msgpack-c 4.x is msgpack-cxx on newer releases and msgpackc-cxx on Debian 12.
find_package(msgpack-cxx CONFIG QUIET)
if(TARGET msgpack-cxx)
  set(HOOKBUS_MSGPACK msgpack-cxx)
else()
  # Debian 12 ships it as cmake/msgpackc-cxx/msgpack-config.cmake: package "msgpack".
  find_package(msgpack CONFIG REQUIRED)
  set(HOOKBUS_MSGPACK msgpackc-cxx)
endif()

find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
