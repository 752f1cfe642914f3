//! The export macro: `saker_plugin!(MyPlugin; source, extract, parse, async_events, capture_listen)`
//! generates every `#[no_mangle] plugin_*` symbol of the listed capabilities, the static
//! strings and JSON of the getters, and the `.saker_manifest` section.

/// Exports a plugin type through Falco's plugin C ABI.
///
/// ```ignore
/// plugin_api::saker_plugin!(MyPlugin; source, extract, parse);
/// ```
/// Capabilities: `source` ([`SourcePlugin`](crate::sdk::SourcePlugin)), `extract`
/// ([`ExtractPlugin`](crate::sdk::ExtractPlugin)), `parse`, `async_events`, `capture_listen`.
/// Use it once per `cdylib`. Also exports `saker_plugin_manifest()` returning the manifest JSON.
#[macro_export]
macro_rules! saker_plugin {
    ($ty:ty; $($cap:ident),+ $(,)?) => {
        const _: () = {
            type __SakerPlugin = $ty;

            const __SAKER_INFO: $crate::manifest::ManifestInfo = {
                let info = $crate::manifest::ManifestInfo::of::<__SakerPlugin>();
                $( let info = $crate::__saker_manifest_cap!($cap, __SakerPlugin, info); )+
                info
            };
            const __SAKER_MANIFEST_LEN: usize = $crate::manifest::manifest_len(&__SAKER_INFO);
            #[used]
            #[link_section = ".saker_manifest"]
            static __SAKER_MANIFEST: [u8; __SAKER_MANIFEST_LEN] =
                $crate::manifest::manifest_bytes::<__SAKER_MANIFEST_LEN>(&__SAKER_INFO);

            /// The static manifest JSON (NUL-terminated), also stored in `.saker_manifest`.
            #[no_mangle]
            pub extern "C" fn saker_plugin_manifest() -> *const ::std::ffi::c_char {
                __SAKER_MANIFEST.as_ptr().cast()
            }

            $crate::__saker_cstr_fn!(plugin_get_required_api_version, <__SakerPlugin as $crate::sdk::Plugin>::REQUIRED_API);
            $crate::__saker_cstr_fn!(plugin_get_version, <__SakerPlugin as $crate::sdk::Plugin>::VERSION);
            $crate::__saker_cstr_fn!(plugin_get_name, <__SakerPlugin as $crate::sdk::Plugin>::NAME);
            $crate::__saker_cstr_fn!(plugin_get_description, <__SakerPlugin as $crate::sdk::Plugin>::DESCRIPTION);
            $crate::__saker_cstr_fn!(plugin_get_contact, <__SakerPlugin as $crate::sdk::Plugin>::CONTACT);

            /// # Safety
            /// Called by the plugin host; `schema_type` must be writable.
            #[no_mangle]
            pub unsafe extern "C" fn plugin_get_init_schema(schema_type: *mut u32) -> *const ::std::ffi::c_char {
                const SCHEMA: Option<&str> = <__SakerPlugin as $crate::sdk::Plugin>::INIT_SCHEMA;
                const TEXT: &str = match SCHEMA { Some(s) => s, None => "" };
                static C: [u8; TEXT.len() + 1] = $crate::manifest::c_string::<{ TEXT.len() + 1 }>(TEXT);
                let ty = if SCHEMA.is_some() { $crate::ffi::SS_PLUGIN_SCHEMA_JSON } else { $crate::ffi::SS_PLUGIN_SCHEMA_NONE };
                if !schema_type.is_null() {
                    // SAFETY: the host passes a writable schema type.
                    unsafe { schema_type.write(ty) };
                }
                C.as_ptr().cast()
            }

            /// # Safety
            /// Called by the plugin host with a state from `plugin_init` (unused).
            #[no_mangle]
            pub unsafe extern "C" fn plugin_get_required_event_schema_version(
                _s: *mut $crate::ffi::ss_plugin_t,
            ) -> *const ::std::ffi::c_char {
                const VERSION: Option<&str> = <__SakerPlugin as $crate::sdk::Plugin>::REQUIRED_EVENT_SCHEMA_VERSION;
                const TEXT: &str = match VERSION { Some(s) => s, None => "" };
                static C: [u8; TEXT.len() + 1] = $crate::manifest::c_string::<{ TEXT.len() + 1 }>(TEXT);
                if VERSION.is_some() { C.as_ptr().cast() } else { ::std::ptr::null() }
            }

            /// # Safety
            /// Called by the plugin host with a valid init input.
            #[no_mangle]
            pub unsafe extern "C" fn plugin_init(
                input: *const $crate::ffi::ss_plugin_init_input,
                rc: *mut $crate::ffi::ss_plugin_rc,
            ) -> *mut $crate::ffi::ss_plugin_t {
                // SAFETY: forwarded host contract.
                unsafe { $crate::sdk::ffi::common::init::<__SakerPlugin>(input, rc) }
            }
            /// # Safety
            /// Called by the plugin host with a state from `plugin_init`.
            #[no_mangle]
            pub unsafe extern "C" fn plugin_destroy(s: *mut $crate::ffi::ss_plugin_t) {
                // SAFETY: forwarded host contract.
                unsafe { $crate::sdk::ffi::common::destroy::<__SakerPlugin>(s) }
            }
            /// # Safety
            /// Called by the plugin host with a state from `plugin_init`.
            #[no_mangle]
            pub unsafe extern "C" fn plugin_get_last_error(s: *mut $crate::ffi::ss_plugin_t) -> *const ::std::ffi::c_char {
                // SAFETY: forwarded host contract.
                unsafe { $crate::sdk::ffi::common::get_last_error::<__SakerPlugin>(s) }
            }
            /// # Safety
            /// Called by the plugin host with a state from `plugin_init`.
            #[no_mangle]
            pub unsafe extern "C" fn plugin_set_config(
                s: *mut $crate::ffi::ss_plugin_t,
                i: *const $crate::ffi::ss_plugin_set_config_input,
            ) -> $crate::ffi::ss_plugin_rc {
                // SAFETY: forwarded host contract.
                unsafe { $crate::sdk::ffi::common::set_config::<__SakerPlugin>(s, i) }
            }
            /// # Safety
            /// Called by the plugin host with a state from `plugin_init`.
            #[no_mangle]
            pub unsafe extern "C" fn plugin_get_metrics(
                s: *mut $crate::ffi::ss_plugin_t,
                n: *mut u32,
            ) -> *mut $crate::ffi::ss_plugin_metric {
                // SAFETY: forwarded host contract.
                unsafe { $crate::sdk::ffi::common::get_metrics::<__SakerPlugin>(s, n) }
            }

            $( $crate::__saker_export_cap!($cap, __SakerPlugin); )+
        };
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __saker_manifest_cap {
    (source, $p:ty, $i:expr) => {
        $i.with_source::<$p>()
    };
    (extract, $p:ty, $i:expr) => {
        $i.with_extract::<$p>()
    };
    (parse, $p:ty, $i:expr) => {
        $i.with_parse()
    };
    (async_events, $p:ty, $i:expr) => {
        $i.with_async::<$p>()
    };
    (capture_listen, $p:ty, $i:expr) => {
        $i.with_capture_listen()
    };
    ($other:ident, $p:ty, $i:expr) => {
        compile_error!(concat!(
            "unknown plugin capability `",
            stringify!($other),
            "`; expected source, extract, parse, async_events or capture_listen"
        ))
    };
}

/// A `#[no_mangle]` getter returning a static NUL-terminated copy of a `&'static str` const.
#[doc(hidden)]
#[macro_export]
macro_rules! __saker_cstr_fn {
    ($name:ident, $value:expr) => {
        #[no_mangle]
        pub extern "C" fn $name() -> *const ::std::ffi::c_char {
            const S: &str = $value;
            static C: [u8; S.len() + 1] = $crate::manifest::c_string::<{ S.len() + 1 }>(S);
            C.as_ptr().cast()
        }
    };
}

/// A `#[no_mangle]` getter returning a static JSON array of strings.
#[doc(hidden)]
#[macro_export]
macro_rules! __saker_json_array_fn {
    ($name:ident, $value:expr) => {
        #[no_mangle]
        pub extern "C" fn $name() -> *const ::std::ffi::c_char {
            const ITEMS: &[&str] = $value;
            const N: usize = $crate::manifest::string_array_len(ITEMS);
            static C: [u8; N] = $crate::manifest::string_array::<N>(ITEMS);
            C.as_ptr().cast()
        }
    };
}

/// A `#[no_mangle] plugin_get_*_event_types` returning a static list.
#[doc(hidden)]
#[macro_export]
macro_rules! __saker_event_types_fn {
    ($name:ident, $value:expr) => {
        /// # Safety
        /// Called by the plugin host; `n` must be writable.
        #[no_mangle]
        pub unsafe extern "C" fn $name(n: *mut u32, _s: *mut $crate::ffi::ss_plugin_t) -> *mut u16 {
            const TYPES: &[u16] = $value;
            if !n.is_null() {
                // SAFETY: the host passes a writable count.
                unsafe { n.write(TYPES.len() as u32) };
            }
            // The host only reads the array.
            TYPES.as_ptr().cast_mut()
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __saker_export_cap {
    (source, $p:ty) => {
        #[no_mangle]
        pub extern "C" fn plugin_get_id() -> u32 {
            <$p as $crate::sdk::SourcePlugin>::ID
        }
        $crate::__saker_cstr_fn!(
            plugin_get_event_source,
            <$p as $crate::sdk::SourcePlugin>::EVENT_SOURCE
        );
        /// # Safety
        /// Called by the plugin host with a state from `plugin_init`.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_open(
            s: *mut $crate::ffi::ss_plugin_t,
            params: *const ::std::ffi::c_char,
            rc: *mut $crate::ffi::ss_plugin_rc,
        ) -> *mut $crate::ffi::ss_instance_t {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::source::open::<$p>(s, params, rc) }
        }
        /// # Safety
        /// Called by the plugin host with a state and an instance from `plugin_open`.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_close(s: *mut $crate::ffi::ss_plugin_t, h: *mut $crate::ffi::ss_instance_t) {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::source::close::<$p>(s, h) }
        }
        /// # Safety
        /// Called by the plugin host with a state and an open instance.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_next_batch(
            s: *mut $crate::ffi::ss_plugin_t,
            h: *mut $crate::ffi::ss_instance_t,
            nevts: *mut u32,
            evts: *mut *mut *mut $crate::ffi::ss_plugin_event,
        ) -> $crate::ffi::ss_plugin_rc {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::source::next_batch::<$p>(s, h, nevts, evts) }
        }
        /// # Safety
        /// Called by the plugin host with a state and an open instance.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_get_progress(
            s: *mut $crate::ffi::ss_plugin_t,
            h: *mut $crate::ffi::ss_instance_t,
            pct: *mut u32,
        ) -> *const ::std::ffi::c_char {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::source::get_progress::<$p>(s, h, pct) }
        }
        /// # Safety
        /// Called by the plugin host with a state and a valid event input.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_event_to_string(
            s: *mut $crate::ffi::ss_plugin_t,
            evt: *const $crate::ffi::ss_plugin_event_input,
        ) -> *const ::std::ffi::c_char {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::source::event_to_string::<$p>(s, evt) }
        }
        /// # Safety
        /// Called by the plugin host with a state from `plugin_init`.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_list_open_params(
            s: *mut $crate::ffi::ss_plugin_t,
            rc: *mut $crate::ffi::ss_plugin_rc,
        ) -> *const ::std::ffi::c_char {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::source::list_open_params::<$p>(s, rc) }
        }
    };
    (extract, $p:ty) => {
        #[no_mangle]
        pub extern "C" fn plugin_get_fields() -> *const ::std::ffi::c_char {
            const FIELDS: &[$crate::sdk::FieldDef] = <$p as $crate::sdk::ExtractPlugin>::FIELDS;
            const N: usize = $crate::manifest::fields_json_len(FIELDS);
            static C: [u8; N] = $crate::manifest::fields_json::<N>(FIELDS);
            C.as_ptr().cast()
        }
        $crate::__saker_json_array_fn!(
            plugin_get_extract_event_sources,
            <$p as $crate::sdk::ExtractPlugin>::EXTRACT_EVENT_SOURCES
        );
        $crate::__saker_event_types_fn!(
            plugin_get_extract_event_types,
            <$p as $crate::sdk::ExtractPlugin>::EXTRACT_EVENT_TYPES
        );
        /// # Safety
        /// Called by the plugin host with a state, an event input and an extract input.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_extract_fields(
            s: *mut $crate::ffi::ss_plugin_t,
            evt: *const $crate::ffi::ss_plugin_event_input,
            input: *const $crate::ffi::ss_plugin_field_extract_input,
        ) -> $crate::ffi::ss_plugin_rc {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::extract::extract_fields::<$p>(s, evt, input) }
        }
    };
    (parse, $p:ty) => {
        $crate::__saker_json_array_fn!(
            plugin_get_parse_event_sources,
            <$p as $crate::sdk::ParsePlugin>::PARSE_EVENT_SOURCES
        );
        $crate::__saker_event_types_fn!(
            plugin_get_parse_event_types,
            <$p as $crate::sdk::ParsePlugin>::PARSE_EVENT_TYPES
        );
        /// # Safety
        /// Called by the plugin host with a state, an event input and a parse input.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_parse_event(
            s: *mut $crate::ffi::ss_plugin_t,
            evt: *const $crate::ffi::ss_plugin_event_input,
            input: *const $crate::ffi::ss_plugin_event_parse_input,
        ) -> $crate::ffi::ss_plugin_rc {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::parse::parse_event::<$p>(s, evt, input) }
        }
    };
    (async_events, $p:ty) => {
        $crate::__saker_json_array_fn!(
            plugin_get_async_events,
            <$p as $crate::sdk::AsyncPlugin>::ASYNC_EVENTS
        );
        $crate::__saker_json_array_fn!(
            plugin_get_async_event_sources,
            <$p as $crate::sdk::AsyncPlugin>::ASYNC_EVENT_SOURCES
        );
        /// # Safety
        /// Called by the plugin host with a state, its owner and a handler (or NULL to stop).
        #[no_mangle]
        pub unsafe extern "C" fn plugin_set_async_event_handler(
            s: *mut $crate::ffi::ss_plugin_t,
            owner: *mut $crate::ffi::ss_plugin_owner_t,
            handler: Option<$crate::ffi::ss_plugin_async_event_handler_t>,
        ) -> $crate::ffi::ss_plugin_rc {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::async_events::set_async_event_handler::<$p>(s, owner, handler) }
        }
    };
    (capture_listen, $p:ty) => {
        /// # Safety
        /// Called by the plugin host with a state and a capture listen input.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_capture_open(
            s: *mut $crate::ffi::ss_plugin_t,
            i: *const $crate::ffi::ss_plugin_capture_listen_input,
        ) -> $crate::ffi::ss_plugin_rc {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::capture_listen::capture_listen::<$p>(s, i, true) }
        }
        /// # Safety
        /// Called by the plugin host with a state and a capture listen input.
        #[no_mangle]
        pub unsafe extern "C" fn plugin_capture_close(
            s: *mut $crate::ffi::ss_plugin_t,
            i: *const $crate::ffi::ss_plugin_capture_listen_input,
        ) -> $crate::ffi::ss_plugin_rc {
            // SAFETY: forwarded host contract.
            unsafe { $crate::sdk::ffi::capture_listen::capture_listen::<$p>(s, i, false) }
        }
    };
    ($other:ident, $p:ty) => {};
}
