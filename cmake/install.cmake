# `cmake --install` puts headers, both libraries, the binaries and a CMake package,
# so that users write find_package(hookbus) and link hookbus::hookbus.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/hookbus
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS hookbus_shared hookbus_static EXPORT hookbusTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS hookbusd hookbus_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT hookbusTargets NAMESPACE hookbus::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hookbus)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hookbusConfig.cmake.in
  ${PROJECT_BINARY_DIR}/hookbusConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hookbus)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hookbusConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hookbusConfig.cmake
              ${PROJECT_BINARY_DIR}/hookbusConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hookbus)
