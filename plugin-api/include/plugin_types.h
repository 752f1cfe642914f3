/*
 * Saker plugin ABI: the data types of Falco's plugin API 3.12.0.
 *
 * Written for Saker; type names, enum values and struct members match Falco's
 * plugin_types.h so plugins written against Falco's header compile unchanged.
 * The Rust definitions in plugin-api/src/ffi.rs are the reference; a test compiles
 * this header and compares every size and offset with them.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SAKER_PLUGIN_TYPES_H
#define SAKER_PLUGIN_TYPES_H

#include <inttypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Booleans cross the boundary as 4 bytes: 0 = false. */
typedef uint32_t ss_plugin_bool;

/* Types of extracted fields; the numbers are libscap's PT_* codes. */
typedef enum ss_plugin_field_type {
	FTYPE_UINT64 = 8,   /* uint64_t */
	FTYPE_STRING = 9,   /* NUL-terminated string */
	FTYPE_RELTIME = 20, /* duration in ns */
	FTYPE_ABSTIME = 21, /* ns since the epoch */
	FTYPE_BOOL = 25,    /* ss_plugin_bool */
	FTYPE_IPADDR = 40,  /* ss_plugin_byte_buffer of 4 or 16 bytes */
	FTYPE_IPNET = 41,   /* network address only, 4 or 16 bytes */
} ss_plugin_field_type;

/* Return codes. */
typedef enum ss_plugin_rc {
	SS_PLUGIN_SUCCESS = 0,
	SS_PLUGIN_FAILURE = 1,
	SS_PLUGIN_TIMEOUT = -1,
	SS_PLUGIN_EOF = 2,
	SS_PLUGIN_NOT_SUPPORTED = 3,
} ss_plugin_rc;

/* Format of the schema returned by get_init_schema. */
typedef enum ss_plugin_schema_type {
	SS_PLUGIN_SCHEMA_NONE = 0,
	SS_PLUGIN_SCHEMA_JSON = 1,
} ss_plugin_schema_type;

/*
 * scap event header. The event is the header, then nparams length slots (2 bytes,
 * or 4 bytes for large-payload types such as 322 and 402), then the parameters.
 * Packed: pointers to events are not aligned.
 */
#if defined _MSC_VER
#pragma pack(push)
#pragma pack(1)
#else
#pragma pack(push, 1)
#endif
struct ss_plugin_event {
#ifdef PPM_ENABLE_SENTINEL
	uint32_t sentinel_begin;
#endif
	uint64_t ts;      /* ns since the epoch; UINT64_MAX = stamped by the host */
	uint64_t tid;     /* thread id; UINT64_MAX = none */
	uint32_t len;     /* whole event, header included */
	uint16_t type;    /* libscap event code */
	uint32_t nparams; /* number of parameters */
};
#pragma pack(pop)
typedef struct ss_plugin_event ss_plugin_event;

/* An event handed to extract, parse and event_to_string (read-only). */
typedef struct ss_plugin_event_input {
	const ss_plugin_event* evt;
	uint64_t evtnum;    /* host event counter */
	const char* evtsrc; /* source name, e.g. "syscall" */
} ss_plugin_event_input;

/* Bytes of an ipaddr/ipnet value. */
typedef struct ss_plugin_byte_buffer {
	uint32_t len;
	const void* ptr;
} ss_plugin_byte_buffer;

/* Where extracted values lie in the event (3.11): plugin-owned arrays, NULL = unsupported. */
typedef struct ss_plugin_extract_value_offsets {
	uint32_t* start;
	uint32_t* length;
} ss_plugin_extract_value_offsets;

/* One field request: inputs from the host, res/res_len from the plugin. */
typedef struct ss_plugin_extract_field {
	union {
		const char** str;
		uint64_t* u64;
		uint32_t* u32;
		ss_plugin_bool* boolean;
		ss_plugin_byte_buffer* buf;
	} res;
	uint64_t res_len;

	uint32_t field_id;     /* index in get_fields */
	const char* field;     /* field name */
	const char* arg_key;   /* key argument, or NULL */
	uint64_t arg_index;    /* index argument; meaningful only if arg_present */
	ss_plugin_bool arg_present;
	uint32_t ftype;        /* declared ss_plugin_field_type */
	ss_plugin_bool flist;  /* declared as list */
} ss_plugin_extract_field;

