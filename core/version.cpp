// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/version.h"

namespace Tandem {

QString version()
{
    return QStringLiteral(TANDEM_VERSION);
}

} // namespace Tandem
