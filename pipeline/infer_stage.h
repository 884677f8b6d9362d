// `infer`: runs the prompt through a model on that model's worker thread and puts the
// generated text in result.text.
#pragma once

#include <memory>

#include "pipeline/build_context.h"
#include "pipeline/spec.h"
#include "pipeline/stage.h"

namespace edgenode::pipeline {

const ObjectSpec& infer_spec();
std::unique_ptr<Stage> build_infer_stage(const BuildContext& ctx);

}  // namespace edgenode::pipeline
