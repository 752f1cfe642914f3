/*
 * Saker plugin ABI: Falco's plugin API 3.12.0 for plugins written in C or C++.
 *
 * Written for Saker; names, values, struct members and signatures match Falco's
 * plugin_api.h so plugins written against Falco's header compile unchanged.
 * Semantics (ownership, lifetimes, threading) are in Saker's reference/plugin-abi.md.
 *
 * A plugin exports `plugin_<name>` functions with the signatures of the members of
 * `plugin_api` below. Define SAKER_PLUGIN_PROTOTYPES before including this header to get
 * declarations of all of them, so the compiler checks your definitions.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SAKER_PLUGIN_API_H
#define SAKER_PLUGIN_API_H

#include "plugin_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLUGIN_API_VERSION_MAJOR 3
#define PLUGIN_API_VERSION_MINOR 12
#define PLUGIN_API_VERSION_PATCH 0

#define QUOTE(str) #str
#define EXPAND_AND_QUOTE(str) QUOTE(str)
#define PLUGIN_API_VERSION \
	PLUGIN_API_VERSION_MAJOR.PLUGIN_API_VERSION_MINOR.PLUGIN_API_VERSION_PATCH
/* "3.12.0" */
#define PLUGIN_API_VERSION_STR EXPAND_AND_QUOTE(PLUGIN_API_VERSION)

/* Size of error buffers passed to plugins (async handler), NUL included. */
#define PLUGIN_MAX_ERRLEN 1024

/* Offset of the payload in a plugin event (type 322): header, 2 u32 lengths, plugin id. */
#define PLUGIN_EVENT_PAYLOAD_OFFSET 38

/* ---- Tables: field discovery/definition (legacy by-value form and _ext form). */
typedef struct {
	const ss_plugin_table_fieldinfo* (*list_table_fields)(ss_plugin_table_t* t, uint32_t* nfields);
	ss_plugin_table_field_t* (*get_table_field)(ss_plugin_table_t* t,
	                                            const char* name,
	                                            ss_plugin_state_type data_type);
	ss_plugin_table_field_t* (*add_table_field)(ss_plugin_table_t* t,
	                                            const char* name,
	                                            ss_plugin_state_type data_type);
} ss_plugin_table_fields_vtable;

typedef struct {
	/* Fields of the table's entries; array owned by the table's owner. */
	const ss_plugin_table_fieldinfo* (*list_table_fields)(ss_plugin_table_t* t, uint32_t* nfields);
	/* Accessor of an existing field by name and type, NULL if absent. */
	ss_plugin_table_field_t* (*get_table_field)(ss_plugin_table_t* t,
	                                            const char* name,
	                                            ss_plugin_state_type data_type);
	/* Defines a field on every entry and returns its accessor. */
	ss_plugin_table_field_t* (*add_table_field)(ss_plugin_table_t* t,
	                                            const char* name,
	                                            ss_plugin_state_type data_type);
} ss_plugin_table_fields_vtable_ext;

/* ---- Tables: reading. */
typedef struct {
	const char* (*get_table_name)(ss_plugin_table_t* t);
	uint64_t (*get_table_size)(ss_plugin_table_t* t);
	ss_plugin_table_entry_t* (*get_table_entry)(ss_plugin_table_t* t,
	                                            const ss_plugin_state_data* key);
	ss_plugin_rc (*read_entry_field)(ss_plugin_table_t* t,
	                                 ss_plugin_table_entry_t* e,
	                                 const ss_plugin_table_field_t* f,
	                                 ss_plugin_state_data* out);
} ss_plugin_table_reader_vtable;

/* State passed through iterate_entries to the iterator. */
typedef void ss_plugin_table_iterator_state_t;

/* Called for each entry; return false to stop. */
typedef ss_plugin_bool (*ss_plugin_table_iterator_func_t)(ss_plugin_table_iterator_state_t* s,
                                                          ss_plugin_table_entry_t* e);

typedef struct {
	const char* (*get_table_name)(ss_plugin_table_t* t);
	/* UINT64_MAX on error. */
	uint64_t (*get_table_size)(ss_plugin_table_t* t);
	/* NULL if absent; every non-NULL entry must be released. */
	ss_plugin_table_entry_t* (*get_table_entry)(ss_plugin_table_t* t,
	                                            const ss_plugin_state_data* key);
	ss_plugin_rc (*read_entry_field)(ss_plugin_table_t* t,
	                                 ss_plugin_table_entry_t* e,
	                                 const ss_plugin_table_field_t* f,
	                                 ss_plugin_state_data* out);
	void (*release_table_entry)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e);
	ss_plugin_bool (*iterate_entries)(ss_plugin_table_t* t,
	                                  ss_plugin_table_iterator_func_t it,
	                                  ss_plugin_table_iterator_state_t* s);
} ss_plugin_table_reader_vtable_ext;

