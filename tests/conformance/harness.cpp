// Conformance harness: building a case's buffers, running it, and the three kinds of
// checks (the case's expectations, run invariants, the oracle comparison).
#include "harness.h"

#include <cstdlib>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mk::conformance {
namespace {

std::string hex(u32 v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

u32 word_at(const Bytes& bytes, std::size_t index) {
  u32 w = 0;
  std::memcpy(&w, bytes.data() + index * sizeof(u32), sizeof(u32));
  return w;
}

std::size_t word_count(const Bytes& bytes) { return bytes.size() / sizeof(u32); }

std::string status_label(u32 status) { return std::string(status_name(status)) + "(" + std::to_string(status) + ")"; }

std::string fault_label(u32 code) { return std::string(fault_name(code)) + "(" + std::to_string(code) + ")"; }

std::string control_word_label(u32 w) {
  static const char* header[] = {"MAGIC",       "ABI_VERSION",     "TENANT_COUNT", "OBSERVABLE_COUNT",
                                 "SHUTDOWN",    "DONE_COUNT",      "EPOCH",        "LAST_FENCE_TAG",
                                 "FAULT_COUNT", "LAST_FAULT_SLOT", "HEARTBEAT",    "IO_PENDING",
                                 "RESERVED12",  "RESERVED13",      "RESERVED14",   "RESERVED15"};
  static const char* tenant_fields[] = {"FLAGS",      "ALLOW_LO", "ALLOW_HI", "WINDOW_BASE",
                                        "WINDOW_LEN", "DONE",     "FAULTS",   "RESERVED"};
  std::string s = "control word " + std::to_string(w) + " ";
  if (w < abi::CTRL_HEADER_WORDS) return s + header[w];
  if (w < abi::CTRL_OPCODE_COUNTS) return s + "OPCODE_IDS[" + std::to_string(w - abi::CTRL_OPCODE_IDS) + "]";
  if (w < abi::CTRL_TENANTS) return s + "OPCODE_COUNTS[" + std::to_string(w - abi::CTRL_OPCODE_COUNTS) + "]";
  if (w < abi::CTRL_OBSERVABLES) {
    const u32 t = (w - abi::CTRL_TENANTS) / abi::TENANT_WORDS;
    return s + "TENANTS[" + std::to_string(t) + "]." + tenant_fields[(w - abi::CTRL_TENANTS) % abi::TENANT_WORDS];
  }
  return s + "OBSERVABLES[" + std::to_string(w - abi::CTRL_OBSERVABLES) + "]";
}

std::string ring_word_label(u32 w) {
  static const char* fields[] = {"STATUS", "OPCODE", "TENANT", "RESULT"};
  const u32 slot = w / abi::SLOT_WORDS, f = w % abi::SLOT_WORDS;
  return "ring slot " + std::to_string(slot) + " " +
         (f < abi::SLOT_ARGS ? std::string(fields[f]) : "ARGS[" + std::to_string(f - abi::SLOT_ARGS) + "]");
}

bool is_terminal(u32 status) { return status == abi::STATUS_DONE || status == abi::STATUS_FAULT; }

RecordExpect expected_record(const Placed& p) {
  RecordExpect r;
  r.fmt = p.item.args[abi::PRINTF_ARG_FMT];
  r.tenant = p.item.tenant;
  r.slot = p.slot;
  for (u32 i = 0; i < abi::REC_MAX_ARGS; ++i) r.args[i] = p.item.args[abi::PRINTF_ARG_FMT + 1 + i];
  return r;
}

RecordExpect record_of(const DebugRecord& d) {
  RecordExpect r;
  r.fmt = d.fmt_id;
  r.tenant = d.tenant;
  r.slot = d.slot;
  r.args = d.args;
  return r;
}

std::string record_label(const RecordExpect& r) {
  std::ostringstream os;
  os << "{fmt " << r.fmt << ", tenant " << r.tenant << ", slot " << r.slot << ", args";
  for (u32 a : r.args) os << ' ' << a;
  os << '}';
  return os.str();
}

// The observables a fresh control buffer of the case holds before the dispatch.
std::vector<u32> initial_observables(const Case& c) {
  std::vector<u32> obs(c.observable_count, 0);
  for (const auto& [at, words] : c.initial)
    for (std::size_t i = 0; i < words.size() && at + i < obs.size(); ++i) obs[at + i] = words[i];
  return obs;
}

std::size_t printf_items(const Case& c) {
  return static_cast<std::size_t>(
      std::count_if(c.items.begin(), c.items.end(), [](const Placed& p) { return p.item.opcode == abi::OP_PRINTF; }));
}

bool result_is_racy(const Case& c, u32 slot) {
  if (c.racy_results.count(slot) != 0) return true;
  for (const Placed& p : c.items)
    if (p.slot == slot && p.item.opcode == abi::OP_PRINTF && printf_items(c) >= 2) return true;
  return false;
}

// A temporary file that removes itself.
struct TempFile {
  std::filesystem::path path;
  ~TempFile() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove(path, ec);
  }
};

std::filesystem::path temp_path(const std::string& stem) {
  static std::atomic<unsigned> counter{0};
  return std::filesystem::temp_directory_path() /
         ("mk_conformance_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + stem + ".bin");
}

template <class T>
bool ok_or_record(const Result<T>& r, const std::string& what, Errors& errors) {
  if (r) return true;
  errors.push_back(what + " failed: " + r.error().what() + " (fix: " + r.error().fix() + ")");
  return false;
}

}  // namespace

const std::vector<BackendVariant>& backend_variants() {
  static const std::vector<BackendVariant> variants = [] {
    std::vector<BackendVariant> all;
    // Names only: probing availability here would touch devices while tests are listed.
    for (const std::string& name : backend_names()) {
      if (name != "cpu") {
        all.push_back(BackendVariant{name, name, {}});
        continue;
      }
      BackendOptions det;
      det.cpu = CpuBackendOptions{.threads = 1, .deterministic = true};
      all.insert(all.begin(), BackendVariant{"cpu_det", "cpu", det});  // the oracle stays first
      BackendOptions threads;
      threads.cpu.threads = 4;
      all.push_back(BackendVariant{"cpu_4threads", "cpu", threads});
      BackendOptions isolated = threads;
      isolated.isolation = Isolation::Process;
      // MK_WORKER_PATH (staged GPU runs), else the build tree's worker.
      const char* env = std::getenv("MK_WORKER_PATH");
      isolated.isolate.worker_path = env != nullptr ? env : MK_TEST_WORKER_PATH;
      all.push_back(BackendVariant{"cpu_isolated", "cpu", isolated});
    }
    return all;
  }();
  return variants;
}

const BackendVariant& oracle_variant() { return backend_variants().front(); }

// ---------------------------------------------------------------------------
// Case builders.

Case& Case::policy(u32 tenant, std::uint64_t allow, Window window) {
  tenant_setup.push_back(TenantSetup{tenant, allow, window, std::nullopt, std::nullopt});
  return *this;
}

Case& Case::flags(u32 tenant, bool enabled, bool admin) {
  tenant_setup.push_back(TenantSetup{tenant, std::nullopt, std::nullopt, enabled, admin});
  return *this;
}

Case& Case::init(u32 at, std::vector<u32> words) {
  initial.emplace_back(at, std::move(words));
  return *this;
}

WorkItem work(u32 opcode, u32 tenant, std::vector<u32> args) {
  WorkItem w;
  w.opcode = opcode;
  w.tenant = tenant;
  std::copy_n(args.begin(), std::min<std::size_t>(args.size(), abi::MAX_ARGS), w.args.begin());
  w.arg_count = static_cast<u32>(std::min<std::size_t>(args.size(), abi::MAX_ARGS));
  return w;
}

Case& Case::item(u32 slot, u32 opcode, u32 tenant, std::vector<u32> args) {
  items.push_back(Placed{slot, work(opcode, tenant, std::move(args)), std::nullopt, -1});
  return *this;
}

Case& Case::batch(u32 first_slot, std::vector<WorkItem> batch_items, u32 tag, u32 fence_tenant) {
  const int id = static_cast<int>(batches.size());
  const u32 n = static_cast<u32>(batch_items.size());
  for (u32 i = 0; i < n; ++i) items.push_back(Placed{first_slot + i, batch_items[i], std::nullopt, id});
  items.push_back(
      Placed{first_slot + n, work(abi::OP_BATCH_FENCE, fence_tenant, {first_slot, n, tag}), std::nullopt, id});
  batches.push_back(BatchSpec{first_slot, std::move(batch_items), tag, fence_tenant});
  return *this;
}

Case& Case::raw(u32 slot, const WorkItem& w) {
  items.push_back(Placed{slot, w, std::nullopt, -1});
  return *this;
}

Case& Case::packed(u32 slot, u32 tenant, std::vector<PackedOp> ops) {
  auto w = try_make_packed_item(tenant, ops);
  if (!w) throw std::runtime_error("case " + name + ": bad packed item: " + w.error().what());
  items.push_back(Placed{slot, *w, std::move(ops), -1});
  return *this;
}

Case& Case::fence(u32 slot, u32 first, u32 count, u32 tag, u32 tenant) {
  return item(slot, abi::OP_BATCH_FENCE, tenant, {first, count, tag});
}

Case& Case::source(u32 id, std::vector<std::byte> bytes, bool as_file) {
  sources.push_back(IoSourceSpec{id, std::move(bytes), as_file});
  return *this;
}

Case& Case::done(u32 slot, u32 result) {
  slots[slot] = SlotExpect{abi::STATUS_DONE, result, true};
  return *this;
}

Case& Case::done_any(u32 slot) {
  slots[slot] = SlotExpect{abi::STATUS_DONE, 0, false};
  racy_results.insert(slot);
  return *this;
}

Case& Case::fault(u32 slot, u32 code) {
  slots[slot] = SlotExpect{abi::STATUS_FAULT, code, true};
  return *this;
}

Case& Case::stays(u32 slot, u32 status) {
  slots[slot] = SlotExpect{status, 0, false};
  return *this;
}

Case& Case::obs(u32 index, u32 value) {
  expect_obs[index] = value;
  return *this;
}

Case& Case::obs_range(u32 at, std::vector<u32> values) {
  for (std::size_t i = 0; i < values.size(); ++i) expect_obs[at + static_cast<u32>(i)] = values[i];
  return *this;
}

Case& Case::metric(u32 opcode, u32 extra_count) {
  extra_metrics[opcode] += extra_count;
  return *this;
}

Case& Case::record(u32 fmt, u32 tenant, u32 slot, std::vector<u32> args) {
  if (!expect_records) expect_records.emplace();
  RecordExpect r;
  r.fmt = fmt;
  r.tenant = tenant;
  r.slot = slot;
  std::copy_n(args.begin(), std::min<std::size_t>(args.size(), abi::REC_MAX_ARGS), r.args.begin());
  expect_records->push_back(r);
  return *this;
}

std::function<void(const RunOutput&, Errors&)> result_multiset(std::vector<u32> slots, std::vector<u32> values) {
  return [slots = std::move(slots), values = std::move(values)](const RunOutput& run, Errors& errors) {
    std::multiset<u32> want(values.begin(), values.end()), got;
    for (u32 s : slots) got.insert(run.readback.slots.at(s).result);
    if (want == got) return;
    std::ostringstream os;
    os << "RESULT multiset of " << slots.size() << " slots differs: expected {";
    for (u32 v : want) os << ' ' << v;
    os << " }, got {";
    for (u32 v : got) os << ' ' << v;
    os << " }";
    errors.push_back(os.str());
  };
}

// ---------------------------------------------------------------------------
// Helpers for byte sources.

std::vector<std::byte> bytes_of(std::initializer_list<unsigned> values) {
  std::vector<std::byte> out;
  for (unsigned v : values) out.push_back(static_cast<std::byte>(v & 0xFFu));
  return out;
}

std::vector<std::byte> pattern_bytes(std::size_t count, unsigned seed) {
  std::vector<std::byte> out(count);
  unsigned x = seed * 2654435761u + 1;
  for (auto& b : out) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::byte>((x >> 16) & 0xFFu);
  }
  return out;
}

