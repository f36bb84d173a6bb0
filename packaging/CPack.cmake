# SPDX-License-Identifier: GPL-3.0-or-later
# Packages (included at the end of the root CMakeLists.txt):
#   Linux:   cpack -G "DEB;TGZ"   (packaging/check-deb.sh builds, lints and test-installs them)
#   Windows: cpack -G NSIS        (not verified here)
#   macOS:   cpack -G DragNDrop   (not verified here)
# Only what install() rules name is packaged: configure package builds with
# -DTANDEM_BUILD_TESTS=OFF -DTANDEM_BUILD_BENCHMARKS=OFF (the release preset does), which
# leaves the test and tool targets out entirely.

set(CPACK_PACKAGE_NAME "tandem")
set(CPACK_PACKAGE_VENDOR "Tandem developers")
set(CPACK_PACKAGE_CONTACT "Tandem developers <tandem@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Real-time collaborative notes")
# Lines of at most 80 characters: the .deb's extended description uses them as they are.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
    "Tandem is a notes editor for several people at once. A room holds notes;"
    "everyone who joins it sees the same notes and the others' cursors, and edits"
    "merge without conflicts. It hosts rooms itself (also headless, with"
    "tandem --serve, and as a systemd service that is not enabled by default),"
    "keeps joined rooms for offline work, and speaks the Yjs sync protocol, so Yjs"
    "web pages (y-websocket) can join the same rooms. tandem cat, export and"
    "import read and write notes from scripts.")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/tandem/tandem")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "Tandem")
set(CPACK_PACKAGE_EXECUTABLES "tandem" "Tandem")
set(CPACK_STRIP_FILES ON)

if(UNIX AND NOT APPLE)
    set(CPACK_GENERATOR "DEB;TGZ")
    set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")

    # --- DEB ---
    set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)                  # tandem_<version>_<arch>.deb
    set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
    set(CPACK_DEBIAN_PACKAGE_SECTION "editors")
    set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
    set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${CPACK_PACKAGE_HOMEPAGE_URL}")
    # Libraries the binary links (Qt Core/Gui/Widgets/Network/Sql/WebSockets, libstdc++...).
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
    # Plugins Qt loads at run time, which dpkg-shlibdeps cannot see: the SQLite driver (every
    # room is stored in SQLite), the platform plugins (xcb; wayland recommended), and the SVG
    # icon engine and image format (all icons are SVG).
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite, qt6-qpa-plugins, libqt6svg6")
    set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-wayland, qt6-translations-l10n")
    # postinst/prerm/postrm for the systemd unit (which they do not enable; see tandem.service).
    set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
        "${CMAKE_CURRENT_LIST_DIR}/linux/debian/postinst"
        "${CMAKE_CURRENT_LIST_DIR}/linux/debian/prerm"
        "${CMAKE_CURRENT_LIST_DIR}/linux/debian/postrm")
    set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
    set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")

    # TGZ: tandem-<version>-Linux.tar.gz, the same files under tandem-<version>-Linux/usr/
    # (CPACK_PACKAGING_INSTALL_PREFIX applies to it too).
endif()

if(WIN32)
    # NSIS installer: Start-menu entry from CPACK_PACKAGE_EXECUTABLES, the Qt runtime from the
    # deploy script installed in packaging/CMakeLists.txt (qt_generate_deploy_app_script).
    set(CPACK_GENERATOR "NSIS")
    set(CPACK_NSIS_PACKAGE_NAME "Tandem")
    set(CPACK_NSIS_DISPLAY_NAME "Tandem ${PROJECT_VERSION}")
    set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\\\tandem.exe")
    set(CPACK_NSIS_URL_INFO_ABOUT "${CPACK_PACKAGE_HOMEPAGE_URL}")
    set(CPACK_NSIS_CONTACT "${CPACK_PACKAGE_CONTACT}")
    set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
    set(CPACK_NSIS_MODIFY_PATH OFF)
    set(CPACK_NSIS_EXECUTABLES_DIRECTORY "bin")
    set(CPACK_NSIS_MUI_FINISHPAGE_RUN "tandem.exe")
    set(CPACK_PACKAGE_INSTALL_REGISTRY_KEY "Tandem")
endif()

if(APPLE)
    # A disk image holding Tandem.app (MACOSX_BUNDLE; Info.plist and icon: packaging/CMakeLists.txt),
    # with the Qt frameworks put inside by macdeployqt through the deploy script.
    set(CPACK_GENERATOR "DragNDrop")
    set(CPACK_DMG_VOLUME_NAME "Tandem ${PROJECT_VERSION}")
    set(CPACK_DMG_FORMAT "UDZO")
endif()

include(CPack)
