// `prompt`: renders the system and user messages from Jinja templates over the message
// (payload, topic, topic_levels, window, node). The infer stage then puts them through
// the model's own chat template.
#pragma once

#include <memory>

#include "pipeline/build_context.h"
#include "pipeline/spec.h"
#include "pipeline/stage.h"

namespace edgenode::pipeline {

const ObjectSpec& prompt_spec();
std::unique_ptr<Stage> build_prompt_stage(const BuildContext& ctx);

}  // namespace edgenode::pipeline
