/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SDP text → GstSDPMessage → the codec choice, with every encoder declared installed. */
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* No gst_init (): the SDP parser needs none, and its quarks overflow GLib's first quark
   * block, which GLib then leaks on purpose (LeakSanitizer would report it). */
  vsa_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* The agent has the SDP as a C string (from JSON): it ends at the first NUL. */
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GstSDPMessage) sdp = NULL;

  /* vsa_offer_parse () refuses an empty SDP, which the SDP parser takes as a critical. */
  if (text[0] != '\0' && gst_sdp_message_new_from_text (text, &sdp) == GST_SDP_OK)
    vsa_fuzz_choose_codecs (sdp);
  return 0;
}
