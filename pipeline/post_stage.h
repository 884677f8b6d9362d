// `post`: the list of post steps, run in order on the result.
#pragma once

#include <memory>

#include "pipeline/build_context.h"
#include "pipeline/spec.h"
#include "pipeline/stage.h"

namespace edgenode::pipeline {

const FieldSpec& post_field_spec();
std::unique_ptr<Stage> build_post_stage(const BuildContext& ctx);

}  // namespace edgenode::pipeline
