/* Compatibility path: older Falco plugins include <engine/source_plugin/plugin_info.h>. */
#ifndef SAKER_PLUGIN_INFO_H
#define SAKER_PLUGIN_INFO_H
#include "../../plugin_api.h"
#endif
