#include "vsa-controller.h"
