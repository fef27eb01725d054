// mk-worker: the process an isolated backend runs its context in. Started by the
// supervisor (posix_spawn) with the shared arena as fd 3; dies with its parent.
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "isolate/channel.h"
#include "isolate/worker/worker.h"

namespace {

// Exit statuses before the channel can carry an error.
constexpr int EXIT_USAGE = 64;
constexpr int EXIT_ORPHAN = 65;
constexpr int EXIT_CHANNEL = 66;

bool parse_u64(const char* text, unsigned long long& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(text, &end, 10);
  return errno == 0 && end != text && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mk::isolate;
  worker::Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    unsigned long long v = 0;
    if (key == "--backend") {
      args.backend = argv[i + 1];
      continue;
    }
    if (!parse_u64(argv[i + 1], v)) {
      std::fprintf(stderr, "mk-worker: %s needs a number\n", key.c_str());
      return EXIT_USAGE;
    }
    if (key == "--parent")
      args.parent = static_cast<pid_t>(v);
    else if (key == "--cpu-threads")
      args.cpu.threads = static_cast<std::uint32_t>(v);
    else if (key == "--cpu-deterministic")
      args.cpu.deterministic = v != 0;
    else if (key == "--spin-us")
      args.spin = std::chrono::microseconds(v);
    else if (key == "--heartbeat-ms")
      args.heartbeat = std::chrono::milliseconds(v == 0 ? 1 : v);
    else {
      std::fprintf(stderr, "mk-worker: unknown option %s (this program is started by the megakernel library)\n",
                   key.c_str());
      return EXIT_USAGE;
    }
  }
  if (args.parent <= 0) {
    std::fprintf(stderr, "mk-worker: started without --parent; it is run by the megakernel library, not by hand\n");
    return EXIT_USAGE;
  }
  // Die with the supervisor (no orphans holding a GPU context), and make sure it did not
  // die before this was set.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != args.parent) return EXIT_ORPHAN;
  // Ctrl-C is the caller's to handle; the worker goes when the caller does.
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  void* channel = mmap(nullptr, CHANNEL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, ARENA_FD, 0);
  if (channel == MAP_FAILED) return EXIT_CHANNEL;
  const ChannelHeader* header = channel_header(channel);
  if (header->magic != CHANNEL_MAGIC || header->version != CHANNEL_VERSION) return EXIT_CHANNEL;
  worker::Worker w(args, channel);
  return w.run();
}
