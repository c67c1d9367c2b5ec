//! The compatibility switches: each restores one matchbox quirk that
//! kindling corrects by default (the D-numbers of the compatibility
//! contract). `all` (the binary's `--matchbox-exact`) turns every one on.
//!
//! One switch concerns the gRPC API (`grpc-status`); it is listed here so
//! that `--compat` and `--matchbox-exact` name every quirk in one place,
//! and the gRPC server reads it.

use std::fmt;

/// One restorable matchbox behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// D1: Ignition that is invalid, or newer than spec 3.4.0, is answered
    /// 200 with the empty zero config; every valid config is served at 3.4.0.
    IgnitionEmpty,
    /// D2: `/metadata` is sent as `Content-Type: plain/text`.
    MetadataContentType,
    /// D7: every failure is a bare `404 page not found` (the reason header stays).
    Bare404,
    /// D8: unclean paths (`//ipxe`, `/a/../ipxe`) get a 301 to the clean path.
    RedirectUncleanPaths,
    /// D9: `/assets/` lists directories without an index.html.
    AssetsListing,
    /// D9: `/assets/` follows symlinks that lead out of the assets path.
    AssetsFollowSymlinks,
    /// D9: `/assets/` serves dotfiles.
    AssetsDotfiles,
    /// D16: every HTTP method is accepted on every route.
    AnyMethod,
    /// D4: every gRPC failure but a Select without a match is `Unknown`.
    GrpcStatus,
}

impl Quirk {
    pub const ALL: [Quirk; 9] = [
        Quirk::IgnitionEmpty,
        Quirk::MetadataContentType,
        Quirk::Bare404,
        Quirk::RedirectUncleanPaths,
        Quirk::AssetsListing,
        Quirk::AssetsFollowSymlinks,
        Quirk::AssetsDotfiles,
        Quirk::AnyMethod,
        Quirk::GrpcStatus,
    ];

    /// The name used on the command line (`--compat NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Quirk::IgnitionEmpty => "ignition-empty",
            Quirk::MetadataContentType => "metadata-content-type",
            Quirk::Bare404 => "bare-404",
            Quirk::RedirectUncleanPaths => "redirect-unclean-paths",
            Quirk::AssetsListing => "assets-listing",
            Quirk::AssetsFollowSymlinks => "assets-follow-symlinks",
            Quirk::AssetsDotfiles => "assets-dotfiles",
            Quirk::AnyMethod => "any-method",
            Quirk::GrpcStatus => "grpc-status",
        }
    }

    pub fn contract_id(self) -> &'static str {
        match self {
            Quirk::IgnitionEmpty => "D1",
            Quirk::MetadataContentType => "D2",
            Quirk::Bare404 => "D7",
            Quirk::RedirectUncleanPaths => "D8",
            Quirk::AssetsListing | Quirk::AssetsFollowSymlinks | Quirk::AssetsDotfiles => "D9",
            Quirk::AnyMethod => "D16",
            Quirk::GrpcStatus => "D4",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Quirk::IgnitionEmpty => "answer invalid or newer-than-3.4 Ignition with 200 and an empty config",
            Quirk::MetadataContentType => "send /metadata as Content-Type: plain/text",
            Quirk::Bare404 => "answer every failure with a bare \"404 page not found\"",
            Quirk::RedirectUncleanPaths => "redirect unclean paths such as //ipxe with 301",
            Quirk::AssetsListing => "list asset directories that have no index.html",
            Quirk::AssetsFollowSymlinks => "follow symlinks that lead out of the assets path",
            Quirk::AssetsDotfiles => "serve asset files whose names start with a dot",
            Quirk::AnyMethod => "accept every HTTP method, not only GET and HEAD",
            Quirk::GrpcStatus => {
                "answer gRPC failures with Unknown where kindling says NotFound, InvalidArgument, Internal, DataLoss or Unavailable (a Select without a match stays NotFound)"
            }
        }
    }

    pub fn from_name(name: &str) -> Option<Quirk> {
        Quirk::ALL.into_iter().find(|q| q.name() == name)
    }
}

/// The set of quirks turned on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compat {
    bits: u16,
}

/// A `--compat` value that names no quirk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compatibility switch {name:?}; valid names are: all, {valid}")]
pub struct UnknownQuirk {
    pub name: String,
    pub valid: String,
}

impl Compat {
    pub fn none() -> Compat {
        Compat::default()
    }

    /// matchbox-exact: every quirk on.
    pub fn all() -> Compat {
        let mut c = Compat::default();
        for q in Quirk::ALL {
            c.enable(q);
        }
        c
    }

    pub fn enable(&mut self, q: Quirk) {
        self.bits |= 1 << q as u16;
    }

    pub fn has(&self, q: Quirk) -> bool {
        self.bits & (1 << q as u16) != 0
    }

    /// Parses comma-separated names; `all` turns on every quirk.
    pub fn parse_list(list: &str) -> Result<Compat, UnknownQuirk> {
        let mut c = Compat::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "all" {
                c = Compat::all();
                continue;
            }
            match Quirk::from_name(name) {
                Some(q) => c.enable(q),
                None => {
                    return Err(UnknownQuirk {
                        name: name.to_owned(),
                        valid: Quirk::ALL.map(Quirk::name).join(", "),
                    });
                }
            }
        }
        Ok(c)
    }
}

impl fmt::Display for Compat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on: Vec<&str> = Quirk::ALL
            .into_iter()
            .filter(|q| self.has(*q))
            .map(Quirk::name)
            .collect();
        if on.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&on.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        let c = Compat::parse_list("bare-404, any-method").unwrap();
        assert!(c.has(Quirk::Bare404) && c.has(Quirk::AnyMethod) && !c.has(Quirk::IgnitionEmpty));
        assert_eq!(Compat::parse_list("all").unwrap(), Compat::all());
        assert!(Compat::parse_list("nope").is_err());
        assert_eq!(Compat::parse_list("").unwrap(), Compat::none());
        assert_eq!(Compat::all().to_string().split(',').count(), Quirk::ALL.len());
    }
}
