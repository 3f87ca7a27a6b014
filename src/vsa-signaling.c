#include "vsa-signaling.h"
