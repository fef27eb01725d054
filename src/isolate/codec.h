// What crosses the channel besides fixed words: pipeline specs and device lists (JSON),
// errors (kind, message, fix), and feature sets; every decoder validates what it reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mk/backend.h"

namespace mk::isolate {

// Every Feature, for the bit set a worker reports.
inline constexpr Feature ALL_FEATURES[] = {Feature::OneShot,         Feature::IoQueue,          Feature::DebugLog,
                                           Feature::CustomOpcodes,   Feature::PayloadProcessor, Feature::DeviceTime,
                                           Feature::ResidentHandles, Feature::ManyLaunch,       Feature::LiveSession,
                                           Feature::Trace,           Feature::CompactBatch};
inline std::uint64_t feature_bit(Feature f) { return std::uint64_t{1} << static_cast<unsigned>(f); }

std::string encode_spec(const PipelineSpec& spec);
Result<PipelineSpec> decode_spec(std::span<const std::byte> bytes);

// What a worker says once its backend exists.
struct Hello {
  std::string backend;  // one of the registry's names (never "auto")
  std::uint64_t features = 0;
  std::vector<DeviceInfo> devices;
};
std::string encode_hello(const Hello& hello);
// Malformed (naming what was wrong) for anything but a well-formed hello naming one of
// `backends` (the registry's names: mk_isolate sits below the registry, so it is told them).
Result<Hello> decode_hello(std::span<const std::byte> bytes, std::span<const std::string> backends);

// An Error as bytes: u32 kind, u32 message length, u32 fix length, the two strings.
// encode_error truncates to fit `out` and returns the bytes written.
std::size_t encode_error(const Error& error, std::span<std::byte> out);
// The error back; Malformed when the bytes are not one (a kind out of range, lengths
// past the buffer). Control characters in the strings are replaced.
Result<Error> decode_error(std::span<const std::byte> bytes);

// Printable text of untrusted bytes (control characters become '?', at most `limit`).
std::string printable(std::string_view text, std::size_t limit = 1024);

}  // namespace mk::isolate
