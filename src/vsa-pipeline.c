#include "vsa-pipeline.h"
