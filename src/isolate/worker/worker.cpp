// Worker: hello, the request loop (spin, then futex), and the heartbeat thread.
#include "isolate/worker/worker.h"

#include <sys/mman.h>

#include <cstring>

#include "isolate/codec.h"
#include "isolate/futex.h"
#include "isolate/worker/host_register.h"

namespace mk::isolate::worker {

using Clock = std::chrono::steady_clock;

Worker::Worker(const Args& args, void* channel, Tamper tamper)
    : m_args(args),
      m_tamper(std::move(tamper)),
      m_header(channel_header(channel)),
      m_payload(channel_payload(channel)) {}

Worker::~Worker() { stop_everything(); }

void Worker::stop_everything() {
  std::map<std::uint64_t, Live> lives;
  {
    std::lock_guard<std::mutex> lock(m_lives_mutex);
    lives.swap(m_lives);
  }
  for (auto& [id, live] : lives) (void)live.engine->stop(std::chrono::seconds(5));
  lives.clear();
  m_pipelines.clear();
  {
    std::lock_guard<std::mutex> lock(m_quit_mutex);
    m_quit.store(true, std::memory_order_release);
  }
  m_quit_cv.notify_all();
  if (m_heartbeat.joinable()) m_heartbeat.join();
  for (auto& [offset, m] : m_segments) {
    if (m.registered) unregister_host(m.data);
    munmap(m.data, m.bytes);
  }
  m_segments.clear();
  m_backend.reset();
}

int Worker::run() {
  m_heartbeat = std::thread([this] { heartbeat_loop(); });
  BackendOptions options;
  options.cpu = m_args.cpu;
  auto backend = make_backend(m_args.backend, options);
  if (!backend) {
    m_header->hello_bytes = static_cast<std::uint32_t>(encode_error(backend.error(), {m_payload, PAYLOAD_BYTES}));
    m_header->state.store(WORKER_FAILED, std::memory_order_release);
    futex_wake(m_header->state);
    stop_everything();
    return 0;
  }
  m_backend = std::move(*backend);
  m_cuda = m_backend->name() == "cuda";
  Hello hello;
  hello.backend = std::string(m_backend->name());
  for (Feature f : ALL_FEATURES)
    if (m_backend->supports(f)) hello.features |= feature_bit(f);
  hello.devices = m_backend->devices();
  const std::string text = encode_hello(hello);
  const std::size_t bytes = std::min(text.size(), PAYLOAD_BYTES);
  std::memcpy(m_payload, text.data(), bytes);
  m_header->hello_bytes = static_cast<std::uint32_t>(bytes);
  m_header->state.store(WORKER_READY, std::memory_order_release);
  futex_wake(m_header->state);

  std::uint32_t last = 0;
  for (;;) {
    const std::uint32_t seq = wait_request(last);
    last = seq;
    Request request;
    std::memcpy(&request, &m_header->request, sizeof request);
    Response response{};
    std::size_t payload = 0;
    answer(request, response, payload);
    response.seq = seq;
    if (m_tamper) {
      TamperContext context{*m_header, m_payload, request, response, payload, [this](std::uint64_t o, std::uint64_t b) {
                              auto p = resolve(o, b);
                              return p ? *p : nullptr;
                            }};
      if (m_tamper(context)) continue;
    }
    response.payload_bytes = static_cast<std::uint32_t>(payload);
    std::memcpy(&m_header->response, &response, sizeof response);
    m_header->response_seq.store(seq, std::memory_order_seq_cst);
    if (m_header->supervisor_sleeping.load(std::memory_order_seq_cst) != 0) futex_wake(m_header->response_seq);
    if (request.command == static_cast<std::uint32_t>(Command::Quit)) break;
  }
  stop_everything();
  return 0;
}

std::uint32_t Worker::wait_request(std::uint32_t last) {
  const auto spin_until = Clock::now() + m_args.spin;
  for (;;) {
    const std::uint32_t seq = m_header->request_seq.load(std::memory_order_acquire);
    if (seq != last) return seq;
    if (Clock::now() < spin_until) continue;
    m_header->worker_sleeping.store(1, std::memory_order_seq_cst);
    if (m_header->request_seq.load(std::memory_order_seq_cst) == last)
      futex_wait(m_header->request_seq, last, std::chrono::milliseconds(100));
    m_header->worker_sleeping.store(0, std::memory_order_relaxed);
  }
}

void Worker::answer(const Request& request, Response& response, std::size_t& payload) {
  Status done;
  try {
    done = handle(request, response);
  } catch (const Error& e) {
    done = cuda::std::unexpected(e);
  } catch (const std::exception& e) {
    done = fail(ErrorKind::Backend, std::string("the worker failed: ") + e.what(), "see the worker's stderr");
  }
  if (done) {
    response.status = REPLY_OK;
    return;
  }
  response.status = REPLY_ERROR;
  payload = encode_error(done.error(), {m_payload, PAYLOAD_BYTES});
}

Status Worker::handle(const Request& r, Response& response) {
  switch (static_cast<Command>(r.command)) {
    case Command::MapSegment:
      return map_segment(r.arg[0], r.arg[1]);
    case Command::UnmapSegment:
      return unmap_segment(r.arg[0]);
    case Command::BuildPipeline: {
      if (r.payload_bytes > PAYLOAD_BYTES)
        return fail(ErrorKind::InvalidArgument, "pipeline spec longer than the payload", "internal");
      auto spec = decode_spec({m_payload, r.payload_bytes});
      if (!spec) return cuda::std::unexpected(std::move(spec.error()));
      auto pipeline = m_backend->build_pipeline(*spec);
      if (!pipeline) return cuda::std::unexpected(std::move(pipeline.error()));
      const std::uint64_t handle = m_next_pipeline++;
      m_pipelines.emplace(handle, std::move(*pipeline));
      response.value[0] = handle;
      return {};
    }
    case Command::ReleasePipeline:
      m_pipelines.erase(r.arg[0]);
      return {};
    case Command::OneShot:
      return one_shot(r, response);
    case Command::Batch:
      return batch(r, response);
    case Command::StartLive:
      return start_live(r, response);
    case Command::StopLive:
      return stop_live(r);
    case Command::LiveReadControl:
      return live_read_control(r);
    case Command::LiveSetStalled:
      return live_set_stalled(r);
    case Command::Quit:
      return {};
  }
  return fail(ErrorKind::InvalidArgument, "unknown command " + std::to_string(r.command),
              "the worker and the library must come from the same build");
}

// The heartbeat says "this process runs"; while live engines exist the same loop relays
// their counters and health into shared memory often enough for drain() and the
// session watchdog.
void Worker::heartbeat_loop() {
  constexpr auto RELAY_PERIOD = std::chrono::microseconds(200);
  while (!m_quit.load(std::memory_order_acquire)) {
    m_header->heartbeat.fetch_add(1, std::memory_order_relaxed);
    bool lives = false;
    {
      std::lock_guard<std::mutex> lock(m_lives_mutex);
      lives = !m_lives.empty();
    }
    if (lives) {
      relay_lives();
      std::this_thread::sleep_for(RELAY_PERIOD);
      continue;
    }
    std::unique_lock<std::mutex> lock(m_quit_mutex);
    m_quit_cv.wait_for(lock, m_args.heartbeat, [&] {
      if (m_quit.load(std::memory_order_acquire)) return true;
      std::lock_guard<std::mutex> lives_lock(m_lives_mutex);
      return !m_lives.empty();
    });
  }
}

}  // namespace mk::isolate::worker
