// Issue 4, weight types: a model stored in each type loads, runs, and gives the logits of the
// same model stored as F32 and requantized to Q8_0 at load, within a tolerance derived from
// the measured weight error (logit_tolerance.h).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "engine/engine.h"
#include "logit_stats.h"
#include "logit_tolerance.h"
#include "quant_models.h"

namespace edgenode::engine::quant_test {
namespace {

constexpr int kVocab = 512;
// BOS, then 31 word pieces of the synthetic vocabulary (ids above its byte tokens).
const std::vector<int32_t> kPrompt = [] {
  std::vector<int32_t> ids = {1};
  for (int i = 1; i < 32; ++i) ids.push_back(260 + (37 * i) % 250);
  return ids;
}();

std::unique_ptr<Model> load(const std::string& path) {
  LoadOptions options;
  options.path = path;
  options.threads = 1;
  auto model = Model::load(options);
  if (!model) ADD_FAILURE() << path << ": " << model.error().message;
  return model ? std::move(*model) : nullptr;
}

std::vector<float> prompt_logits(const std::string& path) {
  auto model = load(path);
  if (!model) return {};
  auto logits = model->evaluate(kPrompt, 0, true);
  if (!logits) ADD_FAILURE() << path << ": " << logits.error().message;
  return logits ? *logits : std::vector<float>{};
}

class QuantLogits : public ::testing::TestWithParam<const char*> {};

TEST_P(QuantLogits, MatchTheF32ModelRequantizedToQ8WithinTheDerivedTolerance) {
  const std::string type = GetParam();
  const std::vector<float> reference = prompt_logits(quant_test_model("f32"));
  const std::vector<float> logits = prompt_logits(quant_test_model(type));
  ASSERT_EQ(reference.size(), kPrompt.size() * kVocab);
  ASSERT_EQ(logits.size(), reference.size());

  const LogitTolerance tol = logit_tolerance(quant_test_shape(type));
  ASSERT_TRUE(std::isfinite(tol.rms));
  const double scale = rms(reference.data(), reference.size());
  const double rms_diff = rms_difference(logits, reference) / scale;
  const double max_diff = max_abs_difference(logits, reference) / scale;
  EXPECT_LE(rms_diff, tol.rms) << type;
  EXPECT_LE(max_diff, tol.max) << type;

  // Where the reference's best logit leads by more than two max tolerances, no perturbation
  // within the tolerance can change the winner.
  int checked = 0;
  for (size_t p = 0; p < kPrompt.size(); ++p) {
    const float* ref = reference.data() + p * kVocab;
    if (top_margin(ref, kVocab) <= 2 * tol.max * scale) continue;
    ++checked;
    EXPECT_EQ(argmax(logits.data() + p * kVocab, kVocab), argmax(ref, kVocab)) << type << " position " << p;
  }
  // With the finer types (F16, BF16, Q8_0) some positions' winners are beyond doubt, so the
  // check above is not vacuous for them.
  if (tol.max < 0.5) EXPECT_GT(checked, 0) << type;
  std::printf("%-5s logits: rms diff %.4f (tol %.4f), max diff %.4f (tol %.4f) of the logit rms; argmax checked at %d/%zu\n",
              type.c_str(), rms_diff, tol.rms, max_diff, tol.max, checked, kPrompt.size());
}

INSTANTIATE_TEST_SUITE_P(Types, QuantLogits,
                         ::testing::Values("f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k",
                                           "q8_0"),
                         [](const auto& info) { return std::string(info.param); });

// The comparison can fail: a model with other weights (another seed) is far outside the
// tolerance of even the coarsest type.
TEST(QuantLogitsControl, AnotherModelIsFarOutsideTheTolerance) {
  const std::vector<float> reference = prompt_logits(quant_test_model("f32"));
  const std::vector<float> other = prompt_logits(quant_test_model("f32", 8));
  ASSERT_EQ(other.size(), reference.size());
  const double scale = rms(reference.data(), reference.size());
  EXPECT_GT(rms_difference(other, reference) / scale, 2 * logit_tolerance(quant_test_shape("q4_0")).rms);
}

}  // namespace
}  // namespace edgenode::engine::quant_test
