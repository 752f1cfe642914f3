//! Reading configuration files and merging `config_files` drop-ins (Falco 0.38+).
//!
//! Each entry is a file or a directory (its regular files, in name order), given as a path or
//! as `{path, strategy}`. Strategies, per top-level key of the drop-in: `append` (default: a
//! sequence is appended to the existing one, anything else replaces it), `override` (replace),
//! `add-only` (only keys not yet set). Missing entries are skipped, as Falco does; a drop-in may
//! not itself contain `config_files`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::env;
use super::tree::{Item, Origin, Tree};
use super::{ConfigError, ConfigWarning};
use crate::yaml;

pub const CONFIG_FILES_KEY: &str = "config_files";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MergeStrategy {
    #[default]
    Append,
    Override,
    AddOnly,
}

/// One `config_files` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileRef {
    pub path: PathBuf,
    pub strategy: MergeStrategy,
}

/// Reads one YAML file into a tree with origins, expanding `${VAR}` in values. An empty file
/// is an empty mapping.
pub fn read_file(path: &Path, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Item, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let source: Arc<str> = Arc::from(path.display().to_string());
    let document = yaml::parse_document(&text).map_err(|source| ConfigError::Yaml {
        path: path.to_path_buf(),
        source,
    })?;
    let mut item = match document {
        None => Item::empty_map(Origin {
            source: source.clone(),
            line: 1,
            column: 1,
        }),
        Some(node) => Item::from_yaml(&node, &source),
    };
    if item.is_null() {
        item = Item::empty_map(item.origin.clone());
    }
    if !matches!(item.value, Tree::Map(_)) {
        return Err(ConfigError::NotAMapping {
            path: path.to_path_buf(),
            found: item.describe(),
        });
    }
    env::expand_tree(&mut item, lookup);
    Ok(item)
}

fn read_entries(root: &Item) -> Result<Vec<(ConfigFileRef, Origin)>, ConfigError> {
    let Some(list) = root.get(CONFIG_FILES_KEY).filter(|i| !i.is_null()) else {
        return Ok(Vec::new());
    };
    let type_error = |item: &Item, key: String| ConfigError::Type {
        origin: item.origin.clone(),
        key,
        expected: "a path or a {path, strategy} mapping".into(),
        found: item.describe(),
    };
    let items: Vec<&Item> = match &list.value {
        Tree::Seq(items) => items.iter().collect(),
        Tree::Scalar(..) => vec![list],
        Tree::Map(_) => return Err(type_error(list, CONFIG_FILES_KEY.into())),
    };
    let mut entries = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let key = format!("{CONFIG_FILES_KEY}[{i}]");
        let (path, strategy) = match &item.value {
            Tree::Scalar(path, _) => (path.clone(), MergeStrategy::Append),
            Tree::Map(_) => {
                let path = item
                    .get("path")
                    .and_then(Item::as_str)
                    .ok_or_else(|| type_error(item, format!("{key}.path")))?;
                let strategy = match item.get("strategy").and_then(Item::as_str) {
                    None | Some("append") => MergeStrategy::Append,
                    Some("override") => MergeStrategy::Override,
                    Some("add-only") => MergeStrategy::AddOnly,
                    Some(other) => {
                        return Err(ConfigError::Invalid {
                            origin: item.origin.clone(),
                            key: format!("{key}.strategy"),
                            message: format!("unknown merge strategy '{other}'; use append, override or add-only"),
                        })
                    }
                };
                (path.to_string(), strategy)
            }
            Tree::Seq(_) => return Err(type_error(item, key)),
        };
        if path.is_empty() {
            continue;
        }
        entries.push((
            ConfigFileRef {
                path: PathBuf::from(path),
                strategy,
            },
            item.origin.clone(),
        ));
    }
    Ok(entries)
}

/// Merges every drop-in named by `root`'s `config_files` into `root`.
pub fn merge_drop_ins(
    root: &mut Item,
    main_path: Option<&Path>,
    lookup: &dyn Fn(&str) -> Option<String>,
    loaded: &mut Vec<PathBuf>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Vec<ConfigFileRef>, ConfigError> {
    let entries = read_entries(root)?;
    for (entry, origin) in &entries {
        if main_path.is_some_and(|main| same_file(main, &entry.path)) {
            return Err(ConfigError::Include {
                origin: origin.clone(),
                message: format!(
                    "{} is the main config file; it cannot include itself",
                    entry.path.display()
                ),
            });
        }
        let files = if entry.path.is_file() {
            vec![entry.path.clone()]
        } else if entry.path.is_dir() {
            let listing = std::fs::read_dir(&entry.path).map_err(|source| ConfigError::Read {
                path: entry.path.clone(),
                source,
            })?;
            let mut files: Vec<PathBuf> = listing
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            files
        } else {
            warnings.push(ConfigWarning::MissingInclude {
                origin: origin.clone(),
                path: entry.path.clone(),
            });
            continue;
        };
        for file in files {
            let drop_in = read_file(&file, lookup)?;
            merge(root, drop_in, entry.strategy)?;
            loaded.push(file);
        }
    }
    Ok(entries.into_iter().map(|(entry, _)| entry).collect())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn merge(root: &mut Item, drop_in: Item, strategy: MergeStrategy) -> Result<(), ConfigError> {
    let Tree::Map(entries) = drop_in.value else {
        return Ok(());
    };
    for (key, value) in entries {
        if key == CONFIG_FILES_KEY {
            return Err(ConfigError::Include {
                origin: value.origin.clone(),
                message: "a file included through config_files may not include other files".into(),
            });
        }
        let existing = root.get_mut(&key).filter(|i| !i.is_null());
        match (strategy, existing) {
            (MergeStrategy::AddOnly, Some(_)) => {}
            (MergeStrategy::Append, Some(current)) => {
                let Item { value, origin } = value;
                match (&mut current.value, value) {
                    (Tree::Seq(items), Tree::Seq(new_items)) => items.extend(new_items),
                    (_, value) => *current = Item { value, origin },
                }
            }
            _ => root.insert(&key, value),
        }
    }
    Ok(())
}
