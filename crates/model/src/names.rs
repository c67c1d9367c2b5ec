//! Object names and their confinement (kindling's D5): a name can never
//! address a file outside its own kind directory.
//!
//! matchbox joins names to their kind directory before cleaning the path, so
//! `../profiles/x.json` as an Ignition name reaches the profiles directory.
//! kindling refuses such names outright instead of cleaning them.

/// Why a name was refused; the message says what a valid name looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name {0:?} contains a NUL byte")]
    Nul(String),
    #[error("the name {0:?} contains a backslash; use / to separate directories")]
    Backslash(String),
    #[error("the name {0:?} is an absolute path; names are relative to their directory in the data path")]
    Absolute(String),
    #[error("the name {0:?} has an empty, \".\" or \"..\" path segment; names cannot leave their directory")]
    BadSegment(String),
    #[error("the id {0:?} contains /; group and profile ids are a single file name")]
    Nested(String),
    #[error("the name {name:?} is longer than {max} bytes")]
    TooLong { name: String, max: usize },
}

/// Longest name accepted (Linux's NAME_MAX is 255 per segment; whole names
/// are bounded so a hostile API caller cannot make huge paths).
pub const MAX_NAME_LEN: usize = 1024;

/// A template name (Ignition, cloud, generic): relative, `/`-separated,
/// with no empty, `.` or `..` segment.
pub fn check_template_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong {
            name: name.to_owned(),
            max: MAX_NAME_LEN,
        });
    }
    if name.contains('\0') {
        return Err(NameError::Nul(name.to_owned()));
    }
    if name.contains('\\') {
        return Err(NameError::Backslash(name.to_owned()));
    }
    if name.starts_with('/') {
        return Err(NameError::Absolute(name.to_owned()));
    }
    if name.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return Err(NameError::BadSegment(name.to_owned()));
    }
    Ok(())
}

/// A group or profile id: one file name.
pub fn check_id(id: &str) -> Result<(), NameError> {
    check_template_name(id)?;
    if id.contains('/') {
        return Err(NameError::Nested(id.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names() {
        assert!(check_template_name("flatcar.ign").is_ok());
        assert!(check_template_name("site/a/b.yaml").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../profiles/x.json",
            "a/../b",
            "a//b",
            "./a",
            "a/",
            "a\\b",
            "a\0b",
        ] {
            assert!(check_template_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_template_name(&"a".repeat(MAX_NAME_LEN + 1)).is_err());
    }

    #[test]
    fn ids() {
        assert!(check_id("node1").is_ok());
        assert_eq!(check_id("a/b"), Err(NameError::Nested("a/b".into())));
        assert!(check_id("..").is_err());
    }
}
