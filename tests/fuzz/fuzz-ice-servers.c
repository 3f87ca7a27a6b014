/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET /api/webrtc/ice-servers bodies. */
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  vsa_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) servers = vsa_ice_servers_parse ((const char *) data, size, &error);

  if (servers == NULL)
    {
      VSA_FUZZ_CHECK (error != NULL && error->domain == VSA_SIGNALING_ERROR);
      return 0;
    }
  VSA_FUZZ_CHECK (error == NULL);
  for (guint i = 0; i < servers->len; i++)
    {
      const VsaIceServer *server = g_ptr_array_index (servers, i);

      /* webrtcbin is handed only usable STUN/TURN URLs */
      VSA_FUZZ_CHECK (server->urls != NULL && server->urls[0] != NULL);
      for (guint j = 0; server->urls[j] != NULL; j++)
        {
          VSA_FUZZ_CHECK (g_str_has_prefix (server->urls[j], "stun:")
                          || g_str_has_prefix (server->urls[j], "stuns:")
                          || g_str_has_prefix (server->urls[j], "turn:")
                          || g_str_has_prefix (server->urls[j], "turns:"));
          VSA_FUZZ_CHECK (g_utf8_validate (server->urls[j], -1, NULL));
        }
      VSA_FUZZ_CHECK (server->username == NULL || g_utf8_validate (server->username, -1, NULL));
      VSA_FUZZ_CHECK (server->credential == NULL || g_utf8_validate (server->credential, -1, NULL));
    }
  return 0;
}
