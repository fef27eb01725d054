// mk_bench_live's protocol ladder: raw round trips that add the live kernel's protocol
// steps one at a time (slot poll, doorbell, vector reply, relay, back-off) and the
// one-trip wire slot the live kernel now uses, and a ring
// whose slots live in device memory instead of mapped pinned memory.
//
// The interface is plain C++17 without CUDA types so the C++20 host code can include
// it; raw_ladder.cu (nvcc, C++17) implements it. Only built when MK_BENCH_HAVE_CUDA.
// Every function returns "" on success, else what failed; every wait is bounded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raw_baselines.cuh"

namespace mk::bench::live_raw {

// One rung each; the host publishes a 16-word slot into mapped memory (words, then
// STATUS=PUBLISHED with release) and spins until it reads STATUS=DONE, then checks
// RESULT == args[0] + args[1].
enum class LadderStep {
  SlotPoll,            // one GPU thread polls the slot's first 16 bytes; fenced reply
  Doorbell,            // the host also rings a u64 doorbell on its own line; the thread polls that
  DoorbellVecReply,    // as Doorbell, but STATUS and RESULT go back in one 16-byte store, no fence
  DoorbellRelay,       // as Doorbell, but a poller block relays the doorbell to a worker block
                       // through device memory (the live kernel's structure)
  DoorbellRelaySleep,  // as DoorbellRelay, with the live kernel's idle back-off in the worker
  OneTrip,             // the live wire format: four tagged 16-byte chunks (host stores 3..1, then 0),
                       // four lanes load them in one instruction, the slot is taken when all four
                       // tags match, and lane 0 answers with one 8-byte completion record on its
                       // own line (no doorbell, no relay)
  OneTripAtomic,       // as OneTrip, plus one device-memory atomicAdd whose result the answer waits
                       // for (a live ATOMIC_ADD item's own work): the floor of that item
};

// One persistent kernel serves every sample of `step`; `ns` gets one wall-clock round
// trip per sample. max_backoff_ns is the longest idle sleep of DoorbellRelaySleep's
// worker (LiveOptions::max_idle_backoff); the other steps ignore it.
// @warning host-device handshake: the kernel leaves only on its in-band stop (a slot
// with OP_SHUTDOWN, or the doorbell's stop value); a kernel that never starts or never
// answers is reported after spec.timeout_ns and its buffers are leaked, not freed.
std::string ladder_round_trip(LadderStep step, const RoundTripSpec& spec, std::uint32_t max_backoff_ns,
                              std::vector<double>& ns);

// raw_ring_throughput with the ring in device memory: the host encodes each batch into
// pinned staging, copies it into the device ring (cudaMemcpyAsync, a few copies in
// flight), and once a copy has landed rings a mapped u64 doorbell. The first warp's
// lane 0 polls the doorbell over PCIe and relays it into device memory; the other
// lanes own ring positions p % workers, read their slot from device memory, do the
// item's atomicAdd and write STATUS=DONE + RESULT into a mapped completion array with
// release; the host reclaims in order. Observables are checked as raw_ring_throughput's.
// RingReport::lanes counts the poller warp too (as LiveSession::lanes does); slot_count
// is spec.slot_count (positions, not slots, are owned, so no rounding).
// @warning host-device handshake: the lanes leave only once the poller sees the mapped
// stop word, which is set on every path; a ring that stops moving is reported after
// timeout_ns and its buffers are leaked.
std::string device_ring_throughput(const RingSpec& spec, RingReport& report);

// The device ring with batches of one item: encode, copy, wait for the copy, ring,
// spin on the completion. 32 worker lanes with the live kernel's idle back-off (up to
// max_backoff_ns). Each RESULT is checked (every item adds 1 to one observable word, so
// RESULT = the items before it), and the observable after the last sample.
std::string device_ring_round_trip(const RoundTripSpec& spec, std::uint32_t max_backoff_ns, std::vector<double>& ns);

}  // namespace mk::bench::live_raw
