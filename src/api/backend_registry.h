// The backend registry inside the library: the built-in table plus entries tests add.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/backend_entry.h"

namespace mk::detail {

// The entries this build links in (src/api/backend_list.cpp), in listing order.
std::span<const BackendEntry* const> builtin_backends() noexcept;

// Built-in entries, then registered ones. Pointers stay valid for the process.
std::vector<const BackendEntry*> registered_backends();
// Null when no entry has that name.
const BackendEntry* find_backend(std::string_view name);

// Test support: add an entry after the built-in ones (the entry must outlive every use).
// InvalidArgument when the name is taken or is "auto". Shipped backends go in backend_list.cpp.
Status register_backend(const BackendEntry& entry);

}  // namespace mk::detail