/* Opaque handles. */
typedef void ss_plugin_table_t;
typedef void ss_plugin_table_entry_t;
typedef void ss_plugin_table_field_t;
typedef void ss_plugin_owner_t;
typedef void ss_plugin_t;
typedef void ss_instance_t;

/* Types of table keys and fields. */
typedef enum ss_plugin_state_type {
	SS_PLUGIN_ST_INT8 = 1,
	SS_PLUGIN_ST_INT16 = 2,
	SS_PLUGIN_ST_INT32 = 3,
	SS_PLUGIN_ST_INT64 = 4,
	SS_PLUGIN_ST_UINT8 = 5,
	SS_PLUGIN_ST_UINT16 = 6,
	SS_PLUGIN_ST_UINT32 = 7,
	SS_PLUGIN_ST_UINT64 = 8,
	SS_PLUGIN_ST_STRING = 9,
	SS_PLUGIN_ST_TABLE = 10,
	SS_PLUGIN_ST_BOOL = 25
} ss_plugin_state_type;

/* A table key or field value; the member is chosen by the declared type. */
typedef union ss_plugin_state_data {
	int8_t s8;
	int16_t s16;
	int32_t s32;
	int64_t s64;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const char* str;
	ss_plugin_bool b;
	ss_plugin_table_t* table;
} ss_plugin_state_data;

typedef struct ss_plugin_table_info {
	const char* name;
	ss_plugin_state_type key_type;
} ss_plugin_table_info;

typedef struct ss_plugin_table_fieldinfo {
	const char* name;
	ss_plugin_state_type field_type;
	ss_plugin_bool read_only;
} ss_plugin_table_fieldinfo;

/* Severity of log_fn messages. */
typedef enum ss_plugin_log_severity {
	SS_PLUGIN_LOG_SEV_FATAL = 1,
	SS_PLUGIN_LOG_SEV_CRITICAL = 2,
	SS_PLUGIN_LOG_SEV_ERROR = 3,
	SS_PLUGIN_LOG_SEV_WARNING = 4,
	SS_PLUGIN_LOG_SEV_NOTICE = 5,
	SS_PLUGIN_LOG_SEV_INFO = 6,
	SS_PLUGIN_LOG_SEV_DEBUG = 7,
	SS_PLUGIN_LOG_SEV_TRACE = 8,
} ss_plugin_log_severity;

/* Which member of ss_plugin_metric_value holds the value. */
typedef enum ss_plugin_metric_value_type {
	SS_PLUGIN_METRIC_VALUE_TYPE_U32 = 0,
	SS_PLUGIN_METRIC_VALUE_TYPE_S32 = 1,
	SS_PLUGIN_METRIC_VALUE_TYPE_U64 = 2,
	SS_PLUGIN_METRIC_VALUE_TYPE_S64 = 3,
	SS_PLUGIN_METRIC_VALUE_TYPE_D = 4,
	SS_PLUGIN_METRIC_VALUE_TYPE_F = 5,
	SS_PLUGIN_METRIC_VALUE_TYPE_I = 6,
} ss_plugin_metric_value_type;

typedef union ss_plugin_metric_value {
	uint32_t u32;
	int32_t s32;
	uint64_t u64;
	int64_t s64;
	double d;
	float f;
	int i;
} ss_plugin_metric_value;

typedef enum ss_plugin_metric_type {
	SS_PLUGIN_METRIC_TYPE_MONOTONIC = 0,
	SS_PLUGIN_METRIC_TYPE_NON_MONOTONIC = 1,
} ss_plugin_metric_type;

/* One metric of get_metrics; the host prefixes the name with "<plugin name>.". */
typedef struct ss_plugin_metric {
	const char* name;
	ss_plugin_metric_type type;
	ss_plugin_metric_value value;
	ss_plugin_metric_value_type value_type;
} ss_plugin_metric;

#ifdef __cplusplus
}
#endif

#endif /* SAKER_PLUGIN_TYPES_H */
