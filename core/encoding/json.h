// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/encoding/any.h"

#include <optional>
#include <string>
#include <string_view>

namespace Tandem::Encoding {

/// Parses JSON text into an Any, keeping object keys in document order (as JSON.parse does,
/// which matters for byte-exact re-encoding). Lone surrogate escapes become U+FFFD.
/// Depth is limited; on failure returns nothing and describes the problem in @p error.
std::optional<Any> parseJson(std::string_view text, std::string *error = nullptr);

} // namespace Tandem::Encoding
