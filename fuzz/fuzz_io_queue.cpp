// libFuzzer target: I/O queue listing and completion on arbitrary bytes.
#include "fuzz_util.h"

using namespace mk;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes io = fuzz::aligned_copy(data, size);
  const auto view = try_read_io_requests(io);
  if (view) {
    for (const IoRequest& request : view->requests) {
      check(request.index < view->capacity && request.status != abi::IO_STATUS_EMPTY &&
            request.status <= abi::IO_STATUS_POSTING);
    }
  } else {
    check(view.error().kind() == ErrorKind::Malformed);
  }

  const std::uint32_t p0 = fuzz::tail_word(data, size, 0);
  const std::uint32_t p1 = fuzz::tail_word(data, size, 1);
  const std::uint32_t index = p0 & 0xFF;
  const bool ok = (p0 & 0x100) != 0;
  const std::uint32_t delivered = p1;
  const Bytes before = io;
  const auto completed = try_complete_io_request(io, index, ok, delivered);
  if (view) {
    // On a queue that lists cleanly, completion succeeds exactly for a waiting entry.
    bool waiting = false;
    for (const IoRequest& request : view->requests) {
      waiting |= request.index == index &&
                 (request.status == abi::IO_STATUS_REQUESTED || request.status == abi::IO_STATUS_SERVICING) &&
                 (!ok || delivered <= request.byte_count);
    }
    check(completed.has_value() == waiting);
  }
  if (!completed) {
    check(io == before);
    return 0;
  }
  // Success needs a well-formed header and that entry waiting for the host (other
  // entries are not the completer's business)...
  const auto words = try_as_words(ConstByteSpan(before), "io queue");
  check(words.has_value() && words->size() > abi::IO_HEADER_WORDS && index < (*words)[abi::IO_CAPACITY]);
  const std::size_t base = abi::IO_HEADER_WORDS + std::size_t{index} * abi::IO_REQUEST_WORDS;
  const std::uint32_t was = (*words)[base + abi::REQ_STATUS];
  const std::uint32_t asked = (*words)[base + abi::REQ_BYTE_COUNT];
  check(was == abi::IO_STATUS_REQUESTED || was == abi::IO_STATUS_SERVICING);
  check(!ok || delivered <= asked);
  // ...and leaves it completed (STATUS and BYTE_COUNT only), once.
  const auto after = try_as_words(ConstByteSpan(io), "io queue");
  for (std::size_t w = 0; w < after->size(); ++w) {
    if (w == base + abi::REQ_STATUS) {
      check((*after)[w] == (ok ? abi::IO_STATUS_OK : abi::IO_STATUS_ERROR));
    } else if (w == base + abi::REQ_BYTE_COUNT) {
      check((*after)[w] == (ok ? delivered : asked));
    } else {
      check((*after)[w] == (*words)[w]);
    }
  }
  check(!try_complete_io_request(io, index, ok, delivered).has_value());
  return 0;
}
