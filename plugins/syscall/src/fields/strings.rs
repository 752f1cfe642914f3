//! Reused buffers for string field values. [`super::extract`] hands back the strings of the
//! previous call's values, and field code copies borrowed text into one of them, so steady
//! extraction of text fields does not allocate.

use std::cell::RefCell;

use super::FieldValue;

/// Most spare buffers kept per thread.
pub const MAX_SPARE_FIELD_STRINGS: usize = 64;

thread_local! {
    static SPARE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// `text` in a reused buffer when one is spare.
pub(super) fn copied(text: &str) -> String {
    let spare = SPARE.with(|s| s.borrow_mut().pop());
    match spare {
        Some(mut s) => {
            s.push_str(text);
            s
        }
        None => text.to_owned(),
    }
}

/// Empties `values`, keeping the buffers of its strings.
pub(super) fn recycle(values: &mut Vec<FieldValue>) {
    if !values.iter().any(|v| matches!(v, FieldValue::Str(_))) {
        values.clear();
        return;
    }
    SPARE.with(|spare| {
        let mut spare = spare.borrow_mut();
        for v in values.drain(..) {
            if let FieldValue::Str(mut s) = v {
                if spare.len() < MAX_SPARE_FIELD_STRINGS && s.capacity() > 0 {
                    s.clear();
                    spare.push(s);
                }
            }
        }
    });
}

/// Text a field value is made from: borrowed text is copied into a spare buffer, owned text
/// moves in.
pub(super) trait FieldText {
    fn into_field_string(self) -> String;
}

impl FieldText for &str {
    fn into_field_string(self) -> String {
        copied(self)
    }
}

impl FieldText for &String {
    fn into_field_string(self) -> String {
        copied(self)
    }
}

impl FieldText for String {
    fn into_field_string(self) -> String {
        self
    }
}

impl FieldText for std::borrow::Cow<'_, str> {
    fn into_field_string(self) -> String {
        match self {
            std::borrow::Cow::Borrowed(s) => copied(s),
            std::borrow::Cow::Owned(s) => s,
        }
    }
}
