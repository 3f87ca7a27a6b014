/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsax11src and vsapacer as a GStreamer plugin (libgstvsax11src.so), so that
 * gst-launch-1.0 can run the agent's capture and encode outside the agent: the
 * benchmark's bare pipeline. The agent itself registers the elements statically. */

#include "config.h"

#include "vsa-pacer.h"
#include "vsa-x11-src.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  return gst_element_register (plugin, "vsax11src", GST_RANK_NONE, VSA_TYPE_X11_SRC)
         && gst_element_register (plugin, "vsapacer", GST_RANK_NONE, VSA_TYPE_PACER);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, vsax11src,
                   "The vm-stream-agent's X screen capture", plugin_init, PACKAGE_VERSION, "LGPL",
                   PACKAGE, PACKAGE)
