/*
 * countgen: a counting event source with field extraction, written in plain C against
 * Saker's plugin_api.h (Falco plugin API 3.12.0). See README.md for the build command.
 *
 * - open_params: number of events to generate (default 10).
 * - init config (JSON): {"start": N} = number of the first event (default 1).
 * - Each event's payload is the event number as a little-endian uint64 (8 bytes).
 * - Every field type is exported, including list, index-argument and key-argument fields.
 *
 * Memory rules (plugin-abi.md section 4): events live in the instance until the next
 * next_batch/close; extracted values live in the state until the next extract_fields;
 * every extract call may carry several fields.
 * SPDX-License-Identifier: Apache-2.0
 */
#define SAKER_PLUGIN_PROTOTYPES
#include <plugin_api.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTGEN_ID 999
#define COUNTGEN_SOURCE "countgen"
#define DEFAULT_EVENT_COUNT 10
#define MAX_BATCH_EVENTS 128
#define BASE_TS_NS 1700000000000000000ULL
#define RECORD_LEN 8
#define PLUGIN_EVENT_LEN (PLUGIN_EVENT_PAYLOAD_OFFSET + RECORD_LEN)
/* Most values one field returns (countgen.list has 1 to 3). */
#define MAX_VALUES_PER_FIELD 3
/* Longest string value, NUL included. */
#define MAX_STR_LEN 128

enum field_id {
	F_NUM,
	F_STR,
	F_EVEN,
	F_RELTIME,
	F_ABSTIME,
	F_IP,
	F_NET,
	F_LIST,
	F_BYINDEX,
	F_BYKEY,
	F_COUNT
};

static const char* FIELDS_JSON =
    "["
    "{\"name\":\"countgen.num\",\"type\":\"uint64\",\"desc\":\"Event number\",\"display\":\"Number\"},"
    "{\"name\":\"countgen.str\",\"type\":\"string\",\"desc\":\"Event number as text, e.g. event-7\"},"
    "{\"name\":\"countgen.even\",\"type\":\"bool\",\"desc\":\"True when the event number is even\"},"
    "{\"name\":\"countgen.reltime\",\"type\":\"reltime\",\"desc\":\"Event number in microseconds, as a "
    "duration\"},"
    "{\"name\":\"countgen.abstime\",\"type\":\"abstime\",\"desc\":\"Timestamp of the event\"},"
    "{\"name\":\"countgen.ip\",\"type\":\"ipaddr\",\"desc\":\"IPv4 address 10.0.x.y built from the event "
    "number\"},"
    "{\"name\":\"countgen.net\",\"type\":\"ipnet\",\"desc\":\"IPv6 network 2001:db8::N built from the event "
    "number\"},"
    "{\"name\":\"countgen.list\",\"type\":\"string\",\"isList\":true,\"desc\":\"1 to 3 strings item0, item1, "
    "...\"},"
    "{\"name\":\"countgen.byindex\",\"type\":\"uint64\",\"arg\":{\"isIndex\":true},\"desc\":\"Event number "
    "times the index argument\"},"
    "{\"name\":\"countgen.bykey\",\"type\":\"string\",\"arg\":{\"isKey\":true,\"isRequired\":true},"
    "\"addOutput\":true,\"desc\":\"The key argument and the event number, key=N\"}"
    "]";

static const char* INIT_SCHEMA =
    "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
    "\"properties\":{\"start\":{\"type\":\"integer\",\"minimum\":0,\"description\":\"number of the first "
    "event\"}},\"additionalProperties\":false}";

/* Values of one extract call: per request, up to MAX_VALUES_PER_FIELD slots of each kind. */
typedef struct {
	uint32_t capacity; /* requests the arrays can hold */
	uint64_t* u64s;
	uint32_t* bools;
	const char** strs;
	char (*str_bytes)[MAX_STR_LEN];
	ss_plugin_byte_buffer* bufs;
	uint8_t (*addr_bytes)[16];
} extract_storage;

typedef struct {
	char last_error[PLUGIN_MAX_ERRLEN];
	uint64_t start;
	extract_storage out;
	char text[64];
} countgen_state;

typedef struct {
	uint64_t next;
	uint64_t end;
	uint64_t total;
	uint8_t arena[MAX_BATCH_EVENTS * PLUGIN_EVENT_LEN];
	ss_plugin_event* events[MAX_BATCH_EVENTS];
	char progress[64];
} countgen_instance;

