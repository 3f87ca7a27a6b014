#include "vsa-session.h"
