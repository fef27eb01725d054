// A one-line progress bar on stderr, drawn only when stderr is a terminal.
#pragma once

#include <cstddef>
#include <string>

namespace mk::cli {

class ProgressBar {
 public:
  ProgressBar();  // enabled when stderr is a TTY
  void update(const std::string& label, std::size_t done, std::size_t total);
  void finish();  // erases the line
  bool enabled() const noexcept { return m_enabled; }

 private:
  bool m_enabled;
  bool m_drawn = false;
};

}  // namespace mk::cli
