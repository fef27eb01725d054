// Progress bar on stderr for long benches (TTY only, so logs and pipes stay clean).
#include "progress.h"

#include <cstdio>
#include <unistd.h>

namespace mk::cli {

ProgressBar::ProgressBar() : m_enabled(isatty(STDERR_FILENO) != 0) {}

void ProgressBar::update(const std::string& label, std::size_t done, std::size_t total) {
  if (!m_enabled || total == 0) return;
  constexpr std::size_t WIDTH = 30;
  const std::size_t filled = done * WIDTH / total;
  std::string bar(filled, '#');
  bar.append(WIDTH - filled, '.');
  std::fprintf(stderr, "\r[%s] %-24.24s %zu/%zu", bar.c_str(), label.c_str(), done, total);
  std::fflush(stderr);
  m_drawn = true;
}

void ProgressBar::finish() {
  if (!m_enabled || !m_drawn) return;
  std::fprintf(stderr, "\r%72s\r", "");
  std::fflush(stderr);
  m_drawn = false;
}

}  // namespace mk::cli