static void set_error(countgen_state* s, const char* fmt, const char* detail) {
	snprintf(s->last_error, sizeof(s->last_error), fmt, detail);
}

/* ---- common --------------------------------------------------------------------------- */

const char* plugin_get_required_api_version(void) { return PLUGIN_API_VERSION_STR; }
const char* plugin_get_version(void) { return "0.1.0"; }
const char* plugin_get_name(void) { return "countgen"; }
const char* plugin_get_description(void) { return "Generates numbered events; example C plugin for Saker"; }
const char* plugin_get_contact(void) { return "https://github.com/saker-project/saker"; }

const char* plugin_get_init_schema(ss_plugin_schema_type* schema_type) {
	*schema_type = SS_PLUGIN_SCHEMA_JSON;
	return INIT_SCHEMA;
}

/* Reads {"start": N} with a small scanner: the config is either empty, "{}", or that. */
static int parse_config(countgen_state* s, const char* config) {
	s->start = 1;
	if(config == NULL) {
		return 0;
	}
	const char* key = strstr(config, "\"start\"");
	if(key == NULL) {
		const char* p = config;
		while(isspace((unsigned char)*p) || *p == '{' || *p == '}') {
			p++;
		}
		if(*p != '\0') {
			set_error(s, "init config should be {\"start\": N}, found %s", config);
			return -1;
		}
		return 0;
	}
	const char* p = key + strlen("\"start\"");
	while(isspace((unsigned char)*p)) p++;
	if(*p != ':') {
		set_error(s, "init config: expected ':' after \"start\" in %s", config);
		return -1;
	}
	p++;
	while(isspace((unsigned char)*p)) p++;
	if(!isdigit((unsigned char)*p)) {
		set_error(s, "init config: \"start\" should be a non-negative integer, found %s", config);
		return -1;
	}
	errno = 0;
	char* end = NULL;
	unsigned long long v = strtoull(p, &end, 10);
	if(errno != 0) {
		set_error(s, "init config: \"start\" is out of range in %s", config);
		return -1;
	}
	s->start = v;
	return 0;
}

ss_plugin_t* plugin_init(const ss_plugin_init_input* input, ss_plugin_rc* rc) {
	countgen_state* s = calloc(1, sizeof(countgen_state));
	if(s == NULL) {
		*rc = SS_PLUGIN_FAILURE;
		return NULL;
	}
	/* The state is returned even on failure so the host can read the error. */
	*rc = parse_config(s, input ? input->config : NULL) == 0 ? SS_PLUGIN_SUCCESS : SS_PLUGIN_FAILURE;
	if(*rc == SS_PLUGIN_SUCCESS && input && input->log_fn) {
		input->log_fn(input->owner, NULL, "countgen initialized", SS_PLUGIN_LOG_SEV_INFO);
	}
	return s;
}

static void free_storage(extract_storage* o) {
	free(o->u64s);
	free(o->bools);
	free(o->strs);
	free(o->str_bytes);
	free(o->bufs);
	free(o->addr_bytes);
	memset(o, 0, sizeof(*o));
}

void plugin_destroy(ss_plugin_t* s) {
	countgen_state* st = s;
	if(st != NULL) {
		free_storage(&st->out);
		free(st);
	}
}

const char* plugin_get_last_error(ss_plugin_t* s) { return ((countgen_state*)s)->last_error; }

/* ---- sourcing ------------------------------------------------------------------------- */

uint32_t plugin_get_id(void) { return COUNTGEN_ID; }
const char* plugin_get_event_source(void) { return COUNTGEN_SOURCE; }

ss_instance_t* plugin_open(ss_plugin_t* s, const char* params, ss_plugin_rc* rc) {
	countgen_state* st = s;
	uint64_t total = DEFAULT_EVENT_COUNT;
	if(params != NULL && params[0] != '\0') {
		char* end = NULL;
		errno = 0;
		unsigned long long v = strtoull(params, &end, 10);
		if(errno != 0 || end == params || *end != '\0' || params[0] == '-') {
			set_error(st, "open_params should be a number of events, found \"%s\"", params);
			*rc = SS_PLUGIN_FAILURE;
			return NULL;
		}
		total = v;
	}
	countgen_instance* h = calloc(1, sizeof(countgen_instance));
	if(h == NULL) {
		set_error(st, "%s", "out of memory opening countgen");
		*rc = SS_PLUGIN_FAILURE;
		return NULL;
	}
	h->next = st->start;
	h->end = st->start + total;
	h->total = total;
	*rc = SS_PLUGIN_SUCCESS;
	return h;
}

