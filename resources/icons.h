// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QIcon>
#include <QString>

namespace Tandem::Resources {

/// The bundled icon :/icons/<name>.svg, e.g. icon(u"note-new"). SVG icons need Qt's svg
/// icon engine plugin at run time (Debian: libqt6svg6); without it the icon is null.
QIcon icon(QStringView name);

/// The resource path of a bundled icon: ":/icons/<name>.svg".
QString iconPath(QStringView name);

} // namespace Tandem::Resources
