//! The audit webhook server (http and https) feeding the plugin's event queue.
