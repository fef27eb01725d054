// NVRTC compilation to CUBIN, toolkit discovery, and mapping of compiler errors back to
// IR node paths.
#include "cuda/jit/nvrtc_compile.h"

#include <dlfcn.h>
#include <nvrtc.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>

namespace mk::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t MAX_LOG_IN_MESSAGE = 12000;

bool is_toolkit_root(const fs::path& root) {
  std::error_code ec;
  const fs::path inc = root / "include";
  return fs::exists(inc / "cooperative_groups.h", ec) &&
         (fs::exists(inc / "cccl" / "cuda" / "atomic", ec) || fs::exists(inc / "cuda" / "atomic", ec));
}

// The directory of the shared object NVRTC was loaded from, or "".
fs::path nvrtc_library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&nvrtcVersion), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  const fs::path lib = fs::weakly_canonical(fs::path(info.dli_fname), ec);
  return ec ? fs::path(info.dli_fname).parent_path() : lib.parent_path();
}

struct ProgramGuard {
  nvrtcProgram program = nullptr;
  ~ProgramGuard() {
    if (program) nvrtcDestroyProgram(&program);
  }
};

std::string program_log(nvrtcProgram program) {
  std::size_t size = 0;
  if (nvrtcGetProgramLogSize(program, &size) != NVRTC_SUCCESS || size <= 1) return {};
  std::string log(size, '\0');
  if (nvrtcGetProgramLog(program, log.data()) != NVRTC_SUCCESS) return {};
  log.resize(size - 1);  // drop the terminating NUL
  return log;
}

// "name(123): error: ..." -> 123, or 0 when the line does not have that shape.
std::uint32_t error_line_number(std::string_view line, std::string_view source_name) {
  if (line.substr(0, source_name.size()) != source_name || line.size() <= source_name.size() ||
      line[source_name.size()] != '(')
    return 0;
  std::uint32_t n = 0;
  std::size_t i = source_name.size() + 1;
  for (; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i)
    n = n * 10 + static_cast<std::uint32_t>(line[i] - '0');
  return i < line.size() && line[i] == ')' ? n : 0;
}

bool is_error_line(std::string_view line) {
  return line.find(": error") != std::string_view::npos || line.find("catastrophic error") != std::string_view::npos;
}

struct AnnotatedLog {
  std::string log;         // every line, those naming a lowered line with "  [IR: path]"
  std::string errors;      // the error lines alone, annotated the same way
  std::string first_path;  // IR path of the first error inside a handler
};

AnnotatedLog annotate(const std::string& log, const NvrtcRequest& request) {
  AnnotatedLog out;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string_view line(log.data() + start, end - start);
    std::string text(line);
    const std::uint32_t n = request.path_of_line ? error_line_number(line, request.source_name) : 0;
    const std::string path = n != 0 ? request.path_of_line(n) : std::string();
    if (!path.empty()) text += "  [IR: " + path + "]";
    if (is_error_line(line)) {
      out.errors += text + "\n";
      if (out.first_path.empty()) out.first_path = path;
    }
    out.log += text + "\n";
    start = end + 1;
  }
  return out;
}

std::string nvrtc_message(nvrtcResult r) { return std::string(nvrtcGetErrorString(r)); }

}  // namespace

NvrtcVersion nvrtc_version() noexcept {
  NvrtcVersion v;
  if (nvrtcVersion(&v.major, &v.minor) != NVRTC_SUCCESS) v = {};
  return v;
}

bool nvrtc_supports_arch(int major, int minor) noexcept {
  int count = 0;
  if (nvrtcGetNumSupportedArchs(&count) != NVRTC_SUCCESS || count <= 0) return false;
  std::vector<int> archs(static_cast<std::size_t>(count));
  if (nvrtcGetSupportedArchs(archs.data()) != NVRTC_SUCCESS) return false;
  const int wanted = major * 10 + minor;
  for (int a : archs)
    if (a == wanted) return true;
  return false;
}

