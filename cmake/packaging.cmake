# Install layout (FHS, for prefix /usr) and the Debian package.
#   cmake --install build --prefix /usr          (DESTDIR=/scratch for a staged tree)
#   cd build && cpack -G DEB                      (circuitd_<version>_<arch>.deb)
# Binaries go to sbin/ and bin/ by their own folders; this file adds everything else.
include_guard(GLOBAL)
include(GNUInstallDirs)

# Configuration lives in /etc whatever the prefix, as the unit's ExecStart expects.
set(CIRCUITD_CONFDIR "/etc/circuitd" CACHE PATH "Where the configuration is installed")
set(CIRCUITD_DOCDIR "${CMAKE_INSTALL_DATADIR}/doc/circuitd")
set(CIRCUITD_DATADIR "${CMAKE_INSTALL_DATADIR}/circuitd")

# systemd: unit, user, directories (relative to the prefix: /usr/lib/... for prefix /usr).
install(FILES ${PROJECT_SOURCE_DIR}/systemd/circuitd.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/circuitd.sysusers DESTINATION lib/sysusers.d
        RENAME circuitd.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/circuitd.tmpfiles DESTINATION lib/tmpfiles.d
        RENAME circuitd.conf)

# Example configuration: the commented reference becomes the live config, the demo sits beside
# the docs.
if(EXISTS ${PROJECT_SOURCE_DIR}/config/circuitd.toml)
  install(FILES ${PROJECT_SOURCE_DIR}/config/circuitd.toml DESTINATION ${CIRCUITD_CONFDIR}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/config/demo.toml DESTINATION ${CIRCUITD_DOCDIR}/examples)
if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/config/demo)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/demo/ DESTINATION ${CIRCUITD_DOCDIR}/examples/demo)
endif()
# Vendor profiles and dashboards are data shared by every configuration.
if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/config/profiles)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/profiles/ DESTINATION ${CIRCUITD_DATADIR}/profiles)
endif()
foreach(dash dashboards dashboard grafana)
  if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/${dash})
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dash}/ DESTINATION ${CIRCUITD_DATADIR}/dashboards)
  endif()
endforeach()
if(EXISTS ${PROJECT_SOURCE_DIR}/domain/engine/default_rules.toml)
  install(FILES ${PROJECT_SOURCE_DIR}/domain/engine/default_rules.toml
          DESTINATION ${CIRCUITD_DOCDIR}/examples)
endif()

# Documentation.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CIRCUITD_DOCDIR})
file(GLOB _circuitd_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
if(_circuitd_docs)
  install(FILES ${_circuitd_docs} DESTINATION ${CIRCUITD_DOCDIR})
endif()

# --- CPack: one Debian package -------------------------------------------------------------------
set(CPACK_PACKAGE_NAME circuitd)
set(CPACK_PACKAGE_VENDOR "circuitd")
set(CPACK_PACKAGE_CONTACT "circuitd maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Carrier leased-line monitor")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "snmp")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Watches carrier leased lines by SNMP, ICMP, throughput tests and passive capture,\n decides whose side a fault is on citing the contract, keeps fault reports and SLA records.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(_circuitd_deb_dir ${PROJECT_BINARY_DIR}/deb)
file(MAKE_DIRECTORY ${_circuitd_deb_dir})
foreach(script postinst prerm postrm)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/deb/${script} ${_circuitd_deb_dir}/${script} @ONLY)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_circuitd_deb_dir}/postinst ${_circuitd_deb_dir}/prerm ${_circuitd_deb_dir}/postrm)
# dpkg keeps local edits of conffiles across upgrades.
if(EXISTS ${PROJECT_SOURCE_DIR}/config/circuitd.toml)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/deb/conffiles.in ${_circuitd_deb_dir}/conffiles @ONLY)
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_circuitd_deb_dir}/conffiles)
endif()
include(CPack)
