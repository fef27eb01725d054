// The mk-worker process: owns the backend (CUDA context or CPU threads), maps the shared
// segments, answers the supervisor's commands and relays its live engines' status.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "isolate/channel.h"
#include "isolate/live_layout.h"
#include "mk/backend.h"

namespace mk::isolate::worker {

// Test seam (tests/isolate/fake_worker.cpp builds a worker that lies): called after each
// answer, before it is published; returning true means the tamper published (or withheld)
// the response itself. mk-worker never sets one.
struct TamperContext {
  ChannelHeader& header;
  std::byte* payload;
  const Request& request;
  Response& response;
  std::size_t& payload_bytes;
  std::function<std::byte*(std::uint64_t offset, std::uint64_t bytes)> resolve;
};
using Tamper = std::function<bool(TamperContext&)>;

struct Args {
  pid_t parent = 0;
  std::string backend = "cpu";
  CpuBackendOptions cpu;
  std::chrono::microseconds spin{200};
  std::chrono::milliseconds heartbeat{100};
};

class Worker {
 public:
  Worker(const Args& args, void* channel, Tamper tamper = {});
  ~Worker();
  int run();  // until Quit; the exit status

 private:
  struct Mapping {
    std::byte* data = nullptr;
    std::size_t bytes = 0;
    bool registered = false;
  };
  struct Live {
    std::unique_ptr<LiveEngine> engine;
    LiveRelay* relay = nullptr;
    WordSpan control;  // the segment's control area: the final words land there at stop
  };

  std::uint32_t wait_request(std::uint32_t last);
  void answer(const Request& request, Response& response, std::size_t& payload_bytes);
  Status handle(const Request& request, Response& response);
  Status map_segment(std::uint64_t offset, std::uint64_t bytes);
  Status unmap_segment(std::uint64_t offset);
  // The mapped bytes [offset, offset + bytes) or InvalidArgument.
  Result<std::byte*> resolve(std::uint64_t offset, std::uint64_t bytes) const;
  Result<WordSpan> words(std::uint64_t offset, std::uint64_t count) const;
  Result<std::shared_ptr<const Pipeline>> pipeline(std::uint64_t handle) const;
  Status one_shot(const Request& r, Response& response);
  Status batch(const Request& r, Response& response);
  Status start_live(const Request& r, Response& response);
  Status stop_live(const Request& r);
  Status live_read_control(const Request& r);
  Status live_set_stalled(const Request& r);
  void heartbeat_loop();
  void relay_lives();
  void stop_everything();

  Args m_args;
  Tamper m_tamper;
  ChannelHeader* m_header;
  std::byte* m_payload;
  std::shared_ptr<Backend> m_backend;
  bool m_cuda = false;
  std::map<std::uint64_t, Mapping> m_segments;  // by arena offset
  std::map<std::uint64_t, std::shared_ptr<const Pipeline>> m_pipelines;
  std::uint64_t m_next_pipeline = 1;
  mutable std::mutex m_lives_mutex;  // the relay thread reads m_lives
  std::map<std::uint64_t, Live> m_lives;
  std::atomic<bool> m_quit{false};
  std::mutex m_quit_mutex;
  std::condition_variable m_quit_cv;
  std::thread m_heartbeat;
};

}  // namespace mk::isolate::worker
