// ProgressTicker: the lines a long `megakernel run` prints on stderr.
#include <gtest/gtest.h>

#include <sstream>

#include "progress_ticker.h"

namespace mk::cli::test {
namespace {

TEST(cli_progress, ReportNamesThePhaseAndElapsedTimeAndFinishCloses) {
  std::ostringstream err;
  {
    // An hour between ticks: only the explicit report below prints.
    ProgressTicker ticker(err, "megakernel run", std::chrono::hours(1));
    ticker.phase("running 1000000 items on cpu as a compact batch");
    ticker.report(std::chrono::milliseconds(2500));
    ticker.finish();
  }
  const std::string text = err.str();
  EXPECT_NE(text.find("megakernel run: running 1000000 items on cpu as a compact batch (2.5 s)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("megakernel run: done in"), std::string::npos) << text;
}

TEST(cli_progress, AQuickCommandPrintsNothing) {
  std::ostringstream err;
  {
    ProgressTicker ticker(err, "megakernel run", std::chrono::hours(1));
    ticker.phase("reading job.json");
    ticker.finish();
  }
  EXPECT_TRUE(err.str().empty()) << err.str();
}

TEST(cli_progress, StopAfterAnErrorPrintsNoClosingLine) {
  std::ostringstream err;
  ProgressTicker ticker(err, "megakernel run", std::chrono::hours(1));
  ticker.report(std::chrono::seconds(1));
  ticker.stop();
  ticker.finish();  // already stopped: no "done" after an error path stopped it
  EXPECT_EQ(err.str().find("done in"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace mk::cli::test
