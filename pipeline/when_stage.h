// `when`: an expression that must be true for the message to go on; false filters it.
#pragma once

#include <memory>

#include "pipeline/build_context.h"
#include "pipeline/spec.h"
#include "pipeline/stage.h"

namespace edgenode::pipeline {

const FieldSpec& when_field_spec();
std::unique_ptr<Stage> build_when_stage(const BuildContext& ctx);

}  // namespace edgenode::pipeline
