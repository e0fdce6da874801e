/* Placeholder: implemented by the metrics work item. */
#include "core.h"
#include "growth/metrics.h"
