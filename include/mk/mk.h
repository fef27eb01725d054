// Umbrella header: the whole public API of megakernel.
#pragma once

#include "mk/abi.h"
#include "mk/backend.h"
#include "mk/batch.h"
#include "mk/bulk.h"
#include "mk/device_set.h"
#include "mk/dispatch_limits.h"
#include "mk/error.h"
#include "mk/io.h"
#include "mk/ir.h"
#include "mk/live.h"
#include "mk/megakernel.h"
#include "mk/protocol.h"
