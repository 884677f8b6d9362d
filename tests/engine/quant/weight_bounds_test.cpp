// Issue 4, weight types: a model written in each type holds, in every tensor, the F32 model's
// floats to within the error the writer's algorithm allows (quant_error_bound.h), read back
// through the engine's dequantizer.
#include <gtest/gtest.h>

#include "engine/gguf/gguf.h"
#include "quant_models.h"
#include "weight_error.h"

namespace edgenode::engine::quant_test {
namespace {

struct TypeCase {
  const char* name;  // generator --type
  GgmlType type;
};

class WeightBounds : public ::testing::TestWithParam<TypeCase> {};

TEST_P(WeightBounds, EveryValueWithinTheTypesErrorBound) {
  const TypeCase c = GetParam();
  auto f32 = GgufFile::open(quant_test_model("f32"));
  ASSERT_TRUE(f32.ok()) << f32.error().message;
  auto stored = GgufFile::open(quant_test_model(c.name));
  ASSERT_TRUE(stored.ok()) << stored.error().message;

  auto errors = compare_with_f32(*f32, *stored);
  ASSERT_TRUE(errors.ok()) << errors.error().message;
  int matrices = 0;
  double tightest = 0;
  for (const TensorError& e : *errors) {
    if (!e.matrix) {
      // Norms stay F32 in every file, bit for bit.
      EXPECT_EQ(e.type, GgmlType::F32) << e.name;
      EXPECT_EQ(e.over_bound, 0) << e.name;
      continue;
    }
    ++matrices;
    // The file really stores this type: no row fell back to another type.
    EXPECT_EQ(e.type, c.type) << e.name;
    EXPECT_EQ(e.over_bound, 0) << e.name << ": worst error is " << e.max_bound_ratio << " x its bound";
    tightest = std::max(tightest, e.max_bound_ratio);
  }
  EXPECT_EQ(matrices, 2 * 7 + 2);  // 7 per layer, token_embd, output
  // Rounding reaches close to the bound somewhere among the 1.6M values: the bound is not loose.
  EXPECT_GT(tightest, 0.9) << "the bound is far looser than the actual error";
  std::printf("%-5s worst error %.3f of its bound\n", c.name, tightest);
}

INSTANTIATE_TEST_SUITE_P(
    Types, WeightBounds,
    ::testing::Values(TypeCase{"f16", GgmlType::F16}, TypeCase{"bf16", GgmlType::BF16},
                      TypeCase{"q4_0", GgmlType::Q4_0}, TypeCase{"q4_1", GgmlType::Q4_1},
                      TypeCase{"q5_0", GgmlType::Q5_0}, TypeCase{"q5_1", GgmlType::Q5_1},
                      TypeCase{"q4_k", GgmlType::Q4_K}, TypeCase{"q5_k", GgmlType::Q5_K},
                      TypeCase{"q6_k", GgmlType::Q6_K}, TypeCase{"q8_0", GgmlType::Q8_0}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace edgenode::engine::quant_test
