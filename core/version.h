// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace Tandem {

/// The application version ("0.1.0").
QString version();

} // namespace Tandem
