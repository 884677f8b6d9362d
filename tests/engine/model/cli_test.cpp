// The `edgenode model ...` command line: the output shapes scripts rely on, and bad input
// giving one line on stderr with exit code 2.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgenode::node {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kFixtures = EDGENODE_SHARED_FIXTURES;
const fs::path kBinary = EDGENODE_BIN;

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

CliResult run(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  // One directory per process: ctest runs the tests of this file in parallel.
  const fs::path dir = fs::path(EDGENODE_BINARY_DIR) / "test-models" / ("cli-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path in = dir / "stdin", out = dir / "stdout", err = dir / "stderr";
  std::ofstream(in, std::ios::binary) << stdin_text;
  std::string cmd = quote(kBinary.string());
  for (const std::string& a : args) cmd += " " + quote(a);
  cmd += " <" + quote(in.string()) + " >" + quote(out.string()) + " 2>" + quote(err.string());
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

// The lines of stderr: the model commands log only warnings unless -v is given, so an error
// is the whole of it.
std::vector<std::string> error_lines(const std::string& err) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class RemoveScratch : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(fs::path(EDGENODE_BINARY_DIR) / "test-models" / ("cli-" + std::to_string(getpid())), ec);
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new RemoveScratch);

class ModelCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBinary)) GTEST_SKIP() << "edgenode binary not built: " << kBinary;
    if (!fs::exists(kFixtures / "models")) GTEST_SKIP() << "no fixtures under " << kFixtures;
  }
  std::string model(const std::string& stem) const { return (kFixtures / "models" / (stem + ".gguf")).string(); }
};

