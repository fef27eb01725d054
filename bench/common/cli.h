// Flag parsing for the bench binaries: CLI11, with the exit codes the scripts rely on.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace mk::bench {

// Parse argv into `app`. nullopt: go on. Otherwise the program's exit code: 0 after
// --help (printed on stdout), 2 for a usage error (the error and the usage on stderr).
inline std::optional<int> parse_flags(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "%s: %s\n%s", app.get_name().c_str(), e.what(), app.help().c_str());
    return 2;
  }
}

}  // namespace mk::bench
