//! The fixed iPXE and GRUB scripts matchbox renders over a profile's `boot`
//! section, byte for byte (including GRUB's double space before the first
//! initrd and the hard-coded "CoreOS" titles, which are part of the contract).
//!
//! Values are inserted verbatim: iPXE `${...}` variables pass through for iPXE
//! to expand at boot. These scripts never see group metadata.

use crate::profile::NetBoot;

/// The static `/boot.ipxe` bootstrap: it chains to `/ipxe` with the machine's
/// identifiers as labels.
pub const BOOT_IPXE: &str = "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n";

/// `/ipxe`: `kernel` line with args, one `initrd` line each, then `boot`.
pub fn render_ipxe(boot: &NetBoot) -> String {
    let mut out = String::with_capacity(64 + boot.kernel.len());
    out.push_str("#!ipxe\nkernel ");
    out.push_str(&boot.kernel);
    for arg in &boot.args {
        out.push(' ');
        out.push_str(arg);
    }
    for initrd in &boot.initrd {
        out.push_str("\ninitrd ");
        out.push_str(initrd);
    }
    out.push_str("\nboot\n");
    out
}

/// `/grub`: an EFI and a BIOS menu entry over the same kernel, args and initrds.
pub fn render_grub(boot: &NetBoot) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("default=0\nfallback=1\ntimeout=1\n");
    for (title, linux, initrd) in [
        ("CoreOS (EFI)", "linuxefi", "initrdefi"),
        ("CoreOS (BIOS)", "linux", "initrd"),
    ] {
        out.push_str("menuentry \"");
        out.push_str(title);
        out.push_str("\" {\necho \"Loading kernel\"\n");
        out.push_str(linux);
        out.push_str(" \"");
        out.push_str(&boot.kernel);
        out.push('"');
        for arg in &boot.args {
            out.push(' ');
            out.push_str(arg);
        }
        out.push_str("\necho \"Loading initrd\"\n");
        out.push_str(initrd);
        out.push(' ');
        for file in &boot.initrd {
            out.push_str(" \"");
            out.push_str(file);
            out.push('"');
        }
        out.push_str("\n}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> NetBoot {
        NetBoot {
            kernel: "/image/kernel".into(),
            initrd: vec!["/image/initrd_a".into(), "/image/initrd_b".into()],
            args: vec!["a=b".into(), "c".into()],
        }
    }

    #[test]
    fn ipxe_golden() {
        assert_eq!(
            render_ipxe(&fixture()),
            "#!ipxe\nkernel /image/kernel a=b c\ninitrd /image/initrd_a\ninitrd /image/initrd_b\nboot\n"
        );
    }

    #[test]
    fn ipxe_edges() {
        let b = NetBoot {
            kernel: "K".into(),
            ..Default::default()
        };
        assert_eq!(render_ipxe(&b), "#!ipxe\nkernel K\nboot\n");
        let b = NetBoot {
            args: vec!["x".into()],
            ..Default::default()
        };
        assert_eq!(render_ipxe(&b), "#!ipxe\nkernel  x\nboot\n");
    }

    #[test]
    fn grub_golden() {
        assert_eq!(
            render_grub(&fixture()),
            "default=0\nfallback=1\ntimeout=1\nmenuentry \"CoreOS (EFI)\" {\necho \"Loading kernel\"\nlinuxefi \"/image/kernel\" a=b c\necho \"Loading initrd\"\ninitrdefi  \"/image/initrd_a\" \"/image/initrd_b\"\n}\nmenuentry \"CoreOS (BIOS)\" {\necho \"Loading kernel\"\nlinux \"/image/kernel\" a=b c\necho \"Loading initrd\"\ninitrd  \"/image/initrd_a\" \"/image/initrd_b\"\n}\n"
        );
    }

    #[test]
    fn grub_without_initrd_keeps_trailing_space() {
        let b = NetBoot {
            kernel: "/k".into(),
            ..Default::default()
        };
        assert!(render_grub(&b).contains("\ninitrdefi \n}\n"));
    }
}
