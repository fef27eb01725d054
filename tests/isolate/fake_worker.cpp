// mk_test_fake_worker: the real worker with a tamper that lies, chosen by
// MK_FAKE_WORKER_MODE. Each incarnation answers canary dispatches honestly (so it starts
// and passes health checks), then corrupts its answer to the first other one-shot dispatch:
//   exit-early   exit with status 7 before the hello      bad-hello   a hello that is not JSON
//   bad-state    the state word 0xDEAD                      silent      never says hello
//   seq          a response sequence number never asked for status    status word 0x77
//   error        an error reply of kind 99                 payload     payload length 0xFFFFFFFF
//   stats        device_ns_known = 7                       control     control MAGIC overwritten
//   ring         slot 0 STATUS 0x99
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "isolate/channel.h"
#include "isolate/worker/worker.h"

int main(int argc, char** argv) {
  using namespace mk::isolate;
  const char* env = std::getenv("MK_FAKE_WORKER_MODE");
  const std::string mode = env ? env : "";
  worker::Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--parent") args.parent = static_cast<pid_t>(std::atol(argv[i + 1]));
    if (key == "--backend") args.backend = argv[i + 1];
  }
  args.heartbeat = std::chrono::milliseconds(5);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != args.parent) return 65;
  void* channel = mmap(nullptr, CHANNEL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, ARENA_FD, 0);
  if (channel == MAP_FAILED) return 66;
  ChannelHeader* header = channel_header(channel);
  if (mode == "exit-early") return 7;
  if (mode == "bad-hello" || mode == "bad-state") {
    std::memcpy(channel_payload(channel), "not json", 8);
    header->hello_bytes = 8;
    header->state.store(mode == "bad-state" ? 0xDEADu : WORKER_READY);
    for (;;) pause();
  }
  if (mode == "silent") {
    for (;;) {
      header->heartbeat.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  bool tampered = false;
  constexpr std::uint64_t CANARY_RING_WORDS = 64 * 16;  // the supervisor's canary: answered honestly
  worker::Tamper tamper = [&](worker::TamperContext& c) -> bool {
    if (c.request.command != static_cast<std::uint32_t>(Command::OneShot) || c.request.arg[4] == CANARY_RING_WORDS ||
        tampered)
      return false;
    tampered = true;
    if (mode == "seq") {
      c.header.response_seq.store(0xBADBADu);
      return true;
    }
    if (mode == "status") c.response.status = 0x77;
    if (mode == "error") {
      c.response.status = REPLY_ERROR;
      const std::uint32_t words[3] = {99, 0, 0};
      std::memcpy(c.payload, words, sizeof words);
      c.payload_bytes = sizeof words;
    }
    if (mode == "payload") {
      c.response.status = REPLY_ERROR;
      c.payload_bytes = 0xFFFFFFFFu;
    }
    if (mode == "stats") c.response.value[STATS_DEVICE_NS_KNOWN] = 7;
    if (mode == "control" || mode == "ring") {
      const std::uint64_t offset = mode == "control" ? c.request.arg[1] : c.request.arg[3];
      if (auto* p = reinterpret_cast<std::uint32_t*>(c.resolve(offset, 4)))
        *p = mode == "control" ? 0x12345678u : 0x99u;
    }
    return false;
  };
  worker::Worker w(args, channel, std::move(tamper));
  return w.run();
}