/* ---- Tables: writing (legacy and _ext forms are identical). */
typedef struct {
	ss_plugin_rc (*clear_table)(ss_plugin_table_t* t);
	ss_plugin_rc (*erase_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key);
	ss_plugin_table_entry_t* (*create_table_entry)(ss_plugin_table_t* t);
	void (*destroy_table_entry)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e);
	ss_plugin_table_entry_t* (*add_table_entry)(ss_plugin_table_t* t,
	                                            const ss_plugin_state_data* key,
	                                            ss_plugin_table_entry_t* entry);
	ss_plugin_rc (*write_entry_field)(ss_plugin_table_t* t,
	                                  ss_plugin_table_entry_t* e,
	                                  const ss_plugin_table_field_t* f,
	                                  const ss_plugin_state_data* in);
} ss_plugin_table_writer_vtable;

typedef struct {
	ss_plugin_rc (*clear_table)(ss_plugin_table_t* t);
	ss_plugin_rc (*erase_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key);
	/* A detached entry, to add with add_table_entry or destroy. */
	ss_plugin_table_entry_t* (*create_table_entry)(ss_plugin_table_t* t);
	void (*destroy_table_entry)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e);
	/* Inserts (or replaces) at key; the returned entry must be released. */
	ss_plugin_table_entry_t* (*add_table_entry)(ss_plugin_table_t* t,
	                                            const ss_plugin_state_data* key,
	                                            ss_plugin_table_entry_t* entry);
	ss_plugin_rc (*write_entry_field)(ss_plugin_table_t* t,
	                                  ss_plugin_table_entry_t* e,
	                                  const ss_plugin_table_field_t* f,
	                                  const ss_plugin_state_data* in);
} ss_plugin_table_writer_vtable_ext;

/* A plugin-owned table offered to add_table. Legacy vtables and _ext pointers must hold
 * the same functions; the host copies the function pointers and keeps name and table. */
typedef struct {
	const char* name;
	ss_plugin_state_type key_type;
	ss_plugin_table_t* table;
	ss_plugin_table_reader_vtable reader;
	ss_plugin_table_writer_vtable writer;
	ss_plugin_table_fields_vtable fields;
	ss_plugin_table_reader_vtable_ext* reader_ext;
	ss_plugin_table_writer_vtable_ext* writer_ext;
	ss_plugin_table_fields_vtable_ext* fields_ext;
} ss_plugin_table_input;

/* Table access during init (only for plugins with parse or extract capability). */
typedef struct {
	ss_plugin_table_info* (*list_tables)(ss_plugin_owner_t* o, uint32_t* ntables);
	ss_plugin_table_t* (*get_table)(ss_plugin_owner_t* o,
	                                const char* name,
	                                ss_plugin_state_type key_type);
	ss_plugin_rc (*add_table)(ss_plugin_owner_t* o, const ss_plugin_table_input* in);
	ss_plugin_table_fields_vtable fields;
	ss_plugin_table_fields_vtable_ext* fields_ext;
	ss_plugin_table_reader_vtable_ext* reader_ext;
	ss_plugin_table_writer_vtable_ext* writer_ext;
} ss_plugin_init_tables_input;

/* Host logger; component NULL = the plugin's name; msg needs no trailing newline. */
typedef void (*ss_plugin_log_fn_t)(ss_plugin_owner_t* o,
                                   const char* component,
                                   const char* msg,
                                   ss_plugin_log_severity sev);

/* Input of plugin_init. Host pointers are valid during the call, except owner and log_fn
 * which are stable for the plugin's lifetime. */
typedef struct ss_plugin_init_input {
	const char* config;
	ss_plugin_owner_t* owner;
	const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
	const ss_plugin_init_tables_input* tables;
	ss_plugin_log_fn_t log_fn;
} ss_plugin_init_input;

/* Input of plugin_extract_fields. */
typedef struct ss_plugin_field_extract_input {
	ss_plugin_owner_t* owner;
	const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
	uint32_t num_fields;
	ss_plugin_extract_field* fields;
	ss_plugin_table_reader_vtable table_reader;
	ss_plugin_table_reader_vtable_ext* table_reader_ext;
	ss_plugin_extract_value_offsets* value_offsets;
} ss_plugin_field_extract_input;

