#include "vsa-config.h"
