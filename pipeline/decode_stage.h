// `input`: which bus and topics feed the pipeline and how payloads are decoded. The
// decode stage is the first of every pipeline: bytes → payload (JSON value) with the
// configured size and depth limits.
#pragma once

#include <memory>

#include "pipeline/build_context.h"
#include "pipeline/spec.h"
#include "pipeline/stage.h"

namespace edgenode::pipeline {

const ObjectSpec& input_spec();
std::unique_ptr<Stage> build_decode_stage(const BuildContext& ctx);

}  // namespace edgenode::pipeline
