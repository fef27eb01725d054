// The live engine of an isolated backend, in the caller's process: the ring and the
// completion records are shared memory the worker's engine runs over, so submit and
// harvest are plain memory accesses; only read_control, stall and stop are commands.
#pragma once

#include <memory>

#include "isolate/live_link.h"
#include "mk/backend.h"

namespace mk::isolate {

Result<std::unique_ptr<LiveEngine>> start_supervised_live(std::shared_ptr<Supervisor> supervisor,
                                                          std::shared_ptr<const SupervisedPipeline> pipeline,
                                                          const LiveEngineConfig& config);

}  // namespace mk::isolate
