// Facts fixed at build time (version, git commit, CUDA) and the JIT cache location.
#pragma once

#include <string>

namespace mk::cli {

std::string version();
std::string git_commit();  // "unknown" outside a git checkout
// $XDG_CACHE_HOME/megakernel, else $HOME/.cache/megakernel; "" when neither is set.
std::string jit_cache_dir();
// Where scripts/plot_bench.py lives (installed copy first, then the source tree); "" if absent.
std::string plot_script_path();

}  // namespace mk::cli
