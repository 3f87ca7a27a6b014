#include "vsa-backoff.h"
