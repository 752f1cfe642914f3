//! Reading rule `exceptions`: new exceptions are validated whole; appended ones add values to
//! an exception of the same name or must be complete.

use super::*;
use crate::yaml::Value;

impl Reader<'_> {
    // ---- exceptions ----------------------------------------------------------------------

    pub(super) fn read_exceptions(&mut self, v: &Node, rule_ctx: &Context) -> Step<Vec<ExceptionDef>> {
        let ectx = self.ctx(rule_ctx, ItemType::Exceptions, "", v);
        if v.is_null() {
            return Ok(Vec::new());
        }
        let Some(items) = v.as_seq() else {
            return Err(self.fail(ErrorCode::YamlValidate, "Value is not a sequence", &ectx));
        };
        let mut out = Vec::new();
        for ex in items {
            let xctx0 = self.ctx(&ectx, ItemType::Exception, "", ex);
            if ex.as_map().is_none() {
                return Err(self.fail(
                    ErrorCode::YamlValidate,
                    "Unexpected element type. Each element should be a yaml associative array.",
                    &xctx0,
                ));
            }
            let name = self.req_str(ex, "name", &xctx0)?;
            let xctx = self.ctx(&ectx, ItemType::Exception, &name, ex);
            self.warn_unknown_keys(ex, EXCEPTION_KEYS, &xctx);
            let fields = match ex.get("fields") {
                Some(f) => Some(self.tuple(f, "fields", &xctx)?),
                None => None,
            };
            let comps = match ex.get("comps") {
                Some(c) => Some(self.tuple(c, "comps", &xctx)?),
                None => None,
            };
            let mut values = Vec::new();
            if let Some(vals) = ex.get("values") {
                let vctx = self.ctx(&xctx, ItemType::ExceptionValues, "", vals);
                if !vals.is_null() {
                    let Some(seq) = vals.as_seq() else {
                        return Err(self.fail(ErrorCode::YamlValidate, "Value is not a sequence", &vctx));
                    };
                    for val in seq {
                        let one = self.ctx(&vctx, ItemType::ExceptionValue, "", val);
                        values.push(self.exception_value(val, &one)?);
                    }
                }
            }
            out.push(ExceptionDef {
                name,
                fields,
                comps,
                values,
                ctx: xctx.with_snippet_of(&self.lines),
            });
        }
        Ok(out)
    }

    fn tuple(&self, v: &Node, key: &str, ctx: &Context) -> Step<Tuple> {
        match &v.value {
            Value::Seq(_) => Ok(Tuple::Many(self.str_seq(v, key, ctx)?)),
            _ => Ok(Tuple::Single(self.scalar(v, key, ctx)?)),
        }
    }

    fn exception_value(&self, v: &Node, ctx: &Context) -> Step<ExceptionValue> {
        match &v.value {
            Value::Seq(items) => Ok(ExceptionValue::List(
                items
                    .iter()
                    .map(|n| self.exception_value(n, ctx))
                    .collect::<Step<Vec<_>>>()?,
            )),
            Value::Scalar(s, _) => Ok(ExceptionValue::Scalar(s.clone())),
            Value::Map(_) => Err(self.fail(
                ErrorCode::YamlValidate,
                "Expected values array to contain strings or lists of strings",
                ctx,
            )),
        }
    }

    /// Checks of an exception that introduces a new name.
    pub(super) fn validate_new_exception(&self, ex: &ExceptionDef) -> Step {
        let Some(fields) = &ex.fields else {
            return Err(self.fail(ErrorCode::YamlValidate, "Item has no mapping for key 'fields'", &ex.ctx));
        };
        if let Some(comps) = &ex.comps {
            if let (Tuple::Many(f), Tuple::Many(c)) = (fields, comps) {
                if f.len() != c.len() {
                    return Err(self.fail(
                        ErrorCode::Validate,
                        "Fields and comps lists must have equal length",
                        &ex.ctx,
                    ));
                }
            } else if matches!(fields, Tuple::Many(_)) != matches!(comps, Tuple::Many(_)) {
                return Err(self.fail(
                    ErrorCode::Validate,
                    "Fields and comps must both be strings or both be lists",
                    &ex.ctx,
                ));
            }
            for c in comps.items() {
                if !EXCEPTION_COMPS.contains(&c) {
                    return Err(self.fail(
                        ErrorCode::Validate,
                        format!("'{c}' is not a supported comparison operator"),
                        &ex.ctx,
                    ));
                }
            }
        }
        self.validate_values(ex, fields)
    }

    fn validate_values(&self, ex: &ExceptionDef, fields: &Tuple) -> Step {
        if let Tuple::Many(f) = fields {
            for v in &ex.values {
                match v {
                    ExceptionValue::List(items) if items.len() == f.len() => {}
                    ExceptionValue::List(_) => {
                        return Err(self.fail(
                            ErrorCode::Validate,
                            "Fields and values lists must have equal length",
                            &ex.ctx,
                        ))
                    }
                    ExceptionValue::Scalar(_) => {
                        return Err(self.fail(
                            ErrorCode::Validate,
                            "Expected values array to contain a list of strings",
                            &ex.ctx,
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// Appended exceptions: values of a known name are added to it; a new name must be a
    /// complete exception.
    pub(super) fn merge_exceptions(&mut self, rule: &str, exs: Vec<ExceptionDef>) -> Step {
        for mut ex in exs {
            let existing = self
                .coll
                .rules
                .get(rule)
                .and_then(|r| r.exceptions.iter().find(|e| e.name == ex.name))
                .cloned();
            match existing {
                Some(prev) => {
                    if ex.fields.is_some() || ex.comps.is_some() {
                        // Falco ignores them silently; a warning helps the author.
                        self.warn(
                            WarningCode::UnknownItem,
                            "Appended exception redefines 'fields'/'comps' of an existing exception; they are ignored",
                            &ex.ctx,
                        );
                    }
                    let fields = prev.fields.clone().expect("existing exceptions have fields");
                    let probe = ExceptionDef {
                        values: ex.values.clone(),
                        ctx: ex.ctx.clone(),
                        ..prev.clone()
                    };
                    self.validate_values(&probe, &fields)?;
                    let r = self.coll.rules.get_mut(rule).expect("rule exists");
                    let target = r
                        .exceptions
                        .iter_mut()
                        .find(|e| e.name == ex.name)
                        .expect("found above");
                    target.values.extend(ex.values);
                }
                None => {
                    if ex.fields.is_none() {
                        return Err(self.fail(
                            ErrorCode::Validate,
                            "Rule exception must have fields property with a list of fields",
                            &ex.ctx,
                        ));
                    }
                    self.validate_new_exception(&ex)?;
                    if ex.comps.is_none() {
                        ex.comps = Some(default_comps(ex.fields.as_ref()));
                    }
                    self.coll.rules.get_mut(rule).expect("rule exists").exceptions.push(ex);
                }
            }
        }
        Ok(())
    }
}
