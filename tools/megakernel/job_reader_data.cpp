// Job reader: data sections (init words written before dispatch, io_sources for LOAD_MISS).
#include <set>
#include <string>

#include "job_reader_detail.h"

namespace mk::cli::detail {

void read_init(const Json* init, Job& job) {
  if (!init) return;
  array_at(*init, "init");
  for (std::size_t i = 0; i < init->size(); ++i) {
    const std::string path = path_index("init", i);
    const Json& entry = object_at((*init)[i], path, {"at", "words"});
    const Json* at = member(entry, "at");
    const Json* words = member(entry, "words");
    if (!at) fail_at(path, "missing \"at\"", "add \"at\": the first observable index to write");
    if (!words) fail_at(path, "missing \"words\"", "add \"words\": [u32, ...]");
    JobInit out;
    out.at = u32_at(*at, path_key(path, "at"));
    array_at(*words, path_key(path, "words"));
    if (words->size() > job.observables) {
      fail_at(path_key(path, "words"),
              std::to_string(words->size()) + " words do not fit the observable region of " +
                  std::to_string(job.observables) + " words",
              "write fewer words or raise \"observables\"");
    }
    for (std::size_t k = 0; k < words->size(); ++k) {
      out.words.push_back(u32_at((*words)[k], path_index(path_key(path, "words"), k)));
    }
    const std::uint64_t end = std::uint64_t{out.at} + out.words.size();
    if (end > job.observables) {
      fail_at(path,
              "words [" + std::to_string(out.at) + ", " + std::to_string(end) + ") run past the observable region of " +
                  std::to_string(job.observables) + " words",
              "lower \"at\", write fewer words or raise \"observables\"");
    }
    job.init.push_back(std::move(out));
  }
}

void read_io_sources(const Json* sources, Job& job) {
  if (!sources) return;
  array_at(*sources, "io_sources");
  std::set<std::uint32_t> seen;
  for (std::size_t i = 0; i < sources->size(); ++i) {
    const std::string path = path_index("io_sources", i);
    const Json& entry = object_at((*sources)[i], path, {"id", "file", "bytes"});
    const Json* id = member(entry, "id");
    const Json* file = member(entry, "file");
    const Json* bytes = member(entry, "bytes");
    if (!id) fail_at(path, "missing \"id\"", "add \"id\": the source number LOAD_MISS names in its first argument");
    if ((file == nullptr) == (bytes == nullptr)) {
      fail_at(path, "an I/O source needs exactly one of \"file\" and \"bytes\"",
              "give either \"file\": \"data.bin\" or \"bytes\": [u8, ...]");
    }
    JobIoSource out;
    out.id = u32_at(*id, path_key(path, "id"));
    if (!seen.insert(out.id).second) {
      fail_at(path_key(path, "id"), "I/O source id " + std::to_string(out.id) + " is listed twice",
              "give each source a distinct id");
    }
    if (file) {
      const std::string name = string_at(*file, path_key(path, "file"));
      if (name.empty()) fail_at(path_key(path, "file"), "empty file name", "name a file relative to the I/O root");
      for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
          // A NUL would cut the name the system opens short of the name shown.
          fail_at(path_key(path, "file"), "file name " + quote_text(name) + " holds a NUL or control character",
                  "name the file with printable characters only");
        }
      }
      out.file = name;
    } else {
      array_at(*bytes, path_key(path, "bytes"));
      out.bytes.reserve(bytes->size());
      for (std::size_t k = 0; k < bytes->size(); ++k) {
        out.bytes.push_back(static_cast<std::byte>(u32_at((*bytes)[k], path_index(path_key(path, "bytes"), k), 255)));
      }
    }
    job.io_sources.push_back(std::move(out));
  }
}

}  // namespace mk::cli::detail