TEST_F(ModelCli, GeneratesAStoryFromStories260K) {
  const CliResult r = run({"model", "generate", model("stories260K"), "--prompt", "Once upon a time", "-n", "64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A readable little story: words of letters, mostly.
  size_t letters = 0, spaces = 0;
  for (char c : r.out) letters += std::isalpha(static_cast<unsigned char>(c)) != 0, spaces += c == ' ';
  EXPECT_GT(spaces, 20u) << r.out;
  EXPECT_GT(letters, r.out.size() * 2 / 3) << r.out;

  const CliResult j = run({"model", "generate", model("stories260K"), "--prompt", "Once upon a time", "-n", "64",
                           "--json", "--no-stop"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json out = json::parse(j.out);
  EXPECT_EQ(out["tokens"].size(), 64u);
  EXPECT_EQ(r.out.substr(0, 40), out["text"].get<std::string>().substr(0, 40));
}

TEST_F(ModelCli, LogitsShapes) {
  const CliResult top = run({"model", "logits", model("tiny-llama-spm-f32"), "--prompt", "Once upon", "--top", "3",
                             "--json", "--weights", "f32"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  const json t = json::parse(top.out);
  ASSERT_EQ(t["top"].size(), 3u);
  EXPECT_GE(t["top"][0][1].get<double>(), t["top"][1][1].get<double>());
  EXPECT_FALSE(t.contains("logits"));

  const CliResult all = run({"model", "logits", model("tiny-llama-spm-f32"), "--tokens", "1 100 200", "--all-positions",
                             "--json", "--threads", "1"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const json a = json::parse(all.out);
  EXPECT_EQ(a["tokens"], json::array({1, 100, 200}));
  ASSERT_EQ(a["positions"].size(), 3u);
  EXPECT_EQ(a["positions"][2]["logits"].size(), 2000u);
}

TEST_F(ModelCli, TokenizeReadsStdinWithAnyBytes) {
  const std::string text = std::string("a\0b", 3);
  const CliResult r = run({"model", "tokenize", model("tiny-llama-spm-f32"), "--text-file", "-", "--json"}, text);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_GE(j["tokens"].size(), 3u);
  EXPECT_EQ(j["tokens"][0], 1);  // BOS
  const CliResult back = run({"model", "detokenize", model("tiny-llama-spm-f32"), "--tokens",
                              j["tokens"].dump().substr(1, j["tokens"].dump().size() - 2), "--json"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_NE(json::parse(back.out)["text"].get<std::string>().find(text), std::string::npos);
}

TEST_F(ModelCli, VocabOnlyFileTokenizesAndRendersChat) {
  const fs::path vocab = kFixtures / "vocab" / "llama3.gguf";
  if (!fs::exists(vocab)) GTEST_SKIP() << "no " << vocab;
  const CliResult tok = run({"model", "tokenize", vocab.string(), "--text", "Hello world", "--json"});
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  EXPECT_EQ(json::parse(tok.out)["tokens"][0], 128000);
  const CliResult chat =
      run({"model", "chat", vocab.string(), "--user", "Hi", "--render-only", "--json"});
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_NE(json::parse(chat.out)["prompt"].get<std::string>().find("<|start_header_id|>user<|end_header_id|>"),
            std::string::npos);
  const CliResult run_it = run({"model", "generate", vocab.string(), "--prompt", "Hi", "-n", "2"});
  EXPECT_EQ(run_it.exit_code, 2);
  EXPECT_EQ(error_lines(run_it.err).size(), 1u) << run_it.err;
}

TEST_F(ModelCli, InfoShowsArchitectureSpecificHyperParameters) {
  const CliResult r = run({"model", "info", model("tiny-gemma3-q8_0"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["architecture"], "gemma3");
  EXPECT_EQ(j["hparams"]["sliding_window"], "32");
  EXPECT_EQ(j["vocab_size"], 2048);
  EXPECT_GT(j["tensor_types"]["q8_0"].get<int>(), 0);
}

TEST_F(ModelCli, BenchReportsSpeedsAndTheBandwidthBound) {
  const CliResult r = run({"model", "bench", model("stories260K"), "-p", "16", "-n", "8", "-r", "1", "-t", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  for (const char* field : {"pp_tps", "tg_tps", "bandwidth_gbs", "tg_roofline_fraction"}) {
    ASSERT_TRUE(j.contains(field)) << field;
    EXPECT_GT(j[field].get<double>(), 0.0) << field;
  }
  EXPECT_NEAR(j["tg_roofline_fraction"].get<double>(),
              j["tg_tps"].get<double>() * j["weight_bytes_per_token"].get<double>() / (j["bandwidth_gbs"].get<double>() * 1e9),
              1e-6);
}

// Each bad input: exit code 2 and exactly one error line naming the problem.
void expect_bad_input(const CliResult& r, const std::string& names) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const auto lines = error_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find(names), std::string::npos) << lines[0];
}

TEST_F(ModelCli, PromptLongerThanTheContext) {
  std::string ids;
  for (int i = 0; i < 600; ++i) ids += std::to_string(100 + i % 50) + " ";
  expect_bad_input(run({"model", "logits", model("tiny-llama-spm-f32"), "--tokens", ids}), "exceeds the context");
  std::string words;
  for (int i = 0; i < 700; ++i) words += "once upon a time ";
  expect_bad_input(run({"model", "generate", model("tiny-llama-spm-q8_0"), "--prompt", words, "-n", "4"}),
                   "exceeds the context");
}

TEST_F(ModelCli, MissingFileBadFlagBadTokens) {
  expect_bad_input(run({"model", "info", "/nonexistent/model.gguf"}), "/nonexistent/model.gguf");
  expect_bad_input(run({"model", "generate", model("stories260K"), "--prompt", "x", "--bogus-flag"}), "--bogus-flag");
  expect_bad_input(run({"model", "logits", model("stories260K"), "--tokens", "1 x 3"}), "'x'");
  expect_bad_input(run({"model", "logits", model("stories260K"), "--tokens", "1 99999"}), "99999");
  expect_bad_input(run({"model", "generate", model("stories260K"), "--prompt", "x", "--weights", "q4"}), "--weights");
}

}  // namespace
}  // namespace edgenode::node
