// README.md and docs/ against the tree: the walkthrough's code is the built example, and no link leaves the repository.
//
// What this catches: docs/reference.md section 8 edited without examples/first_opcode
// following (or the reverse), so the walkthrough would show code nobody compiles; a
// README or docs link to a file that was moved or deleted; and a pointer to a document
// that is not shipped with the code (a path above the repository root, the design
// contract by file name, a machine-local absolute path).
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#ifndef MK_SOURCE_DIR
#error "tests/protocol/CMakeLists.txt defines MK_SOURCE_DIR as the repository root"
#endif

namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The body of the first fenced block opened by "```<lang>" after `heading`; "" when none.
std::string fenced_block_after(const std::string& doc, std::string_view heading, std::string_view lang) {
  const auto at = doc.find(heading);
  if (at == std::string::npos) return {};
  const std::string fence = "```" + std::string(lang) + "\n";
  const auto open = doc.find(fence, at);
  if (open == std::string::npos) return {};
  const auto body = open + fence.size();
  const auto close = doc.find("```", body);
  return close == std::string::npos ? std::string() : doc.substr(body, close - body);
}

// The block without its leading #include and blank lines (the file has more includes).
std::string without_includes(const std::string& code) {
  std::istringstream lines(code);
  std::string line;
  std::string out;
  bool leading = true;
  while (std::getline(lines, line)) {
    if (leading && (line.empty() || line.rfind("#include", 0) == 0)) continue;
    leading = false;
    out += line + "\n";
  }
  return out;
}

const fs::path SOURCE_DIR{MK_SOURCE_DIR};

TEST(DocsTree, FirstOpcodeWalkthroughIsTheBuiltExample) {
  const std::string doc = read_text(SOURCE_DIR / "docs/reference.md");
  const std::string example = read_text(SOURCE_DIR / "examples/first_opcode/first_opcode.cpp");
  ASSERT_FALSE(example.empty()) << "cannot read examples/first_opcode/first_opcode.cpp";
  const std::string code = without_includes(fenced_block_after(doc, "## 8. A first custom opcode", "cpp"));
  ASSERT_FALSE(code.empty()) << "docs/reference.md section 8 has no ```cpp block";
  EXPECT_NE(example.find(code), std::string::npos)
      << "docs/reference.md section 8 shows code that is not in examples/first_opcode/first_opcode.cpp; "
         "copy the file's code into the doc (or the doc's into the file)";
  const std::string job = fenced_block_after(doc, "## 8. A first custom opcode", "json");
  EXPECT_EQ(job, read_text(SOURCE_DIR / "examples/first_opcode/scale_add.json"))
      << "docs/reference.md section 8's job differs from examples/first_opcode/scale_add.json";
}

// README.md and every docs/*.md.
std::vector<fs::path> doc_files() {
  std::vector<fs::path> files{SOURCE_DIR / "README.md"};
  for (const auto& entry : fs::directory_iterator(SOURCE_DIR / "docs")) {
    if (entry.path().extension() == ".md") files.push_back(entry.path());
  }
  return files;
}

TEST(DocsTree, NoPointerOutsideTheRepository) {
  const std::vector<std::string> forbidden{"../shared", "DESIGN.md", "/work/"};
  for (const fs::path& file : doc_files()) {
    const std::string text = read_text(file);
    for (const std::string& word : forbidden) {
      EXPECT_EQ(text.find(word), std::string::npos)
          << file << " mentions \"" << word << "\": the docs must stand alone; say it in the project's words";
    }
  }
}

TEST(DocsTree, RelativeLinksResolve) {
  static const std::regex link(R"(\]\(([^)\s]+)\))");
  for (const fs::path& file : doc_files()) {
    const std::string text = read_text(file);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), link); it != std::sregex_iterator(); ++it) {
      std::string target = (*it)[1].str();
      if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0 || target[0] == '#') continue;
      target = target.substr(0, target.find('#'));
      const fs::path resolved = (file.parent_path() / target).lexically_normal();
      EXPECT_TRUE(fs::exists(resolved)) << file << " links to " << target << ", which does not exist";
      const auto relative = resolved.lexically_relative(SOURCE_DIR.lexically_normal());
      EXPECT_FALSE(relative.empty() || *relative.begin() == "..")
          << file << " links outside the repository: " << target;
    }
  }
}

}  // namespace
