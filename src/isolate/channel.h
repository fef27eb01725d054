// The supervisor <-> worker command channel: the first CHANNEL_BYTES of the shared arena
// (a memfd both processes map), one request at a time over two futex words. The
// supervisor validates every word the worker writes here before it uses it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mk::isolate {

inline constexpr std::uint32_t CHANNEL_MAGIC = 0x5743'4B4Du;  // "MKCW"
inline constexpr std::uint32_t CHANNEL_VERSION = 1;
inline constexpr std::size_t CHANNEL_BYTES = std::size_t{1} << 20;
inline constexpr std::size_t CHANNEL_HEADER_BYTES = 4096;
inline constexpr std::size_t PAYLOAD_BYTES = CHANNEL_BYTES - CHANNEL_HEADER_BYTES;
// The worker's file descriptor of the arena memfd (posix_spawn puts it there).
inline constexpr int ARENA_FD = 3;

// Written by the worker once its backend exists (Ready) or could not be made (Failed).
inline constexpr std::uint32_t WORKER_STARTING = 0;
inline constexpr std::uint32_t WORKER_READY = 1;
inline constexpr std::uint32_t WORKER_FAILED = 2;

// Commands; arguments in Request::arg, results in Response::value (see each handler in
// src/isolate/worker/). Offsets are byte offsets into the arena, inside a mapped segment.
enum class Command : std::uint32_t {
  MapSegment = 1,       // arg0 offset, arg1 bytes
  UnmapSegment = 2,     // arg0 offset
  BuildPipeline = 3,    // payload: spec JSON -> value0 handle
  ReleasePipeline = 4,  // arg0 handle
  OneShot = 5,          // arg0 handle, arg 1+2k / 2+2k: offset, words of control, ring, log, io -> stats
  Batch = 6,            // arg0 handle, see supervised_batch.cpp -> stats
  StartLive = 7,        // arg0 session, arg1 handle, arg2 segment, arg3 slots, arg4 control words,
                        // arg5 lanes, arg6 backoff ns, arg7 max_sms, arg8 first laps given -> value0 lanes
  StopLive = 8,         // arg0 session, arg1 timeout ns
  LiveReadControl = 9,  // arg0 session, arg1 out offset, arg2 words
  LiveSetStalled = 10,  // arg0 session, arg1 stalled
  Quit = 11,
};
inline constexpr std::uint32_t COMMAND_END = 12;

inline constexpr std::uint32_t REPLY_OK = 0;
inline constexpr std::uint32_t REPLY_ERROR = 1;  // payload: an encoded mk::Error (codec.h)
inline constexpr std::uint32_t CHANNEL_ARGS = 16;

// LaunchStats in Response::value.
inline constexpr std::uint32_t STATS_DEVICE_NS = 0;
inline constexpr std::uint32_t STATS_DEVICE_NS_KNOWN = 1;
inline constexpr std::uint32_t STATS_SWEEPS = 2;
inline constexpr std::uint32_t STATS_BYTES_UP = 3;
inline constexpr std::uint32_t STATS_BYTES_DOWN = 4;

struct Request {
  std::uint32_t seq;
  std::uint32_t command;
  std::uint32_t payload_bytes;
  std::uint32_t reserved;
  std::uint64_t arg[CHANNEL_ARGS];
};

struct Response {
  std::uint32_t seq;
  std::uint32_t status;
  std::uint32_t payload_bytes;
  std::uint32_t reserved;
  std::uint64_t value[CHANNEL_ARGS];
};

using Atomic32 = std::atomic<std::uint32_t>;
using Atomic64 = std::atomic<std::uint64_t>;
static_assert(Atomic32::is_always_lock_free && Atomic64::is_always_lock_free,
              "atomics in shared memory must be address-free (lock-free)");

struct ChannelHeader {
  // Written by the supervisor before the spawn.
  std::uint32_t magic;
  std::uint32_t version;
  // Worker: WORKER_* (a futex word); the payload then holds the hello JSON or the error.
  alignas(64) Atomic32 state;
  std::uint32_t hello_bytes;
  // Worker: bumped by its heartbeat thread; frozen means a hung worker.
  alignas(64) Atomic64 heartbeat;
  // Supervisor: the sequence number of the posted request (the worker sleeps on it).
  alignas(64) Atomic32 request_seq;
  Atomic32 worker_sleeping;
  // Worker: the sequence number of the last answered request (the supervisor sleeps on it).
  alignas(64) Atomic32 response_seq;
  Atomic32 supervisor_sleeping;
  alignas(64) Request request;
  alignas(64) Response response;
};
static_assert(sizeof(ChannelHeader) <= CHANNEL_HEADER_BYTES, "the header fits its page");

inline ChannelHeader* channel_header(void* channel) { return static_cast<ChannelHeader*>(channel); }
inline std::byte* channel_payload(void* channel) { return static_cast<std::byte*>(channel) + CHANNEL_HEADER_BYTES; }

}  // namespace mk::isolate
