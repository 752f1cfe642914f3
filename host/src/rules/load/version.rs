//! Engine and plugin versions as rules files state them.

use std::fmt;

/// The rules-engine version Saker claims: what the current official rules files require
/// (`required_engine_version: 0.57.0` in falcosecurity/rules, as of Falco 0.44).
pub const ENGINE_VERSION: EngineVersion = EngineVersion {
    major: 0,
    minor: 57,
    patch: 0,
};

/// A semantic version `major.minor.patch`. A bare integer `N` (the pre-0.35 form) means
/// `0.N.0`, as Falco reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl EngineVersion {
    pub fn parse(s: &str) -> Option<EngineVersion> {
        let s = s.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return Some(EngineVersion {
                major: 0,
                minor: s.parse().ok()?,
                patch: 0,
            });
        }
        let v = PluginVersion::parse(s)?;
        Some(EngineVersion {
            major: v.major,
            minor: v.minor,
            patch: v.patch,
        })
    }
}

impl fmt::Display for EngineVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A plugin's semantic version (pre-release/build suffixes ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PluginVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl PluginVersion {
    pub fn parse(s: &str) -> Option<PluginVersion> {
        let core = s.trim().split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        if parts.next().is_some() {
            return None;
        }
        Some(PluginVersion { major, minor, patch })
    }

    /// Falco's rule: same major version and not older than the requirement.
    pub fn compatible_with(&self, required: &PluginVersion) -> bool {
        self.major == required.major && (self.minor, self.patch) >= (required.minor, required.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_versions_parse_both_forms() {
        assert_eq!(
            EngineVersion::parse("15"),
            Some(EngineVersion {
                major: 0,
                minor: 15,
                patch: 0
            })
        );
        assert_eq!(EngineVersion::parse("0.57.0"), Some(ENGINE_VERSION));
        assert_eq!(EngineVersion::parse("not-a-number"), None);
        assert!(EngineVersion::parse("9999999").unwrap() > ENGINE_VERSION);
    }

    #[test]
    fn plugin_compatibility_is_same_major_not_older() {
        let have = PluginVersion::parse("0.18.2").unwrap();
        assert!(have.compatible_with(&PluginVersion::parse("0.18.0").unwrap()));
        assert!(!have.compatible_with(&PluginVersion::parse("0.19.0").unwrap()));
        assert!(!have.compatible_with(&PluginVersion::parse("1.0.0").unwrap()));
        assert!(!have.compatible_with(&PluginVersion::parse("100000.0.0").unwrap()));
    }
}
