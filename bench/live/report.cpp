// mk_bench_live's table (stdout) and JSON document, both derived from the same Groups.
#include "report.h"

#include <cstdio>

#include "common/stats.h"

namespace mk::bench::live {
namespace {

struct Stat {
  double median = 0;
  double p99 = 0;
};

// A case's figure: ns for latency; items/s for a rate (p99 = the slow tail).
Stat figure(const Case& c) {
  const Summary s = summarize(c.samples_ns);
  if (c.kind == CaseKind::Latency) return {s.median, s.p99};
  const auto items = static_cast<double>(c.items_per_sample);
  return {s.median > 0 ? items / (s.median * 1e-9) : 0, s.p99 > 0 ? items / (s.p99 * 1e-9) : 0};
}

bool measured(const Case& c) { return c.skipped.empty() && !c.samples_ns.empty(); }

const Case* find_case(const Group& g, const std::string& key) {
  for (const Case& c : g.cases)
    if (c.key == key) return &c;
  return nullptr;
}

// Why a ratio cannot be formed, or "" when it can.
std::string ratio_gap(const Case* num, const Case* den) {
  if (num == nullptr || den == nullptr) return "unknown case";
  if (!num->skipped.empty()) return num->key + " skipped: " + num->skipped;
  if (!den->skipped.empty()) return den->key + " skipped: " + den->skipped;
  if (!measured(*num) || !measured(*den)) return "no samples";
  return {};
}

nlohmann::json target_json(double value, double target, bool at_most, bool applies) {
  nlohmann::json j = {{"bound", at_most ? "<=" : ">="}, {"value", target}, {"applies", applies}};
  j["met"] = applies ? nlohmann::json(at_most ? value <= target : value >= target) : nlohmann::json(nullptr);
  return j;
}

std::string target_text(double value, double target, bool at_most, bool applies, bool rate) {
  char buf[128];
  if (rate)
    std::snprintf(buf, sizeof buf, "target %s %.3g/s", at_most ? "<=" : ">=", target);
  else
    std::snprintf(buf, sizeof buf, "target %s %.2f", at_most ? "<=" : ">=", target);
  std::string s = buf;
  if (!applies) return s + ": n/a on this backend";
  return s + ((at_most ? value <= target : value >= target) ? ": met" : ": MISSED");
}

std::string rate_text(double items_per_s) {
  char buf[64];
  if (items_per_s >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2f G/s", items_per_s / 1e9);
  else if (items_per_s >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f M/s", items_per_s / 1e6);
  else if (items_per_s >= 1e3)
    std::snprintf(buf, sizeof buf, "%.2f k/s", items_per_s / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.1f /s", items_per_s);
  return buf;
}

std::string value_text(const Case& c, double v) {
  if (c.kind == CaseKind::Rate) return rate_text(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

nlohmann::json summary_json(const Summary& s) {
  return {{"median", s.median}, {"p99", s.p99}, {"min", s.min}, {"max", s.max}, {"samples", s.samples}};
}

nlohmann::json case_json(const Case& c) {
  nlohmann::json j = {{"what", c.what}, {"kind", c.kind == CaseKind::Latency ? "latency" : "rate"}};
  if (!c.skipped.empty()) {
    j["skipped"] = true;
    j["reason"] = c.skipped;
  } else {
    j["skipped"] = false;
    const Summary s = summarize(c.samples_ns);
    j["samples"] = s.samples;
    if (c.kind == CaseKind::Latency) {
      j["round_trip_ns"] = summary_json(s);
    } else {
      const Stat f = figure(c);
      j["items_per_sample"] = c.items_per_sample;
      j["wall_ns_per_sample"] = summary_json(s);
      j["wall_ns_samples"] = c.samples_ns;
      j["items_per_s"] = {{"median", f.median}, {"p99_slow", f.p99}};
    }
  }
  for (auto it = c.extra.begin(); it != c.extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

}  // namespace

void print_report(const RunInfo& info, const std::vector<Group>& groups) {
  std::printf("mk_bench_live: backend %s, device %s (%s), driver %s%s%s, commit %s%s\n", info.backend.c_str(),
              info.device.c_str(), info.arch.c_str(), info.driver.c_str(),
              info.cuda_runtime.empty() ? "" : ", CUDA runtime ", info.cuda_runtime.c_str(), info.commit.c_str(),
              info.quick ? " (--quick)" : "");
  std::printf("throughput session: %u lanes, %u slots, batches of %u items\n", info.lanes, info.slot_count, info.batch);
  if (!info.targets_note.empty()) std::printf("%s\n", info.targets_note.c_str());
  for (const Group& g : groups) {
    std::printf("\n%s\n", g.title.c_str());
    const bool rate = !g.cases.empty() && g.cases.front().kind == CaseKind::Rate;
    std::printf("  %-44s %8s %14s %14s\n", "case", "samples", rate ? "median" : "median ns",
                rate ? "p99 (slow)" : "p99 ns");
    for (const Case& c : g.cases) {
      if (!c.skipped.empty()) {
        std::printf("  %-44s skipped: %s\n", c.label.c_str(), c.skipped.c_str());
        continue;
      }
      const Stat f = figure(c);
      std::printf("  %-44s %8zu %14s %14s\n", c.label.c_str(), c.samples_ns.size(), value_text(c, f.median).c_str(),
                  value_text(c, f.p99).c_str());
      if (c.extra.contains("note") && c.extra["note"].is_string())
        std::printf("    note: %s\n", c.extra["note"].get<std::string>().c_str());
    }
    for (const Ratio& r : g.ratios) {
      const Case* num = find_case(g, r.numerator);
      const Case* den = find_case(g, r.denominator);
      if (!ratio_gap(num, den).empty()) {
        const Case* missing = num == nullptr || !measured(*num) ? num : den;
        std::printf("  ratio %-38s skipped (%s not run)\n", r.label.c_str(),
                    missing != nullptr ? missing->key.c_str() : "a case");
        continue;
      }
      const Stat a = figure(*num), b = figure(*den);
      const double median = a.median / b.median, p99 = a.p99 / b.p99;
      std::printf("  ratio %-38s %8s %14.3f %14.3f", r.label.c_str(), "", median, p99);
      if (r.target) std::printf("   %s", target_text(median, *r.target, r.at_most, info.targets_apply, false).c_str());
      std::printf("\n");
    }
    for (const AbsoluteTarget& t : g.absolutes) {
      const Case* c = find_case(g, t.case_key);
      if (c == nullptr || !measured(*c)) continue;
      const double v = figure(*c).median;
      std::printf("  %-44s %8s %14s %14s   %s\n", t.label.c_str(), "", value_text(*c, v).c_str(), "",
                  target_text(v, t.target, t.at_most, info.targets_apply, c->kind == CaseKind::Rate).c_str());
    }
  }
  std::fflush(stdout);
}

nlohmann::json report_json(const RunInfo& info, const std::vector<Group>& groups) {
  nlohmann::json j;
  j["bench"] = "mk_bench_live";
  j["commit"] = info.commit;
  j["dirty"] = info.dirty;
  j["backend"] = info.backend;
  j["device"] = info.device;
  j["arch"] = info.arch;
  j["driver"] = info.driver;
  j["cuda_runtime"] = info.cuda_runtime.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.cuda_runtime);
  j["quick"] = info.quick;
  j["lanes"] = info.lanes;
  j["slot_count"] = info.slot_count;
  j["batch"] = info.batch;
  j["targets_apply"] = info.targets_apply;
  if (!info.targets_note.empty()) j["targets_note"] = info.targets_note;
  j["options"] = info.options;
  j["sessions"] = info.sessions;
  bool all_met = true;
  bool any_judged = false;
  for (const Group& g : groups) {
    nlohmann::json gj = {{"title", g.title}};
    for (const Case& c : g.cases) gj["cases"][c.key] = case_json(c);
    for (const Ratio& r : g.ratios) {
      const Case* num = find_case(g, r.numerator);
      const Case* den = find_case(g, r.denominator);
      nlohmann::json rj = {{"numerator", r.numerator}, {"denominator", r.denominator}};
      if (std::string gap = ratio_gap(num, den); !gap.empty()) {
        rj["skipped"] = true;
        rj["reason"] = gap;
        if (r.target)
          rj["target"] = {{"bound", r.at_most ? "<=" : ">="},
                          {"value", *r.target},
                          {"applies", info.targets_apply},
                          {"met", nullptr}};
      } else {
        const Stat a = figure(*num), b = figure(*den);
        rj["skipped"] = false;
        rj["median"] = a.median / b.median;
        rj["p99"] = a.p99 / b.p99;
        if (r.target) {
          rj["target"] = target_json(a.median / b.median, *r.target, r.at_most, info.targets_apply);
          if (info.targets_apply) {
            any_judged = true;
            all_met = all_met && rj["target"]["met"].get<bool>();
          }
        }
      }
      gj["ratios"][r.key] = rj;
    }
    for (const AbsoluteTarget& t : g.absolutes) {
      const Case* c = find_case(g, t.case_key);
      nlohmann::json tj = {{"case", t.case_key}, {"statistic", "median"}};
      if (c == nullptr || !measured(*c)) {
        tj["skipped"] = true;
        tj["target"] = {
            {"bound", t.at_most ? "<=" : ">="}, {"value", t.target}, {"applies", info.targets_apply}, {"met", nullptr}};
      } else {
        const double v = figure(*c).median;
        tj["skipped"] = false;
        tj["value"] = v;
        tj["target"] = target_json(v, t.target, t.at_most, info.targets_apply);
        if (info.targets_apply) {
          any_judged = true;
          all_met = all_met && tj["target"]["met"].get<bool>();
        }
      }
      gj["targets"][t.key] = tj;
    }
    for (auto it = g.extra.begin(); it != g.extra.end(); ++it) gj[it.key()] = it.value();
    j["groups"][g.key] = gj;
  }
  j["all_targets_met"] = any_judged ? nlohmann::json(all_met) : nlohmann::json(nullptr);
  return j;
}

}  // namespace mk::bench::live