void plugin_close(ss_plugin_t* s, ss_instance_t* h) {
	(void)s;
	free(h);
}

const char* plugin_list_open_params(ss_plugin_t* s, ss_plugin_rc* rc) {
	(void)s;
	*rc = SS_PLUGIN_SUCCESS;
	return "[{\"value\":\"10\",\"desc\":\"number of events to generate\"}]";
}

static void put_u32(uint8_t* p, uint32_t v) { memcpy(p, &v, sizeof(v)); }

ss_plugin_rc plugin_next_batch(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts) {
	(void)s;
	countgen_instance* in = h;
	uint32_t n = 0;
	while(n < MAX_BATCH_EVENTS && in->next < in->end) {
		uint8_t* e = in->arena + (size_t)n * PLUGIN_EVENT_LEN;
		ss_plugin_event hdr;
		hdr.ts = BASE_TS_NS + in->next * 1000;
		hdr.tid = UINT64_MAX;
		hdr.len = PLUGIN_EVENT_LEN;
		hdr.type = 322;
		hdr.nparams = 2;
		memcpy(e, &hdr, sizeof(hdr));
		put_u32(e + 26, 4);
		put_u32(e + 30, RECORD_LEN);
		put_u32(e + 34, COUNTGEN_ID);
		/* Little-endian record whatever the host's byte order. */
		for(int i = 0; i < RECORD_LEN; i++) {
			e[PLUGIN_EVENT_PAYLOAD_OFFSET + i] = (uint8_t)(in->next >> (8 * i));
		}
		in->events[n] = (ss_plugin_event*)e;
		in->next++;
		n++;
	}
	*nevts = n;
	*evts = in->events;
	return n == 0 ? SS_PLUGIN_EOF : SS_PLUGIN_SUCCESS;
}

const char* plugin_get_progress(ss_plugin_t* s, ss_instance_t* h, uint32_t* progress_pct) {
	countgen_instance* in = h;
	countgen_state* st = s;
	uint64_t done = in->next - st->start;
	*progress_pct = in->total == 0 ? 10000 : (uint32_t)(done * 10000 / in->total);
	snprintf(in->progress, sizeof(in->progress), "%llu/%llu", (unsigned long long)done,
	         (unsigned long long)in->total);
	return in->progress;
}

/* Decodes the event number of one of our events; -1 if the event is not ours. */
static int read_record(const ss_plugin_event* evt, uint64_t* num, uint64_t* ts) {
	ss_plugin_event hdr;
	uint32_t lens[2];
	const uint8_t* b = (const uint8_t*)evt;
	memcpy(&hdr, b, sizeof(hdr)); /* events are unaligned */
	if(hdr.type != 322 || hdr.nparams != 2 || hdr.len != PLUGIN_EVENT_LEN) {
		return -1;
	}
	memcpy(lens, b + 26, sizeof(lens));
	if(lens[0] != 4 || lens[1] != RECORD_LEN) {
		return -1;
	}
	uint64_t v = 0;
	for(int i = 0; i < RECORD_LEN; i++) {
		v |= (uint64_t)b[PLUGIN_EVENT_PAYLOAD_OFFSET + i] << (8 * i);
	}
	*num = v;
	*ts = hdr.ts;
	return 0;
}

const char* plugin_event_to_string(ss_plugin_t* s, const ss_plugin_event_input* evt) {
	countgen_state* st = s;
	uint64_t num, ts;
	if(read_record(evt->evt, &num, &ts) != 0) {
		return NULL;
	}
	snprintf(st->text, sizeof(st->text), "num=%llu", (unsigned long long)num);
	return st->text;
}

/* ---- extraction ----------------------------------------------------------------------- */

const char* plugin_get_fields(void) { return FIELDS_JSON; }

/* Saker extension: every extract call may carry several fields (see plugin_api.h). */
uint32_t saker_plugin_extracts_several_fields(void) { return 1; }

static int reserve(extract_storage* o, uint32_t nreq) {
	if(nreq <= o->capacity) {
		return 0;
	}
	size_t slots = (size_t)nreq * MAX_VALUES_PER_FIELD;
	free_storage(o);
	o->u64s = calloc(slots, sizeof(*o->u64s));
	o->bools = calloc(slots, sizeof(*o->bools));
	o->strs = calloc(slots, sizeof(*o->strs));
	o->str_bytes = calloc(slots, sizeof(*o->str_bytes));
	o->bufs = calloc(slots, sizeof(*o->bufs));
	o->addr_bytes = calloc(slots, sizeof(*o->addr_bytes));
	if(!o->u64s || !o->bools || !o->strs || !o->str_bytes || !o->bufs || !o->addr_bytes) {
		free_storage(o);
		return -1;
	}
	o->capacity = nreq;
	return 0;
}