std::vector<u32> le_words(const std::vector<std::byte>& bytes, std::size_t offset, std::size_t count) {
  std::vector<u32> words((count + 3) / 4, 0);
  for (std::size_t i = 0; i < count; ++i)
    words[i / 4] |= static_cast<u32>(std::to_integer<unsigned>(bytes[offset + i])) << (8 * (i % 4));
  return words;
}

// ---------------------------------------------------------------------------
// Running.

std::shared_ptr<Backend> make_backend_for(const BackendVariant& variant, std::string& why, bool& skip) {
  skip = false;
  const std::vector<BackendInfo> registry = list_backends();
  const auto info =
      std::find_if(registry.begin(), registry.end(), [&](const BackendInfo& b) { return b.name == variant.name; });
  auto b = make_backend(variant.name, variant.options);
  if (b) return *b;
  if (info != registry.end() && !info->available) {
    why = "the " + variant.name + " backend is not available here: " + b.error().message();
    skip = true;
    return nullptr;
  }
  why = "make_backend(\"" + variant.name + "\") for " + variant.label + " failed: " + b.error().what();
  // A backend that is there but reports Unsupported (a CUDA build without the features a
  // device needs) is an absence; an isolated worker that cannot start is a failure.
  skip = variant.options.isolation == Isolation::InProcess && b.error().kind() == ErrorKind::Unsupported;
  return nullptr;
}

