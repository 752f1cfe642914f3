//! Reading `rule` items: definitions, `append: true`, `override:` and the legacy
//! `enabled`-only form.

use super::*;

impl Reader<'_> {
    // ---- rules ---------------------------------------------------------------------------

    pub(super) fn read_rule(&mut self, top: &Context, item: &Node) -> Step {
        let ctx0 = self.ctx(top, ItemType::Rule, "", item);
        let name = self.req_str(item, "rule", &ctx0)?;
        let ctx = self.ctx(top, ItemType::Rule, &name, item);
        self.warn_unknown_keys(item, RULE_KEYS, &ctx);
        let (append, overrides) = self.append_and_overrides(item, &ctx)?;

        let exceptions = match item.get("exceptions") {
            Some(v) => Some(self.read_exceptions(v, &ctx)?),
            None => None,
        };

        if append {
            return self.append_rule(item, &name, &ctx, exceptions);
        }
        if !overrides.is_empty() {
            return self.override_rule(item, &name, &ctx, &overrides, exceptions);
        }

        // `- rule: X` with only `enabled:` toggles an existing rule (legacy form).
        let only_enabled = item
            .as_map()
            .is_some_and(|m| m.iter().all(|(k, _)| matches!(k.as_str(), Some("rule" | "enabled"))))
            && item.get("enabled").is_some();
        if only_enabled {
            let enabled = self.opt_bool(item, "enabled", &ctx)?.unwrap_or(true);
            let Some(prev) = self.coll.rules.get_mut(&name) else {
                return Err(self.fail(
                    ErrorCode::Validate,
                    "Rule has 'enabled' key but no rule by that name already exists",
                    &ctx,
                ));
            };
            prev.enabled = enabled;
            return Ok(());
        }

        let Some(cnode) = item.get("condition") else {
            return Err(self.fail(ErrorCode::YamlValidate, "Item has no mapping for key 'condition'", &ctx));
        };
        let condition = self.text(cnode, "condition", &ctx)?;
        let Some(onode) = item.get("output") else {
            return Err(self.fail(ErrorCode::YamlValidate, "Item has no mapping for key 'output'", &ctx));
        };
        let output = self.text(onode, "output", &ctx)?;
        let desc = self.opt_str(item, "desc", &ctx)?.unwrap_or_default();
        let Some(pnode) = item.get("priority") else {
            return Err(self.fail(ErrorCode::YamlValidate, "Item has no mapping for key 'priority'", &ctx));
        };
        let priority = self.priority(pnode, &ctx)?;
        let source = self
            .opt_str(item, "source", &ctx)?
            .unwrap_or_else(|| DEFAULT_SOURCE.to_string());
        let tags = match item.get("tags") {
            Some(v) => self.str_seq(v, "tags", &ctx)?,
            None => Vec::new(),
        };
        let mut exceptions = exceptions.unwrap_or_default();
        for ex in &exceptions {
            self.validate_new_exception(ex)?;
        }
        exceptions.iter_mut().for_each(|e| {
            if e.comps.is_none() {
                e.comps = Some(default_comps(e.fields.as_ref()));
            }
        });
        let enabled = self.opt_bool(item, "enabled", &ctx)?.unwrap_or(true);
        let warn_evttypes = self.opt_bool(item, "warn_evttypes", &ctx)?.unwrap_or(true);
        let skip_if_unknown_filter = self.opt_bool(item, "skip-if-unknown-filter", &ctx)?.unwrap_or(false);
        let index = self.bump();
        let def = RuleDef {
            name,
            condition,
            output,
            desc,
            priority,
            source,
            tags,
            exceptions,
            enabled,
            warn_evttypes,
            skip_if_unknown_filter,
            index,
            visibility: index,
            ctx: ctx.with_snippet_of(&self.lines),
        };
        self.define(def, |c| &mut c.rules);
        Ok(())
    }

    fn priority(&self, v: &Node, ctx: &Context) -> Step<Priority> {
        let pctx = self.ctx(ctx, ItemType::RulePriority, "", v);
        let s = self.scalar(v, "priority", ctx)?;
        Priority::parse(&s)
            .ok_or_else(|| self.fail(ErrorCode::YamlValidate, format!("Invalid priority level: {s}"), &pctx))
    }

    fn append_rule(&mut self, item: &Node, name: &str, ctx: &Context, exceptions: Option<Vec<ExceptionDef>>) -> Step {
        let cond = match item.get("condition") {
            Some(v) => Some(self.text(v, "condition", ctx)?),
            None => None,
        };
        let output = match item.get("output") {
            Some(v) => Some(self.scalar(v, "output", ctx)?),
            None => None,
        };
        let desc = self.opt_str(item, "desc", ctx)?;
        let tags = match item.get("tags") {
            Some(v) => Some(self.str_seq(v, "tags", ctx)?),
            None => None,
        };
        if cond.is_none() && exceptions.is_none() && output.is_none() && desc.is_none() && tags.is_none() {
            return Err(self.fail(
                ErrorCode::Validate,
                "Appended rule must have exceptions or condition property",
                ctx,
            ));
        }
        if self.coll.rules.get(name).is_none() {
            return Err(self.fail(
                ErrorCode::Validate,
                "Rule has 'append' key but no rule by that name already exists",
                ctx,
            ));
        }
        if let Some(exs) = exceptions {
            self.merge_exceptions(name, exs)?;
        }
        let prev = self.coll.rules.get_mut(name).expect("checked above");
        if let Some(c) = cond {
            prev.condition.text.push(' ');
            prev.condition.text.push_str(&c.text);
        }
        if let Some(o) = output {
            prev.output.text.push(' ');
            prev.output.text.push_str(&o);
        }
        if let Some(d) = desc {
            prev.desc.push(' ');
            prev.desc.push_str(&d);
        }
        if let Some(t) = tags {
            for tag in t {
                if !prev.tags.contains(&tag) {
                    prev.tags.push(tag);
                }
            }
        }
        Ok(())
    }

    fn override_rule(
        &mut self,
        item: &Node,
        name: &str,
        ctx: &Context,
        overrides: &[(String, bool)],
        exceptions: Option<Vec<ExceptionDef>>,
    ) -> Step {
        if self.coll.rules.get(name).is_none() {
            return Err(self.fail(
                ErrorCode::Validate,
                "Rule has 'override' key but no rule by that name already exists",
                ctx,
            ));
        }
        // Keys present but not named under `override:` are an error (Falco 0.37+).
        if let Some(entries) = item.as_map() {
            for (k, _) in entries {
                let key = k.as_str().unwrap_or("");
                if matches!(key, "rule" | "override") || overrides.iter().any(|(o, _)| o == key) {
                    continue;
                }
                if RULE_KEYS.contains(&key) {
                    return Err(self.fail(
                        ErrorCode::YamlValidate,
                        format!("Unexpected key '{key}': an 'override' entry for it is required"),
                        ctx,
                    ));
                }
            }
        }
        for (key, is_append) in overrides {
            let v = item.get(key).expect("checked when reading overrides");
            match key.as_str() {
                "exceptions" => {
                    let exs = exceptions.clone().unwrap_or_default();
                    if *is_append {
                        self.merge_exceptions(name, exs)?;
                    } else {
                        for ex in &exs {
                            self.validate_new_exception(ex)?;
                        }
                        let mut exs = exs;
                        for e in &mut exs {
                            if e.comps.is_none() {
                                e.comps = Some(default_comps(e.fields.as_ref()));
                            }
                        }
                        self.coll.rules.get_mut(name).expect("checked").exceptions = exs;
                    }
                }
                "condition" | "output" => {
                    let t = self.text(v, key, ctx)?;
                    let prev = self.coll.rules.get_mut(name).expect("checked");
                    let slot = if key == "condition" {
                        &mut prev.condition
                    } else {
                        &mut prev.output
                    };
                    if *is_append {
                        slot.text.push(' ');
                        slot.text.push_str(&t.text);
                    } else {
                        *slot = t;
                    }
                }
                "desc" => {
                    let d = self.scalar(v, key, ctx)?;
                    let prev = self.coll.rules.get_mut(name).expect("checked");
                    if *is_append {
                        prev.desc.push(' ');
                        prev.desc.push_str(&d);
                    } else {
                        prev.desc = d;
                    }
                }
                "tags" => {
                    let t = self.str_seq(v, key, ctx)?;
                    let prev = self.coll.rules.get_mut(name).expect("checked");
                    if *is_append {
                        for tag in t {
                            if !prev.tags.contains(&tag) {
                                prev.tags.push(tag);
                            }
                        }
                    } else {
                        prev.tags = t;
                    }
                }
                "priority" => {
                    let p = self.priority(v, ctx)?;
                    self.coll.rules.get_mut(name).expect("checked").priority = p;
                }
                "source" => {
                    let s = self.scalar(v, key, ctx)?;
                    self.coll.rules.get_mut(name).expect("checked").source = s;
                }
                "enabled" | "warn_evttypes" | "skip-if-unknown-filter" => {
                    let b = self.opt_bool(item, key, ctx)?.unwrap_or(true);
                    let prev = self.coll.rules.get_mut(name).expect("checked");
                    match key.as_str() {
                        "enabled" => prev.enabled = b,
                        "warn_evttypes" => prev.warn_evttypes = b,
                        _ => prev.skip_if_unknown_filter = b,
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
