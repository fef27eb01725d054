# Install the library, public headers and a CMake package for find_package(megakernel).
include(CMakePackageConfigHelpers)
install(DIRECTORY include/mk DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ${MK_EXPORTED_TARGETS} EXPORT megakernelTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT megakernelTargets NAMESPACE mk:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/megakernel)
configure_package_config_file(cmake/megakernelConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/megakernelConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/megakernel)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/megakernelConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/megakernelConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/megakernelConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/megakernel)
