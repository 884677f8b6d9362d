// The models these tests compare: one shape, one seed, written once per test process in
// every weight type to a temporary directory. The generator draws the same floats for every
// type, so each file holds the F32 file's weights stored in its own type.
#pragma once

#include <string>

#include "model_generator.h"

namespace edgenode::engine::quant_test {

// Dimensions divide into 256-element super-blocks so no K-type row falls back to another type.
tools::ModelShape quant_test_shape(const std::string& type, uint64_t seed = 7);

// Path of a model of that shape, written on first use.
const std::string& quant_test_model(const tools::ModelShape& shape);
inline const std::string& quant_test_model(const std::string& type, uint64_t seed = 7) {
  return quant_test_model(quant_test_shape(type, seed));
}

}  // namespace edgenode::engine::quant_test
