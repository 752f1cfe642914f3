/* Compatibility path: Falco's libs layout <plugin/plugin_types.h>. */
#include "../plugin_types.h"
