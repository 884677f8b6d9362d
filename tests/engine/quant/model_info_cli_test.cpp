// Issue 4: `edgenode model info` says when weights do not run in their stored type. Runs the
// real binary (EDGENODE_BIN) on generated models.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "quant_models.h"

namespace edgenode::engine::quant_test {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out;
};

Outcome model_info(const std::string& args) {
  const fs::path out = fs::temp_directory_path() / ("edgenode-quant-info-" + std::to_string(::getpid()));
  const std::string command = "'" EDGENODE_BIN "' model info " + args + " >'" + out.string() + "' 2>/dev/null";
  const int status = std::system(command.c_str());
  std::ifstream f(out);
  std::ostringstream text;
  text << f.rdbuf();
  fs::remove(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

TEST(ModelInfoPrecision, RequantizedWeightsAreNamedWithTheirStoredTypes) {
  if (!fs::exists(EDGENODE_BIN)) GTEST_SKIP() << "the edgenode binary is not built: " << EDGENODE_BIN;
  const Outcome o = model_info("--threads 1 '" + quant_test_model("q4_k_m") + "'");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  // The 14 layer matrices and the output run as Q8_0 (token_embd is looked up row by row in its
  // stored type); the Q4_K_M mix stores output, attn_v and ffn_down as q6_K, the rest as q4_K.
  EXPECT_NE(o.out.find("precision     15 matrices requantized to q8_0 from "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("q4_K"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("q6_K"), std::string::npos) << o.out;

  const Outcome json = model_info("--json --threads 1 '" + quant_test_model("q5_0") + "'");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out);
  ASSERT_TRUE(j.contains("precision_note")) << json.out;
  EXPECT_NE(j["precision_note"].get<std::string>().find("from q5_0"), std::string::npos) << json.out;
}

TEST(ModelInfoPrecision, NoNoteWhenTheFileIsAlreadyQ8) {
  if (!fs::exists(EDGENODE_BIN)) GTEST_SKIP() << "the edgenode binary is not built: " << EDGENODE_BIN;
  const Outcome o = model_info("--json --threads 1 '" + quant_test_model("q8_0") + "'");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_FALSE(nlohmann::json::parse(o.out).contains("precision_note")) << o.out;
}

}  // namespace
}  // namespace edgenode::engine::quant_test
