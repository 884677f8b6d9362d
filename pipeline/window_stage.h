// `window`: groups recent messages per key so the prompt can look at several at once.
//   sliding  — every message goes on, with the last `count` messages (within `duration`)
//              of its key, itself included;
//   tumbling — messages are held until `count` have arrived for a key, then the last one
//              goes on carrying all of them and the window starts again.
#pragma once

#include <memory>

#include "pipeline/build_context.h"
#include "pipeline/spec.h"
#include "pipeline/stage.h"

namespace edgenode::pipeline {

const ObjectSpec& window_spec();
std::unique_ptr<Stage> build_window_stage(const BuildContext& ctx);

}  // namespace edgenode::pipeline