Result<std::string> find_toolkit_root() {
  std::vector<fs::path> candidates;
  for (const char* var : {"CUDA_PATH", "CUDA_HOME"})
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') candidates.emplace_back(v);
  if (const fs::path lib = nvrtc_library_dir(); !lib.empty())
    for (fs::path p = lib.parent_path(); !p.empty() && candidates.size() < 8; p = p.parent_path()) {
      candidates.push_back(p);  // lib64/.., targets/<arch>/lib/.., ...
      if (p == p.root_path()) break;
    }
#ifdef MK_JIT_BUILD_TOOLKIT_ROOT
  candidates.emplace_back(MK_JIT_BUILD_TOOLKIT_ROOT);
#endif
  candidates.emplace_back("/usr/local/cuda");
  std::string tried;
  for (const fs::path& c : candidates) {
    if (is_toolkit_root(c)) return c.string();
    tried += (tried.empty() ? "" : ", ") + c.string();
  }
  return fail(ErrorKind::Backend,
              "the JIT needs the CUDA toolkit headers (include/cooperative_groups.h and CCCL's cuda/atomic) for "
              "NVRTC; none of these has them: " +
                  tried,
              "set CUDA_PATH to the CUDA toolkit root, e.g. `export CUDA_PATH=/usr/local/cuda`");
}

std::vector<std::string> toolkit_include_options(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path inc = fs::path(root) / "include";
  if (fs::exists(inc / "cccl", ec)) out.push_back("-I" + (inc / "cccl").string());
  out.push_back("-I" + inc.string());
  return out;
}

Result<NvrtcOutput> nvrtc_compile(const NvrtcRequest& request) {
  std::vector<std::string> names, texts;
  for (const EmbeddedHeader& h : request.headers) {
    names.emplace_back(h.name);
    texts.emplace_back(h.text);
  }
  std::vector<const char*> name_ptrs, text_ptrs, option_ptrs;
  for (std::size_t i = 0; i < names.size(); ++i) {
    name_ptrs.push_back(names[i].c_str());
    text_ptrs.push_back(texts[i].c_str());
  }
  for (const std::string& o : request.options) option_ptrs.push_back(o.c_str());

  const std::string source(request.source);
  const std::string source_name(request.source_name);
  ProgramGuard guard;
  nvrtcResult r = nvrtcCreateProgram(&guard.program, source.c_str(), source_name.c_str(),
                                     static_cast<int>(name_ptrs.size()), text_ptrs.data(), name_ptrs.data());
  if (r != NVRTC_SUCCESS)
    return fail(ErrorKind::Backend, "nvrtcCreateProgram failed: " + nvrtc_message(r),
                "check that the NVRTC library matches the CUDA toolkit (`megakernel info`)");

  const auto start = std::chrono::steady_clock::now();
  r = nvrtcCompileProgram(guard.program, static_cast<int>(option_ptrs.size()), option_ptrs.data());
  NvrtcOutput out;
  out.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  out.log = program_log(guard.program);
  if (r != NVRTC_SUCCESS) {
    AnnotatedLog annotated = annotate(out.log, request);
    const std::string& where = annotated.first_path;
    std::string log = std::move(annotated.log);
    if (log.size() > MAX_LOG_IN_MESSAGE) log = log.substr(0, MAX_LOG_IN_MESSAGE) + "\n... (log truncated)";
    std::string options;
    for (const std::string& o : request.options) options += " " + o;
    const bool missing_header = log.find("cannot open source file") != std::string::npos;
    std::string fix;
    if (missing_header)
      fix =
          "NVRTC could not find a toolkit header: set CUDA_PATH to the CUDA toolkit root (it must hold "
          "include/cooperative_groups.h and include/cccl/cuda/atomic)";
    else if (!where.empty())
      fix = "the CUDA lowering of " + where +
            " did not compile: this is a megakernel bug for IR that validated; report it with the handlers' JSON "
            "(mk::ir::handlers_to_json) and run these opcodes on the CPU backend meanwhile";
    else
      fix = "read NVRTC's log above; if the toolkit headers are at fault set CUDA_PATH to a matching CUDA toolkit";
    return fail(ErrorKind::Backend,
                "NVRTC could not compile the JIT kernel " + source_name + " (" + nvrtc_message(r) + ")" +
                    (where.empty() ? std::string() : " at " + where) + "; options:" + options + "\nerrors:\n" +
                    annotated.errors + "log:\n" + log,
                fix);
  }
  std::size_t size = 0;
  r = nvrtcGetCUBINSize(guard.program, &size);
  if (r == NVRTC_SUCCESS && size == 0) r = NVRTC_ERROR_INVALID_INPUT;
  if (r == NVRTC_SUCCESS) {
    out.cubin.resize(size);
    r = nvrtcGetCUBIN(guard.program, reinterpret_cast<char*>(out.cubin.data()));
  }
  if (r != NVRTC_SUCCESS)
    return fail(ErrorKind::Backend, "NVRTC compiled " + source_name + " but produced no CUBIN: " + nvrtc_message(r),
                "compile for a real architecture (--gpu-architecture=sm_XY), not a virtual compute_XY");
  return out;
}

}  // namespace mk::detail
