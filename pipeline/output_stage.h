// `output`: turns the result into the message published: topic from a template, the
// chosen fields, encoded as json, msgpack or text, with provenance user properties.
#pragma once

#include <memory>

#include "pipeline/build_context.h"
#include "pipeline/spec.h"
#include "pipeline/stage.h"

namespace edgenode::pipeline {

// The bus an empty `bus:` means (node.bus).
inline constexpr const char* kDefaultBusName = "default";

const ObjectSpec& output_spec();
std::unique_ptr<Stage> build_output_stage(const BuildContext& ctx);

}  // namespace edgenode::pipeline
