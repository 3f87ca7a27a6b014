#include "vsa-agent.h"
