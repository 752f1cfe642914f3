//! Plugin API versions and the compatibility rule of libsinsp's plugin loader (Falco libs 0.25,
//! `plugin_check_required_api_version`): same major, and the plugin's minor.patch not newer
//! than the host's.

use plugin_api::ffi::{PLUGIN_API_VERSION_MAJOR, PLUGIN_API_VERSION_MINOR, PLUGIN_API_VERSION_PATCH};

/// A `MAJOR.MINOR.PATCH` version as plugins return it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct SemVer {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// The API version Saker implements.
pub const HOST_API_VERSION: SemVer = SemVer {
    major: PLUGIN_API_VERSION_MAJOR,
    minor: PLUGIN_API_VERSION_MINOR,
    patch: PLUGIN_API_VERSION_PATCH,
};

impl SemVer {
    /// Parses like C `sscanf("%u.%u.%u")`: three dot-separated decimal numbers at the start;
    /// trailing text (e.g. "-rc1" or "+build") is ignored, fewer than three numbers is an error.
    pub fn parse_prefix(text: &str) -> Option<SemVer> {
        let mut rest = text.trim_start();
        let mut parts = [0u32; 3];
        for (i, part) in parts.iter_mut().enumerate() {
            if i > 0 {
                rest = rest.strip_prefix('.')?;
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            *part = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
        }
        Some(SemVer {
            major: parts[0],
            minor: parts[1],
            patch: parts[2],
        })
    }

    /// Why a plugin requiring `self` cannot run on `host`, or `None` if it can.
    pub fn incompatibility_with(self, host: SemVer) -> Option<&'static str> {
        if self.major != host.major {
            Some("major versions disagree")
        } else if self.minor > host.minor {
            Some("framework's minor is less than the requested one")
        } else if self.minor == host.minor && self.patch > host.patch {
            Some("framework's patch is less than the requested one")
        } else {
            None
        }
    }
}

impl std::fmt::Display for SemVer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_sscanf() {
        assert_eq!(
            SemVer::parse_prefix("3.11.0"),
            Some(SemVer {
                major: 3,
                minor: 11,
                patch: 0
            })
        );
        assert_eq!(
            SemVer::parse_prefix("1.2.3-rc1"),
            Some(SemVer {
                major: 1,
                minor: 2,
                patch: 3
            })
        );
        assert_eq!(SemVer::parse_prefix("3.11"), None);
        assert_eq!(SemVer::parse_prefix("x.1.2"), None);
        assert_eq!(SemVer::parse_prefix(""), None);
    }

    #[test]
    fn compatibility_rule() {
        let host = HOST_API_VERSION;
        let v = |s| SemVer::parse_prefix(s).unwrap();
        assert_eq!(v("3.0.0").incompatibility_with(host), None);
        assert_eq!(v("3.12.0").incompatibility_with(host), None);
        assert_eq!(
            v("3.13.0").incompatibility_with(host),
            Some("framework's minor is less than the requested one")
        );
        assert_eq!(
            v("3.12.1").incompatibility_with(host),
            Some("framework's patch is less than the requested one")
        );
        assert_eq!(v("4.0.0").incompatibility_with(host), Some("major versions disagree"));
        assert_eq!(v("2.9.0").incompatibility_with(host), Some("major versions disagree"));
    }
}
