// SPDX-License-Identifier: GPL-3.0-or-later
#include "resources/icons.h"

namespace Tandem::Resources {

QString iconPath(QStringView name)
{
    return QStringLiteral(":/icons/") + name + QStringLiteral(".svg");
}

QIcon icon(QStringView name)
{
    return QIcon(iconPath(name));
}

} // namespace Tandem::Resources
