// How far the logits of a model stored in a weight type may be from those of the same model
// stored as F32, when both run with their matrices requantized to Q8_0 at load.
//
// Both runs multiply with Q8_0 matrices: the reference rounds W to Q8_0 (relative error e8),
// the other rounds W + dT (dT: the type's rounding, relative error eT) to Q8_0 again. In the
// worst case the roundings are independent, so the two runs' matrices differ by a relative
// e = sqrt(eT^2 + 2 e8^2) (token_embd counts like the others, though the F32 model looks its
// rows up exactly and the other file's are rounded once). A product with a random matrix
// carries its relative error to its output, and a logit sits behind k = 7 * n_layer + 1
// matrices whose independent errors add in quadrature: the expected RMS difference of the
// logits, relative to their RMS, is rho = sqrt(k) * e. Random-weight models fluctuate around
// that (measured 0.9-1.2 rho over the ten types on 8- and 32-token prompts), so the RMS
// tolerance allows 1.5 rho. The differences are not normal: their largest is up to 6 times
// their RMS (measured 3.6-5.8), so a single logit may be off by 6 times the RMS tolerance.
#pragma once

#include "model_generator.h"

namespace edgenode::engine::quant_test {

struct LogitTolerance {
  double expected_rms;  // rho: the expected RMS difference, relative to the logits' RMS
  double rms;           // the RMS difference may reach this
  double max;           // any single logit may differ by this (relative to the logits' RMS)
};

// Root mean square of the per-matrix relative errors of `stored` against the F32 model of the
// same shape and seed (NaN when a file cannot be read).
double weight_relative_error(const tools::ModelShape& stored);

LogitTolerance logit_tolerance(const tools::ModelShape& stored);

}  // namespace edgenode::engine::quant_test