/* Sets request `f` (number i of the call) to the string values in slots base..base+n. */
static void set_strings(extract_storage* o, ss_plugin_extract_field* f, size_t base, uint64_t n) {
	for(uint64_t k = 0; k < n; k++) {
		o->strs[base + k] = o->str_bytes[base + k];
	}
	f->res.str = &o->strs[base];
	f->res_len = n;
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* s,
                                   const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in) {
	countgen_state* st = s;
	extract_storage* o = &st->out;
	uint64_t num, ts;
	if(read_record(evt->evt, &num, &ts) != 0) {
		set_error(st, "%s", "event is not a countgen event of 46 bytes");
		return SS_PLUGIN_FAILURE;
	}
	if(reserve(o, in->num_fields) != 0) {
		set_error(st, "%s", "out of memory for extraction results");
		return SS_PLUGIN_FAILURE;
	}
	ss_plugin_rc rc = SS_PLUGIN_SUCCESS;
	for(uint32_t i = 0; i < in->num_fields; i++) {
		ss_plugin_extract_field* f = &in->fields[i];
		size_t base = (size_t)i * MAX_VALUES_PER_FIELD;
		f->res_len = 0;
		switch(f->field_id) {
		case F_NUM:
			o->u64s[base] = num;
			f->res.u64 = &o->u64s[base];
			f->res_len = 1;
			break;
		case F_STR:
			snprintf(o->str_bytes[base], MAX_STR_LEN, "event-%llu", (unsigned long long)num);
			set_strings(o, f, base, 1);
			break;
		case F_EVEN:
			o->bools[base] = num % 2 == 0;
			f->res.boolean = &o->bools[base];
			f->res_len = 1;
			break;
		case F_RELTIME:
			o->u64s[base] = num * 1000;
			f->res.u64 = &o->u64s[base];
			f->res_len = 1;
			break;
		case F_ABSTIME:
			o->u64s[base] = ts;
			f->res.u64 = &o->u64s[base];
			f->res_len = 1;
			break;
		case F_IP: {
			uint8_t* a = o->addr_bytes[base];
			a[0] = 10;
			a[1] = 0;
			a[2] = (uint8_t)(num >> 8);
			a[3] = (uint8_t)num;
			o->bufs[base].len = 4;
			o->bufs[base].ptr = a;
			f->res.buf = &o->bufs[base];
			f->res_len = 1;
			break;
		}
		case F_NET: {
			static const uint8_t prefix[4] = {0x20, 0x01, 0x0d, 0xb8};
			uint8_t* a = o->addr_bytes[base];
			memset(a, 0, 16);
			memcpy(a, prefix, sizeof(prefix));
			for(int k = 0; k < 4; k++) {
				a[12 + k] = (uint8_t)(num >> (8 * (3 - k)));
			}
			o->bufs[base].len = 16;
			o->bufs[base].ptr = a;
			f->res.buf = &o->bufs[base];
			f->res_len = 1;
			break;
		}
		case F_LIST: {
			uint64_t n = num % 3 + 1;
			for(uint64_t k = 0; k < n; k++) {
				snprintf(o->str_bytes[base + k], MAX_STR_LEN, "item%llu", (unsigned long long)k);
			}
			set_strings(o, f, base, n);
			break;
		}
		case F_BYINDEX:
			o->u64s[base] = f->arg_present ? num * f->arg_index : num;
			f->res.u64 = &o->u64s[base];
			f->res_len = 1;
			break;
		case F_BYKEY:
			if(!f->arg_present || f->arg_key == NULL) {
				set_error(st, "%s", "countgen.bykey needs a key argument, e.g. countgen.bykey[name]");
				rc = SS_PLUGIN_FAILURE;
				break;
			}
			snprintf(o->str_bytes[base], MAX_STR_LEN, "%s=%llu", f->arg_key, (unsigned long long)num);
			set_strings(o, f, base, 1);
			break;
		default:
			snprintf(st->last_error, sizeof(st->last_error), "field id %u is out of range: countgen has %d fields",
			         f->field_id, F_COUNT);
			rc = SS_PLUGIN_FAILURE;
			break;
		}
	}
	return rc;
}