void validate_case(const Case& c, Errors& errors) {
  std::set<u32> placed;
  for (const Placed& p : c.items) {
    if (p.slot >= c.slot_count) errors.push_back("item in slot " + std::to_string(p.slot) + " is outside the ring");
    if (!placed.insert(p.slot).second) errors.push_back("two items in slot " + std::to_string(p.slot));
    if (c.slots.count(p.slot) == 0) errors.push_back("slot " + std::to_string(p.slot) + " has no expectation");
  }
  for (const auto& [slot, e] : c.slots)
    if (placed.count(slot) == 0) errors.push_back("expectation for slot " + std::to_string(slot) + " without an item");
  for (char ch : c.name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'))
      errors.push_back("case name \"" + c.name + "\" is not a valid test name");
}

std::optional<RunOutput> run_case(const Case& c, std::shared_ptr<Backend> backend, Errors& errors) {
  RunOutput run;
  OutputBuffers& in = run.input;
  auto control = try_encode_control(false, c.tenant_count, c.observable_count);
  if (!ok_or_record(control, "encode_control", errors)) return std::nullopt;
  in.control = std::move(*control);
  for (const TenantSetup& t : c.tenant_setup) {
    if (t.allow || t.window) {
      auto s = try_set_tenant_policy(in.control, t.tenant, t.allow.value_or(~std::uint64_t{0}),
                                     t.window.value_or(Window{0, c.observable_count}));
      if (!ok_or_record(s, "set_tenant_policy(" + std::to_string(t.tenant) + ")", errors)) return std::nullopt;
    }
    if (t.enabled || t.admin) {
      auto s = try_set_tenant_flags(in.control, t.tenant, t.enabled.value_or(true), t.admin.value_or(t.tenant == 0));
      if (!ok_or_record(s, "set_tenant_flags(" + std::to_string(t.tenant) + ")", errors)) return std::nullopt;
    }
  }
  for (const auto& [at, words] : c.initial)
    if (!ok_or_record(try_write_observables(in.control, at, words), "write_observables", errors)) return std::nullopt;

  auto ring = try_encode_empty_ring(c.slot_count);
  if (!ok_or_record(ring, "encode_empty_ring", errors)) return std::nullopt;
  in.ring = std::move(*ring);
  if (c.encode_whole_ring) {
    std::vector<WorkItem> all(c.items.size());
    for (const Placed& p : c.items) {
      if (p.slot >= all.size()) {
        errors.push_back("whole_ring case with an item in slot " + std::to_string(p.slot) + " past the item count");
        return std::nullopt;
      }
      all[p.slot] = p.item;
    }
    if (!ok_or_record(try_encode_work_items_ring_into(in.ring, all), "encode_work_items_ring_into", errors))
      return std::nullopt;
  } else {
    for (const Placed& p : c.items) {
      if (p.batch >= 0) continue;
      const std::string what =
          std::string(p.packed_ops ? "publish_packed_slot(" : "publish_slot(") + std::to_string(p.slot) + ")";
      const Status s = p.packed_ops ? try_publish_packed_slot(in.ring, p.slot, p.item.tenant, *p.packed_ops)
                                    : try_publish_slot(in.ring, p.slot, p.item);
      if (!ok_or_record(s, what, errors)) return std::nullopt;
    }
    for (const BatchSpec& b : c.batches) {
      auto next = try_batch_publish(in.ring, b.first_slot, b.items, b.tag, b.fence_tenant);
      if (!ok_or_record(next, "batch_publish(" + std::to_string(b.first_slot) + ")", errors)) return std::nullopt;
      if (*next != b.first_slot + b.items.size() + 1)
        errors.push_back("batch_publish returned next slot " + std::to_string(*next) + ", expected " +
                         std::to_string(b.first_slot + b.items.size() + 1));
    }
  }
  if (c.log_capacity) {
    auto log = try_encode_empty_debug_log(*c.log_capacity);
    if (!ok_or_record(log, "encode_empty_debug_log", errors)) return std::nullopt;
    in.debug_log = std::move(*log);
  }
  if (c.io_capacity) {
    auto io = try_encode_empty_io_queue(*c.io_capacity);
    if (!ok_or_record(io, "encode_empty_io_queue", errors)) return std::nullopt;
    in.io_queue = std::move(*io);
  }

  IoSources sources;
  std::vector<TempFile> files;
  files.reserve(c.sources.size());
  for (const IoSourceSpec& s : c.sources) {
    if (!s.as_file) {
      if (!ok_or_record(sources.add_bytes(s.id, s.bytes), "IoSources::add_bytes", errors)) return std::nullopt;
      continue;
    }
    files.push_back(TempFile{temp_path(c.name)});
    {
      std::ofstream f(files.back().path, std::ios::binary);
      f.write(reinterpret_cast<const char*>(s.bytes.data()), static_cast<std::streamsize>(s.bytes.size()));
      if (!f) {
        errors.push_back("cannot write temporary source file " + files.back().path.string());
        return std::nullopt;
      }
    }
    if (!ok_or_record(sources.add_file(s.id, files.back().path), "IoSources::add_file", errors)) return std::nullopt;
  }

  auto mk = Megakernel::bootstrap_sharded(backend, c.slot_count, c.wg);
  if (!ok_or_record(mk, "bootstrap_sharded", errors)) return std::nullopt;

  run.output = run.input;
  const bool until_idle =
      c.runner == Runner::UntilIdle || (c.runner == Runner::Auto && (c.io_capacity || !c.sources.empty()));
  auto stats = until_idle ? mk->dispatch_until_idle(run.output, sources) : mk->dispatch_in_place(run.output);
  if (!ok_or_record(stats, until_idle ? "dispatch_until_idle" : "dispatch_in_place", errors)) return std::nullopt;
  run.stats = *stats;
  if (!ok_or_record(try_decode_readback(run.output, run.readback), "try_decode_readback (strict)", errors))
    return std::nullopt;
  return run;
}

// ---------------------------------------------------------------------------
// Checks.

namespace {

// Invariants of every run, whatever the case: nothing lost, nothing duplicated,
// counters consistent with the slots, nothing written that the kernel does not own.
void check_invariants(const Case& c, const RunOutput& run, Errors& errors) {
  const Readback& rb = run.readback;
  const Bytes& in_ring = run.input.ring;
  const Bytes& out_ring = run.output.ring;
  std::map<u32, const Placed*> placed;
  for (const Placed& p : c.items) placed[p.slot] = &p;

  // Ring: only STATUS and RESULT of placed slots may change.
  for (u32 w = 0; w < word_count(out_ring); ++w) {
    const u32 slot = w / abi::SLOT_WORDS, f = w % abi::SLOT_WORDS;
    const bool owned = placed.count(slot) != 0 && (f == abi::SLOT_STATUS || f == abi::SLOT_RESULT);
    if (!owned && word_at(in_ring, w) != word_at(out_ring, w))
      errors.push_back("invariant: " + ring_word_label(w) + " changed from " + hex(word_at(in_ring, w)) + " to " +
                       hex(word_at(out_ring, w)) + " although no item owns it");
  }

  // Counters against slot states.
  u32 terminal = 0, faults = 0, in_flight = 0;
  std::map<u32, std::pair<u32, u32>> per_tenant;  // done, faults
  for (const auto& [slot, p] : placed) {
    const u32 st = rb.slots[slot].status;
    if (st == abi::STATUS_CLAIMED || st == abi::STATUS_YIELD || st == abi::STATUS_REQUEUE || st == abi::STATUS_WAIT_IO)
      ++in_flight;
    if (is_terminal(st)) ++terminal;
    if (st == abi::STATUS_FAULT) ++faults;
    if (st == abi::STATUS_DONE) ++per_tenant[p->item.tenant].first;
    if (st == abi::STATUS_FAULT) ++per_tenant[p->item.tenant].second;
  }
  if (in_flight != 0)
    errors.push_back("invariant: " + std::to_string(in_flight) +
                     " slots left CLAIMED/WAIT_IO/YIELD/REQUEUE after the dispatch returned");
  if (rb.done_count != terminal)
    errors.push_back("invariant: DONE_COUNT " + std::to_string(rb.done_count) + " but " + std::to_string(terminal) +
                     " slots are DONE or FAULT (lost or duplicated completion)");
  if (rb.fault_count != faults)
    errors.push_back("invariant: FAULT_COUNT " + std::to_string(rb.fault_count) + " but " + std::to_string(faults) +
                     " slots are FAULT");
  if (run.stats.items_done != rb.done_count)
    errors.push_back("invariant: DispatchStats::items_done " + std::to_string(run.stats.items_done) +
                     " != DONE_COUNT " + std::to_string(rb.done_count));
  for (u32 t = 0; t < rb.tenants.size(); ++t) {
    const auto it = per_tenant.find(t);
    const u32 d = it == per_tenant.end() ? 0 : it->second.first;
    const u32 f = it == per_tenant.end() ? 0 : it->second.second;
    if (rb.tenants[t].done != d || rb.tenants[t].faults != f)
      errors.push_back("invariant: tenant " + std::to_string(t) + " DONE/FAULTS " + std::to_string(rb.tenants[t].done) +
                       "/" + std::to_string(rb.tenants[t].faults) + " but its slots say " + std::to_string(d) + "/" +
                       std::to_string(f));
  }

  // Control words the kernel never writes: header, policy, reserved, unused tenants.
  const Bytes& in_ctl = run.input.control;
  const Bytes& out_ctl = run.output.control;
  for (u32 w = 0; w < abi::CTRL_OBSERVABLES; ++w) {
    bool kernel_owned = w == abi::CTRL_SHUTDOWN || w == abi::CTRL_DONE_COUNT || w == abi::CTRL_EPOCH ||
                        w == abi::CTRL_LAST_FENCE_TAG || w == abi::CTRL_FAULT_COUNT || w == abi::CTRL_LAST_FAULT_SLOT ||
                        w == abi::CTRL_HEARTBEAT || w == abi::CTRL_IO_PENDING;
    kernel_owned = kernel_owned || (w >= abi::CTRL_OPCODE_IDS && w < abi::CTRL_TENANTS);  // stamped table, counts
    if (w >= abi::CTRL_TENANTS) {
      const u32 f = (w - abi::CTRL_TENANTS) % abi::TENANT_WORDS;
      kernel_owned = f == abi::TENANT_DONE || f == abi::TENANT_FAULTS;
    }
    if (!kernel_owned && word_at(in_ctl, w) != word_at(out_ctl, w))
      errors.push_back("invariant: " + control_word_label(w) + " changed from " + hex(word_at(in_ctl, w)) + " to " +
                       hex(word_at(out_ctl, w)));
  }
  for (u32 i = 0; i < abi::MAX_OPCODES; ++i) {
    const u32 want = i < abi::BUILTIN_OPCODES ? abi::BUILTIN_OPCODE_IDS[i] : 0u;
    if (word_at(out_ctl, abi::CTRL_OPCODE_IDS + i) != want)
      errors.push_back("invariant: " + control_word_label(abi::CTRL_OPCODE_IDS + i) + " is " +
                       hex(word_at(out_ctl, abi::CTRL_OPCODE_IDS + i)) + ", expected the stamped table " + hex(want));
  }

  // PRINTF: each DONE printf claimed one distinct record index below CURSOR, and every
  // committed record is the one its claiming slot wrote.
  if (!run.output.debug_log.empty()) {
    const DebugLog& log = rb.debug_log;
    std::map<u32, u32> slot_of_index;
    u32 printf_done = 0;
    for (const auto& [slot, p] : placed) {
      if (p->item.opcode != abi::OP_PRINTF || rb.slots[slot].status != abi::STATUS_DONE) continue;
      ++printf_done;
      const u32 r = rb.slots[slot].result;
      if (r >= log.claimed)
        errors.push_back("invariant: PRINTF slot " + std::to_string(slot) + " RESULT " + std::to_string(r) +
                         " is not below CURSOR " + std::to_string(log.claimed));
      if (!slot_of_index.emplace(r, slot).second)
        errors.push_back("invariant: PRINTF slots " + std::to_string(slot_of_index[r]) + " and " +
                         std::to_string(slot) + " both claimed record " + std::to_string(r));
    }
    if (log.claimed != printf_done)
      errors.push_back("invariant: CURSOR " + std::to_string(log.claimed) + " but " + std::to_string(printf_done) +
                       " PRINTF slots are DONE");
    if (log.records.size() != std::min(log.claimed, log.capacity))
      errors.push_back("invariant: " + std::to_string(log.records.size()) + " committed records, expected min(CURSOR " +
                       std::to_string(log.claimed) + ", CAPACITY " + std::to_string(log.capacity) + ")");
    for (const DebugRecord& d : log.records) {
      const auto it = slot_of_index.find(d.index);
      if (it == slot_of_index.end()) {
        errors.push_back("invariant: record " + std::to_string(d.index) + " " + record_label(record_of(d)) +
                         " was claimed by no DONE PRINTF slot");
        continue;
      }
      const RecordExpect want = expected_record(*placed[it->second]);
      if (record_of(d) != want)
        errors.push_back("invariant: record " + std::to_string(d.index) + " is " + record_label(record_of(d)) +
                         ", but slot " + std::to_string(it->second) + " (which claimed it) would write " +
                         record_label(want));
    }
  }

  // I/O: once nothing waits, every request entry is free again and nothing is pending.
  if (!run.output.io_queue.empty() && in_flight == 0) {
    for (const IoRequest& r : rb.io.requests)
      errors.push_back("invariant: I/O request entry " + std::to_string(r.index) + " is still in status " +
                       std::to_string(r.status) + " although no slot waits on I/O");
    if (word_at(out_ctl, abi::CTRL_IO_PENDING) != 0)
      errors.push_back("invariant: IO_PENDING is " + std::to_string(word_at(out_ctl, abi::CTRL_IO_PENDING)) +
                       " although no slot waits on I/O");
    // Every LOAD_MISS that reached the queue posted exactly one request.
    u32 posted = 0;
    for (const auto& [slot, p] : placed) {
      if (p->item.opcode != abi::OP_LOAD_MISS || p->item.args[abi::LOAD_MISS_ARG_BYTE_COUNT] == 0) continue;
      const SlotView& s = rb.slots[slot];
      if (s.status == abi::STATUS_DONE || (s.status == abi::STATUS_FAULT && s.result == abi::FAULT_IO_ERROR)) ++posted;
    }
    if (rb.io.head != posted)
      errors.push_back("invariant: I/O HEAD " + std::to_string(rb.io.head) + " but " + std::to_string(posted) +
                       " LOAD_MISS slots went through the queue");
  }
}

void check_expectations(const Case& c, const RunOutput& run, Errors& errors) {
  const Readback& rb = run.readback;
  std::map<u32, const Placed*> placed;
  for (const Placed& p : c.items) placed[p.slot] = &p;

  // Slots.
  for (u32 slot = 0; slot < rb.slots.size(); ++slot) {
    const SlotView& s = rb.slots[slot];
    const auto it = c.slots.find(slot);
    if (it == c.slots.end()) {
      if (s.status != abi::STATUS_EMPTY)
        errors.push_back("slot " + std::to_string(slot) + " (no item) is " + status_label(s.status));
      continue;
    }
    const SlotExpect& e = it->second;
    if (s.status != e.status) {
      std::string got = status_label(s.status);
      if (s.status == abi::STATUS_FAULT) got += " with " + fault_label(s.result);
      errors.push_back("slot " + std::to_string(slot) + ": expected " + status_label(e.status) +
                       (e.status == abi::STATUS_FAULT ? " " + fault_label(e.result) : "") + ", got " + got);
      continue;
    }
    if (e.check_result && s.result != e.result)
      errors.push_back("slot " + std::to_string(slot) + " (" + status_label(s.status) + "): expected RESULT " +
                       (e.status == abi::STATUS_FAULT ? fault_label(e.result)
                                                      : std::to_string(e.result) + " (" + hex(e.result) + ")") +
                       ", got " +
                       (s.status == abi::STATUS_FAULT ? fault_label(s.result)
                                                      : std::to_string(s.result) + " (" + hex(s.result) + ")"));
  }

  // Counters derived from the slot expectations.
  u32 want_done = 0, want_faults = 0, want_epoch = 0, fences_done = 0;
  std::optional<u32> only_fault_slot;
  std::map<u32, std::pair<u32, u32>> tenants;
  std::map<u32, u32> metrics = c.extra_metrics;
  for (const auto& [slot, e] : c.slots) {
    const Placed& p = *placed.at(slot);
    if (e.status == abi::STATUS_DONE) {
      ++want_done;
      ++tenants[p.item.tenant].first;
      ++metrics[p.item.opcode];
      if (p.item.opcode == abi::OP_BATCH_FENCE) ++want_epoch, ++fences_done;
    } else if (e.status == abi::STATUS_FAULT) {
      ++want_done;
      ++want_faults;
      ++tenants[p.item.tenant].second;
      only_fault_slot = slot;
    }
  }
  auto expect_eq = [&](const char* what, u32 got, u32 want) {
    if (got != want)
      errors.push_back(std::string(what) + ": expected " + std::to_string(want) + ", got " + std::to_string(got));
  };
  expect_eq("DONE_COUNT", rb.done_count, want_done);
  expect_eq("FAULT_COUNT", rb.fault_count, want_faults);
  expect_eq("EPOCH (completed fences)", rb.epoch, want_epoch);
  if (c.expect_epoch) expect_eq("EPOCH", rb.epoch, *c.expect_epoch);
  if (c.expect_fence_tag)
    expect_eq("LAST_FENCE_TAG", rb.last_fence_tag, *c.expect_fence_tag);
  else if (fences_done == 0)
    expect_eq("LAST_FENCE_TAG (no fence completed)", rb.last_fence_tag, 0);
  expect_eq("SHUTDOWN", rb.shutdown, c.expect_shutdown.value_or(0));
  const u32 last_fault = word_at(run.output.control, abi::CTRL_LAST_FAULT_SLOT);
  if (c.expect_last_fault_slot)
    expect_eq("LAST_FAULT_SLOT", last_fault, *c.expect_last_fault_slot);
  else if (want_faults == 1)
    expect_eq("LAST_FAULT_SLOT (one fault)", last_fault, *only_fault_slot);
  else if (want_faults == 0)
    expect_eq("LAST_FAULT_SLOT (no fault)", last_fault, 0);

  for (u32 t = 0; t < rb.tenants.size(); ++t) {
    const auto it = tenants.find(t);
    const u32 d = it == tenants.end() ? 0 : it->second.first;
    const u32 f = it == tenants.end() ? 0 : it->second.second;
    expect_eq(("tenant " + std::to_string(t) + " DONE").c_str(), rb.tenants[t].done, d);
    expect_eq(("tenant " + std::to_string(t) + " FAULTS").c_str(), rb.tenants[t].faults, f);
  }

  // Metrics: opcode -> count, exactly (every opcode not expected must be 0).
  std::map<u32, u32> got_metrics;
  for (const OpcodeCount& m : rb.metrics) got_metrics[m.opcode] += m.count;
  for (auto it = metrics.begin(); it != metrics.end();) it = it->second == 0 ? metrics.erase(it) : std::next(it);
  if (got_metrics != metrics) {
    std::ostringstream os;
    os << "metrics: expected {";
    for (const auto& [op, n] : metrics) os << ' ' << builtin_opcode_name(op) << '=' << n;
    os << " }, got {";
    for (const auto& [op, n] : got_metrics) os << ' ' << builtin_opcode_name(op) << '=' << n;
    os << " }";
    errors.push_back(os.str());
  }

  // Observables: every word is its initial value unless the case expects otherwise.
  std::vector<u32> want_obs = initial_observables(c);
  for (const auto& [i, v] : c.expect_obs)
    if (i < want_obs.size())
      want_obs[i] = v;
    else
      errors.push_back("case expects observable " + std::to_string(i) + " past OBSERVABLE_COUNT");
  u32 reported = 0;
  for (u32 i = 0; i < want_obs.size() && i < rb.observables.size(); ++i) {
    if (c.racy_observables.count(i) != 0 || rb.observables[i] == want_obs[i]) continue;
    if (++reported <= 16)
      errors.push_back("observable " + std::to_string(i) + ": expected " + std::to_string(want_obs[i]) + " (" +
                       hex(want_obs[i]) + "), got " + std::to_string(rb.observables[i]) + " (" +
                       hex(rb.observables[i]) + ")");
  }
  if (reported > 16) errors.push_back("... " + std::to_string(reported - 16) + " more observables differ");

  // Debug log.
  if (c.expect_records) {
    std::multiset<RecordExpect> want(c.expect_records->begin(), c.expect_records->end());
    std::multiset<RecordExpect> got;
    for (const DebugRecord& d : rb.debug_log.records) got.insert(record_of(d));
    if (want != got) {
      std::ostringstream os;
      os << "debug records (as a multiset): expected";
      for (const auto& r : want) os << ' ' << record_label(r);
      os << "; got";
      for (const auto& r : got) os << ' ' << record_label(r);
      errors.push_back(os.str());
    }
  }
  if (c.expect_cursor) expect_eq("debug log CURSOR", rb.debug_log.claimed, *c.expect_cursor);
  if (c.expect_dropped) expect_eq("debug log dropped", rb.debug_log.dropped, *c.expect_dropped);
  if (c.expect_io_head) expect_eq("I/O HEAD", rb.io.head, *c.expect_io_head);
  if (c.expect_min_rounds && run.stats.rounds < *c.expect_min_rounds)
    errors.push_back("dispatch rounds: expected at least " + std::to_string(*c.expect_min_rounds) + ", got " +
                     std::to_string(run.stats.rounds));

  for (const auto& fn : c.extra_checks) fn(run, errors);
}

}  // namespace

void check_case(const Case& c, const RunOutput& run, Errors& errors) {
  check_invariants(c, run, errors);
  check_expectations(c, run, errors);
}

void compare_with_oracle(const Case& c, const RunOutput& oracle, const RunOutput& run, Errors& errors) {
  u32 reported = 0;
  auto differ = [&](const std::string& label, u32 want, u32 got) {
    if (++reported <= 24)
      errors.push_back("differs from the CPU oracle: " + label + " is " + hex(got) + ", oracle has " + hex(want));
  };
  auto same_size = [&](const char* buffer, const Bytes& a, const Bytes& b) {
    if (a.size() == b.size()) return true;
    errors.push_back(std::string(buffer) + " size differs from the oracle");
    return false;
  };

  // Control.
  if (same_size("control", oracle.output.control, run.output.control)) {
    const bool single_fault = oracle.readback.fault_count <= 1;
    for (u32 w = 0; w < word_count(run.output.control); ++w) {
      if (w == abi::CTRL_HEARTBEAT) continue;
      if (w == abi::CTRL_LAST_FAULT_SLOT && !single_fault) continue;
      if (w == abi::CTRL_LAST_FENCE_TAG && c.racy_tag) continue;
      if (w >= abi::CTRL_OBSERVABLES && c.racy_observables.count(w - abi::CTRL_OBSERVABLES) != 0) continue;
      const u32 a = word_at(oracle.output.control, w), b = word_at(run.output.control, w);
      if (a != b) differ(control_word_label(w), a, b);
    }
  }
  // Ring.
  if (same_size("ring", oracle.output.ring, run.output.ring)) {
    for (u32 w = 0; w < word_count(run.output.ring); ++w) {
      if (w % abi::SLOT_WORDS == abi::SLOT_RESULT && result_is_racy(c, w / abi::SLOT_WORDS)) continue;
      const u32 a = word_at(oracle.output.ring, w), b = word_at(run.output.ring, w);
      if (a != b) differ(ring_word_label(w), a, b);
    }
  }
  // Debug log: header words exactly, records as a multiset (or by count after drops).
  if (same_size("debug log", oracle.output.debug_log, run.output.debug_log) && !run.output.debug_log.empty()) {
    for (u32 w = 0; w < abi::LOG_HEADER_WORDS; ++w) {
      const u32 a = word_at(oracle.output.debug_log, w), b = word_at(run.output.debug_log, w);
      if (a != b) differ("debug log header word " + std::to_string(w), a, b);
    }
    const DebugLog& lo = oracle.readback.debug_log;
    const DebugLog& lr = run.readback.debug_log;
    if (lo.dropped == 0) {
      std::multiset<RecordExpect> a, b;
      for (const auto& d : lo.records) a.insert(record_of(d));
      for (const auto& d : lr.records) b.insert(record_of(d));
      if (a != b) errors.push_back("differs from the CPU oracle: debug record multiset");
    } else if (lo.records.size() != lr.records.size()) {
      errors.push_back("differs from the CPU oracle: " + std::to_string(lr.records.size()) +
                       " committed records, oracle has " + std::to_string(lo.records.size()));
    }
  }
  // I/O queue: header words and entry STATUS words.
  if (same_size("I/O queue", oracle.output.io_queue, run.output.io_queue) && !run.output.io_queue.empty()) {
    for (u32 w = 0; w < word_count(run.output.io_queue); ++w) {
      const bool header = w < abi::IO_HEADER_WORDS;
      const bool status = !header && (w - abi::IO_HEADER_WORDS) % abi::IO_REQUEST_WORDS == abi::REQ_STATUS;
      if (!header && !status) continue;
      const u32 a = word_at(oracle.output.io_queue, w), b = word_at(run.output.io_queue, w);
      if (a != b)
        differ(header ? "I/O queue header word " + std::to_string(w)
                      : "I/O request " + std::to_string((w - abi::IO_HEADER_WORDS) / abi::IO_REQUEST_WORDS) + " STATUS",
               a, b);
    }
  }
  if (reported > 24) errors.push_back("... " + std::to_string(reported - 24) + " more words differ from the oracle");
}

}  // namespace mk::conformance
