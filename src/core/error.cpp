// mk::Error: the kind names and the what() text.
#include "mk/error.h"

namespace mk {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::QueueFull:
      return "QueueFull";
    case ErrorKind::Malformed:
      return "Malformed";
    case ErrorKind::Unsupported:
      return "Unsupported";
    case ErrorKind::Backend:
      return "Backend";
    case ErrorKind::DeviceLost:
      return "DeviceLost";
    case ErrorKind::InvalidArgument:
      return "InvalidArgument";
  }
  return "Unknown";
}

Error::Error(ErrorKind kind, std::string message, std::string fix)
    : std::runtime_error(std::string(to_string(kind)) + ": " + message + " (fix: " + fix + ")"),
      m_kind(kind),
      m_message(std::move(message)),
      m_fix(std::move(fix)) {}

}  // namespace mk