/* Input of plugin_parse_event. */
typedef struct ss_plugin_event_parse_input {
	ss_plugin_owner_t* owner;
	const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
	ss_plugin_table_reader_vtable table_reader;
	ss_plugin_table_writer_vtable table_writer;
	ss_plugin_table_reader_vtable_ext* table_reader_ext;
	ss_plugin_table_writer_vtable_ext* table_writer_ext;
} ss_plugin_event_parse_input;

/* Input of plugin_set_config. */
typedef struct ss_plugin_set_config_input {
	const char* config;
} ss_plugin_set_config_input;

/* ---- Routines (3.7): functions the host runs repeatedly on its thread pool. */
typedef void ss_plugin_routine_t;
typedef void ss_plugin_routine_state_t;
/* Return false to stop being rescheduled. */
typedef ss_plugin_bool (*ss_plugin_routine_fn_t)(ss_plugin_t* s, ss_plugin_routine_state_t* i);

typedef struct {
	ss_plugin_routine_t* (*subscribe)(ss_plugin_owner_t* o,
	                                  ss_plugin_routine_fn_t f,
	                                  ss_plugin_routine_state_t* i);
	ss_plugin_rc (*unsubscribe)(ss_plugin_owner_t* o, ss_plugin_routine_t* r);
} ss_plugin_routine_vtable;

/* Input of plugin_capture_open / plugin_capture_close. */
typedef struct ss_plugin_capture_listen_input {
	ss_plugin_owner_t* owner;
	ss_plugin_routine_vtable* routine;
	ss_plugin_table_reader_vtable_ext* table_reader_ext;
	ss_plugin_table_writer_vtable_ext* table_writer_ext;
	const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
} ss_plugin_capture_listen_input;

/* Pushes an async event (type 402); err is a PLUGIN_MAX_ERRLEN buffer owned by the plugin. */
typedef ss_plugin_rc (*ss_plugin_async_event_handler_t)(ss_plugin_owner_t* o,
                                                        const ss_plugin_event* evt,
                                                        char* err);

/* Every function a plugin may export as plugin_<member>, grouped by capability. */
typedef struct {
	/* common */
	const char* (*get_required_api_version)();
	const char* (*get_init_schema)(ss_plugin_schema_type* schema_type);
	ss_plugin_t* (*init)(const ss_plugin_init_input* input, ss_plugin_rc* rc);
	void (*destroy)(ss_plugin_t* s);
	const char* (*get_last_error)(ss_plugin_t* s);
	const char* (*get_name)();
	const char* (*get_description)();
	const char* (*get_contact)();
	const char* (*get_version)();

	/* event sourcing */
	struct {
		uint32_t (*get_id)();
		const char* (*get_event_source)();
		ss_instance_t* (*open)(ss_plugin_t* s, const char* params, ss_plugin_rc* rc);
		void (*close)(ss_plugin_t* s, ss_instance_t* h);
		const char* (*list_open_params)(ss_plugin_t* s, ss_plugin_rc* rc);
		const char* (*get_progress)(ss_plugin_t* s, ss_instance_t* h, uint32_t* progress_pct);
		const char* (*event_to_string)(ss_plugin_t* s, const ss_plugin_event_input* evt);
		ss_plugin_rc (*next_batch)(ss_plugin_t* s,
		                           ss_instance_t* h,
		                           uint32_t* nevts,
		                           ss_plugin_event*** evts);
	};

	/* field extraction */
	struct {
		uint16_t* (*get_extract_event_types)(uint32_t* numtypes, ss_plugin_t* s);
		const char* (*get_extract_event_sources)();
		const char* (*get_fields)();
		ss_plugin_rc (*extract_fields)(ss_plugin_t* s,
		                               const ss_plugin_event_input* evt,
		                               const ss_plugin_field_extract_input* in);
	};

	/* event parsing */
	struct {
		uint16_t* (*get_parse_event_types)(uint32_t* numtypes, ss_plugin_t* s);
		const char* (*get_parse_event_sources)();
		ss_plugin_rc (*parse_event)(ss_plugin_t* s,
		                            const ss_plugin_event_input* evt,
		                            const ss_plugin_event_parse_input* in);
	};

	/* async events */
	struct {
		const char* (*get_async_event_sources)();
		const char* (*get_async_events)();
		ss_plugin_rc (*set_async_event_handler)(ss_plugin_t* s,
		                                        ss_plugin_owner_t* owner,
		                                        const ss_plugin_async_event_handler_t handler);
		ss_plugin_rc (*dump_state)(ss_plugin_t* s,
		                           ss_plugin_owner_t* owner,
		                           const ss_plugin_async_event_handler_t handler);
	};

	/* config and metrics */
	ss_plugin_rc (*set_config)(ss_plugin_t* s, const ss_plugin_set_config_input* i);
	ss_plugin_metric* (*get_metrics)(ss_plugin_t* s, uint32_t* num_metrics);

	/* capture listening */
	struct {
		ss_plugin_rc (*capture_open)(ss_plugin_t* s, const ss_plugin_capture_listen_input* i);
		ss_plugin_rc (*capture_close)(ss_plugin_t* s, const ss_plugin_capture_listen_input* i);
	};

	/* event schema (3.12); NULL = "3.0.0" */
	const char* (*get_required_event_schema_version)(ss_plugin_t* s);
} plugin_api;

