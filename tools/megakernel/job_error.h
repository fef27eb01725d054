// JobError: what is wrong with a job file, where (JSON path or line/column) and how to fix it.
#pragma once

#include <cuda/std/expected>
#include <string>

namespace mk::cli {

struct JobError {
  std::string file;     // job file as the user named it ("" when read from memory)
  std::string where;    // JSON path ("items[3].args"), "line 4, column 17", or "" for the whole file
  std::string at;       // "line 4, column 17" of the value at `where`, when known
  std::string message;  // what is wrong
  std::string fix;      // how to fix it

  // The one line printed on stderr: "FILE: WHERE (AT): MESSAGE; fix: FIX".
  std::string line() const;
};

template <class T>
using JobResult = cuda::std::expected<T, JobError>;

}  // namespace mk::cli
