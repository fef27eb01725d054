// Public error type: every fallible call returns mk::Result<T> or throws mk::Error.
#pragma once

#include <cuda/std/expected>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mk {

enum class ErrorKind { QueueFull, Malformed, Unsupported, Backend, DeviceLost, InvalidArgument };

std::string_view to_string(ErrorKind kind) noexcept;

// What went wrong (naming the buffer and word) and a concrete fix.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string fix);

  ErrorKind kind() const noexcept { return m_kind; }
  const std::string& message() const noexcept { return m_message; }
  const std::string& fix() const noexcept { return m_fix; }

 private:
  ErrorKind m_kind;
  std::string m_message;
  std::string m_fix;
};

template <class T>
using Result = cuda::std::expected<T, Error>;
using Status = Result<void>;

// Shorthand for the failing branch: `return mk::fail(ErrorKind::Malformed, "...", "...");`
inline cuda::std::unexpected<Error> fail(ErrorKind kind, std::string message, std::string fix) {
  return cuda::std::unexpected<Error>(Error(kind, std::move(message), std::move(fix)));
}

// Unwrap a Result for the throwing API forms.
template <class T>
T value_or_throw(Result<T>&& result) {
  if (!result) throw std::move(result.error());
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace mk

// Propagate the error of a Result-returning expression: MK_TRY(check(x));
#define MK_TRY(expr)                                                                  \
  do {                                                                                \
    if (auto mk_try_result_ = (expr); !mk_try_result_)                                \
      return ::cuda::std::unexpected<::mk::Error>(std::move(mk_try_result_.error())); \
  } while (0)
