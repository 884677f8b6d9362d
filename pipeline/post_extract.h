// The `extract` post step: a PCRE2 regex applied to a string field; a capture group
// becomes a field. Compiled once at load (JIT when available), with a match limit so a
// pathological pattern cannot stall the node.
#pragma once

#include <memory>

#include "pipeline/post_steps.h"

namespace edgenode::pipeline {

const ObjectSpec& extract_step_spec();
std::unique_ptr<PostStep> build_extract_step(const BuildContext& ctx);

}  // namespace edgenode::pipeline
