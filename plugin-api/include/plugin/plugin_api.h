/* Compatibility path: Falco's libs layout <plugin/plugin_api.h>. */
#include "../plugin_api.h"
