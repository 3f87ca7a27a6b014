#include <glib.h>
int vsa_test_controller_placeholder (void);
int
vsa_test_controller_placeholder (void)
{
  return 0;
}
