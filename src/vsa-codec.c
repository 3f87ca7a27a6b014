#include "vsa-codec.h"
