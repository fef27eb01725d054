// A backend's own pipeline type from the Pipeline a Megakernel hands it, or the error
// every backend gives for a pipeline built by another one.
#pragma once

#include "mk/backend.h"

namespace mk::detail {

template <class P>
Result<const P*> pipeline_as(const Pipeline& pipeline) {
  const auto* p = dynamic_cast<const P*>(&pipeline);
  if (p == nullptr)
    return fail(ErrorKind::InvalidArgument, "pipeline was built by another backend",
                "dispatch through the Megakernel that built it");
  return p;
}

}  // namespace mk::detail
