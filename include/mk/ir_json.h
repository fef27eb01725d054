// nlohmann-json forms of the IR, for readers that already hold a parsed document (the
// CLI's job reader). Kept out of mk/ir.h so the public API does not pull in nlohmann.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "mk/ir.h"

namespace mk::ir {

// `path` names `json` in error messages, e.g. "opcodes[2].body"; errors are Malformed.
Result<Body> body_from_json(const nlohmann::json& json, std::string_view path);
// {"opcode": N, "name": "...", "body": [...]}; `path` e.g. "opcodes[2]".
Result<OpcodeHandler> handler_from_json(const nlohmann::json& json, std::string_view path);

nlohmann::json body_to_json_value(const Body& body);
nlohmann::json handler_to_json_value(const OpcodeHandler& handler);

}  // namespace mk::ir
