// The JIT disk cache and its key (host only, fake images): hits, misses, and every kind of
// bad entry detected, deleted and reported; the key is stable and covers every input.
// What this catches: a cache that serves a stale or corrupt CUBIN (a crash or wrong
// results on the device), a key that ignores an input, and non-atomic writes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <set>

#include "cuda/jit/jit_cache.h"
#include "cuda/jit/sha256.h"
#include "temp_dir.h"
#include "mk/abi.h"

namespace mk::detail {
namespace {

namespace fs = std::filesystem;

using jit_test::ScopedEnv;
using jit_test::TempDir;

std::vector<std::byte> fake_image(std::size_t n, std::uint8_t seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(seed + i * 7);
  return v;
}

std::vector<char> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write_file(const fs::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Sha256Digest key_of(std::string_view text) { return sha256(text); }

TEST(JitSha256, KnownVectors) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a' fed in uneven pieces, so the block buffering is exercised.
  Sha256 h;
  const std::string chunk(997, 'a');
  std::size_t left = 1000000;
  while (left > 0) {
    const std::size_t n = std::min(left, chunk.size() - left % 13);
    h.update(std::string_view(chunk).substr(0, n));
    left -= n;
  }
  EXPECT_EQ(to_hex(h.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

struct KeyInputs {
  std::string source = "extern \"C\" __global__ void k() {}";
  std::vector<std::pair<std::string, std::string>> headers = {{"interp/step.h", "// step"}, {"mk/abi.h", "// abi"}};
  std::vector<std::string> options = {"--gpu-architecture=sm_90", "-std=c++17"};
  std::string arch = "sm_90";
  int major = 13, minor = 0;
  std::uint32_t abi = abi::ABI_VERSION;

  Sha256Digest key() const {
    std::vector<EmbeddedHeader> hs;
    for (const auto& [n, t] : headers) hs.push_back({n, t});
    return jit_cache_key(JitKeyParts{source, hs, options, arch, major, minor, abi});
  }
};

TEST(JitCacheKey, IsStableAcrossRunsAndBuilds) {
  const KeyInputs in;
  EXPECT_EQ(in.key(), in.key());
  // A golden value: changing the derivation silently would orphan every user's cache and,
  // worse, could collide with entries of the old derivation.
  EXPECT_EQ(to_hex(in.key()), "11059ec753a6e1c9693373a49e8abd5f85d29025231473a41711466a729ac0d0");
}

TEST(JitCacheKey, ChangesWithEveryInput) {
  const KeyInputs base;
  std::vector<KeyInputs> variants(10, base);
  variants[0].source += " ";
  variants[1].headers[0].second += " ";
  variants[2].headers[1].first = "mk/abi2.h";
  variants[3].headers.pop_back();
  variants[4].options[0] = "--gpu-architecture=sm_80";
  variants[5].options.push_back("-DX");
  variants[6].arch = "sm_100";
  variants[7].major = 12;
  variants[8].minor = 9;
  variants[9].abi = base.abi + 1;
  std::set<std::string> keys = {to_hex(base.key())};
  for (const KeyInputs& v : variants) EXPECT_TRUE(keys.insert(to_hex(v.key())).second);
  // Parts are length-prefixed: moving bytes between neighbours changes the key.
  KeyInputs a = base, b = base;
  a.options = {"ab", "c"};
  b.options = {"a", "bc"};
  EXPECT_NE(a.key(), b.key());
}

TEST(JitCacheDir, EnvironmentPrecedence) {
  {
    ScopedEnv dir("MK_JIT_CACHE_DIR", "/tmp/mk-explicit");
    ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
    EXPECT_EQ(jit_cache_dir(), fs::path("/tmp/mk-explicit"));
  }
  {
    ScopedEnv dir("MK_JIT_CACHE_DIR", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
    EXPECT_EQ(jit_cache_dir(), fs::path("/tmp/xdg/megakernel/jit"));
  }
  {
    ScopedEnv dir("MK_JIT_CACHE_DIR", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    ScopedEnv home("HOME", "/home/someone");
    EXPECT_EQ(jit_cache_dir(), fs::path("/home/someone/.cache/megakernel/jit"));
  }
  {
    ScopedEnv dir("MK_JIT_CACHE_DIR", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    ScopedEnv home("HOME", nullptr);
    EXPECT_FALSE(jit_cache_dir().has_value());
  }
}

TEST(JitCache, MissThenStoreThenHit) {
  TempDir tmp;
  const JitCache cache(tmp.path() / "nested" / "jit");  // created on first store
  const Sha256Digest key = key_of("k1");
  EXPECT_EQ(cache.load(key).state, CacheState::Miss);
  const auto image = fake_image(5000, 3);
  ASSERT_TRUE(cache.store(key, image).has_value());
  const CacheRead hit = cache.load(key);
  ASSERT_EQ(hit.state, CacheState::Hit) << hit.reason;
  EXPECT_EQ(hit.image, image);
  EXPECT_EQ(cache.load(key_of("k2")).state, CacheState::Miss);
  EXPECT_EQ(fs::file_size(cache.entry_path(key)), JIT_CACHE_HEADER_BYTES + image.size());
  // Storing again replaces the entry; no temp files are left behind.
  const auto other = fake_image(100, 9);
  ASSERT_TRUE(cache.store(key, other).has_value());
  EXPECT_EQ(cache.load(key).image, other);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(cache.dir())) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".cubin") << e.path();
  }
  EXPECT_EQ(files, 1u);
}

// Each kind of damage is detected, the entry deleted (next load: Miss), never served.
TEST(JitCache, BadEntriesAreRejectedDeletedAndRebuilt) {
  TempDir tmp;
  const JitCache cache(tmp.path());
  const Sha256Digest key = key_of("entry");
  const auto image = fake_image(4096, 1);
  struct Damage {
    const char* name;
    std::function<void(std::vector<char>&)> apply;
    const char* reason;
  };
  const std::vector<Damage> damages = {
      {"flipped image byte", [](std::vector<char>& f) { f[JIT_CACHE_HEADER_BYTES + 100] ^= 1; }, "checksum"},
      {"flipped checksum byte", [](std::vector<char>& f) { f[60] ^= 0x40; }, "checksum"},
      {"truncated image", [](std::vector<char>& f) { f.resize(f.size() - 1); }, "length"},
      {"truncated header", [](std::vector<char>& f) { f.resize(40); }, "truncated"},
      {"empty file", [](std::vector<char>& f) { f.clear(); }, "truncated"},
      {"appended bytes", [](std::vector<char>& f) { f.push_back('x'); }, "length"},
      {"bad magic", [](std::vector<char>& f) { f[0] = 'X'; }, "magic"},
      {"other format version", [](std::vector<char>& f) { f[8] = 2; }, "stale"},
      {"other ABI version", [](std::vector<char>& f) { f[12] ^= 0x7F; }, "stale"},
      {"wrong key", [](std::vector<char>& f) { f[20] ^= 1; }, "key"},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.name);
    ASSERT_TRUE(cache.store(key, image).has_value());
    std::vector<char> bytes = read_file(cache.entry_path(key));
    d.apply(bytes);
    write_file(cache.entry_path(key), bytes);
    const CacheRead r = cache.load(key);
    EXPECT_EQ(r.state, CacheState::Rejected);
    EXPECT_TRUE(r.image.empty());
    EXPECT_NE(r.reason.find(d.reason), std::string::npos) << r.reason;
    EXPECT_FALSE(fs::exists(cache.entry_path(key)));
    EXPECT_EQ(cache.load(key).state, CacheState::Miss);
  }
  // An intact entry of another key copied under this key's name is stale, not served.
  ASSERT_TRUE(cache.store(key_of("other"), image).has_value());
  fs::copy_file(cache.entry_path(key_of("other")), cache.entry_path(key));
  EXPECT_EQ(cache.load(key).state, CacheState::Rejected);
}

TEST(JitCache, EntryFormatRoundTrips) {
  const Sha256Digest key = key_of("fmt");
  for (std::size_t n : {0u, 1u, 63u, 64u, 65u, 100000u}) {
    const auto image = fake_image(n, 5);
    const auto entry = encode_jit_cache_entry(key, image);
    ASSERT_EQ(entry.size(), JIT_CACHE_HEADER_BYTES + n);
    EXPECT_EQ(std::memcmp(entry.data(), JIT_CACHE_MAGIC, 8), 0);
    auto back = decode_jit_cache_entry(key, entry);
    ASSERT_TRUE(back.has_value()) << back.error().what();
    EXPECT_EQ(*back, image);
  }
}

TEST(JitCache, UnwritableDirectoryIsAnErrorNotACrash) {
  TempDir tmp;
  write_file(tmp.path() / "file", {'x'});
  const JitCache cache(tmp.path() / "file" / "sub");  // a directory under a regular file
  const auto stored = cache.store(key_of("k"), fake_image(10, 0));
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(stored.error().kind(), ErrorKind::Backend);
  EXPECT_NE(stored.error().fix().find("MK_JIT_CACHE_DIR"), std::string::npos);
  EXPECT_EQ(cache.load(key_of("k")).state, CacheState::Miss);
}

}  // namespace
}  // namespace mk::detail