#ifdef SAKER_PLUGIN_PROTOTYPES
/* Declarations of the exported symbols, for compile-time checking of definitions. */
const char* plugin_get_required_api_version(void);
const char* plugin_get_init_schema(ss_plugin_schema_type* schema_type);
ss_plugin_t* plugin_init(const ss_plugin_init_input* input, ss_plugin_rc* rc);
void plugin_destroy(ss_plugin_t* s);
const char* plugin_get_last_error(ss_plugin_t* s);
const char* plugin_get_name(void);
const char* plugin_get_description(void);
const char* plugin_get_contact(void);
const char* plugin_get_version(void);
uint32_t plugin_get_id(void);
const char* plugin_get_event_source(void);
ss_instance_t* plugin_open(ss_plugin_t* s, const char* params, ss_plugin_rc* rc);
void plugin_close(ss_plugin_t* s, ss_instance_t* h);
const char* plugin_list_open_params(ss_plugin_t* s, ss_plugin_rc* rc);
const char* plugin_get_progress(ss_plugin_t* s, ss_instance_t* h, uint32_t* progress_pct);
const char* plugin_event_to_string(ss_plugin_t* s, const ss_plugin_event_input* evt);
ss_plugin_rc plugin_next_batch(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts);
uint16_t* plugin_get_extract_event_types(uint32_t* numtypes, ss_plugin_t* s);
const char* plugin_get_extract_event_sources(void);
const char* plugin_get_fields(void);
ss_plugin_rc plugin_extract_fields(ss_plugin_t* s,
                                   const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in);
uint16_t* plugin_get_parse_event_types(uint32_t* numtypes, ss_plugin_t* s);
const char* plugin_get_parse_event_sources(void);
ss_plugin_rc plugin_parse_event(ss_plugin_t* s,
                                const ss_plugin_event_input* evt,
                                const ss_plugin_event_parse_input* in);
const char* plugin_get_async_event_sources(void);
const char* plugin_get_async_events(void);
ss_plugin_rc plugin_set_async_event_handler(ss_plugin_t* s,
                                            ss_plugin_owner_t* owner,
                                            const ss_plugin_async_event_handler_t handler);
ss_plugin_rc plugin_dump_state(ss_plugin_t* s,
                               ss_plugin_owner_t* owner,
                               const ss_plugin_async_event_handler_t handler);
ss_plugin_rc plugin_set_config(ss_plugin_t* s, const ss_plugin_set_config_input* i);
ss_plugin_metric* plugin_get_metrics(ss_plugin_t* s, uint32_t* num_metrics);
ss_plugin_rc plugin_capture_open(ss_plugin_t* s, const ss_plugin_capture_listen_input* i);
ss_plugin_rc plugin_capture_close(ss_plugin_t* s, const ss_plugin_capture_listen_input* i);
const char* plugin_get_required_event_schema_version(ss_plugin_t* s);

/* Saker extension (Falco ignores it): return non-zero when plugin_extract_fields answers
 * several fields per call correctly (every result valid until the next call). Saker then asks
 * the fields a rule needs from one event in one call; without it, one field per call (as
 * libsinsp does). Plugins built with Saker's Rust SDK need not export it. */
uint32_t saker_plugin_extracts_several_fields(void);
#endif /* SAKER_PLUGIN_PROTOTYPES */

#ifdef __cplusplus
}
#endif

#endif /* SAKER_PLUGIN_API_H */
