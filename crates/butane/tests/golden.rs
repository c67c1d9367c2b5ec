//! Butane in, Ignition out: one case per supported section, with the
//! Ignition JSON expected from the Butane and Ignition specifications, and
//! every output parsed back by the `ignition` crate at the announced spec.

use serde_json::{Value, json};

fn translate(yaml: &str) -> (String, Value) {
    let t = butane::translate(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    // The round trip: valid Ignition of the announced version.
    let parsed = ignition::parse_native(&t.json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.config.spec(), t.spec);
    (t.spec.version().to_owned(), serde_json::from_slice(&t.json).unwrap())
}

fn errors(yaml: &str) -> Vec<String> {
    match butane::translate(yaml) {
        Ok(t) => panic!("translated: {}", String::from_utf8_lossy(&t.json)),
        Err(e) => {
            let fields = e.fields();
            if fields.is_empty() {
                vec![e.to_string()]
            } else {
                fields.iter().map(ToString::to_string).collect()
            }
        }
    }
}

#[test]
fn versions_map_to_specs() {
    for (variant, version, spec) in [
        ("fcos", "1.0.0", "3.0.0"),
        ("fcos", "1.1.0", "3.1.0"),
        ("fcos", "1.2.0", "3.2.0"),
        ("fcos", "1.3.0", "3.2.0"),
        ("fcos", "1.4.0", "3.3.0"),
        ("fcos", "1.5.0", "3.4.0"),
        ("fcos", "1.6.0", "3.5.0"),
        ("flatcar", "1.0.0", "3.3.0"),
        ("flatcar", "1.1.0", "3.4.0"),
    ] {
        let (got, out) = translate(&format!("variant: {variant}\nversion: {version}\n"));
        assert_eq!(got, spec, "{variant} {version}");
        assert_eq!(out, json!({"ignition": {"version": spec}}));
    }
}

#[test]
fn passwd_users_and_groups() {
    let (_, out) = translate(
        r#"variant: fcos
version: 1.0.0
passwd:
  users:
    - name: core
      ssh_authorized_keys:
        - ssh-ed25519 AAAA key1
      password_hash: "$y$j9T$hash"
      groups: [wheel, docker]
    - name: app
      uid: 1001
      gecos: Application
      home_dir: /var/app
      no_create_home: true
      primary_group: app
      no_user_group: false
      no_log_init: yes
      shell: /bin/bash
      system: true
  groups:
    - name: app
      gid: 1001
      system: true
"#,
    );
    assert_eq!(
        out["passwd"],
        json!({
            "users": [
                {"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA key1"], "passwordHash": "$y$j9T$hash", "groups": ["wheel", "docker"]},
                {"name": "app", "uid": 1001, "gecos": "Application", "homeDir": "/var/app", "noCreateHome": true,
                 "primaryGroup": "app", "noUserGroup": false, "noLogInit": true, "shell": "/bin/bash", "system": true}
            ],
            "groups": [{"name": "app", "gid": 1001, "system": true}]
        })
    );
}

#[test]
fn storage_files_contents_and_attributes() {
    let long = "net.ipv4.ip_forward = 1\n".repeat(20);
    let yaml = format!(
        r#"variant: fcos
version: 1.5.0
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      overwrite: true
      contents:
        inline: node1
    - path: /etc/motd
      mode: 420
      user:
        name: core
      group:
        id: 0
      contents:
        inline: "hello world\n"
      append:
        - inline: more
    - path: /opt/tool
      mode: 0o755
      contents:
        source: https://example.com/tool
        compression: gzip
        verification:
          hash: sha512-0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e
        http_headers:
          - name: Authorization
            value: Bearer x
    - path: /etc/sysctl.d/90-forward.conf
      contents:
        inline: |
{}"#,
        long.lines().map(|l| format!("          {l}\n")).collect::<String>()
    );
    let (spec, out) = translate(&yaml);
    assert_eq!(spec, "3.4.0");
    let files = &out["storage"]["files"];
    assert_eq!(
        files[0],
        json!({"path": "/etc/hostname", "mode": 420, "overwrite": true, "contents": {"source": "data:,node1", "compression": ""}})
    );
    assert_eq!(
        files[1],
        json!({"path": "/etc/motd", "mode": 420, "user": {"name": "core"}, "group": {"id": 0},
               "contents": {"source": "data:,hello%20world%0A", "compression": ""},
               "append": [{"source": "data:,more", "compression": ""}]})
    );
    assert_eq!(
        files[2],
        json!({"path": "/opt/tool", "mode": 493, "contents": {"source": "https://example.com/tool", "compression": "gzip",
               "verification": {"hash": "sha512-0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"}, "httpHeaders": [{"name": "Authorization", "value": "Bearer x"}]}})
    );
    // Repetitive text is gzipped, as butane does, and decodes to the text.
    let c = &files[3]["contents"];
    assert_eq!(c["compression"], "gzip");
    let b64 = c["source"].as_str().unwrap().strip_prefix("data:;base64,").unwrap();
    let gz = base64_decode(b64);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    assert_eq!(text, long);
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// fcos 1.0 (base v0_1): inline is always escaped, with no compression field.
#[test]
fn fcos_1_0_inline_is_always_escaped() {
    let (_, out) = translate(&format!(
        "variant: fcos\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/big\n      contents:\n        inline: {}\n",
        "a".repeat(300)
    ));
    assert_eq!(
        out["storage"]["files"][0]["contents"],
        json!({"source": format!("data:,{}", "a".repeat(300))})
    );
}

/// The user's unit of a generated unit's name is merged into it, and
/// generated units come first (butane's TestTranslateMountUnit).
#[test]
fn mount_units_come_first_and_merge_with_the_users() {
    let (_, out) = translate(
        "variant: fcos\nversion: 1.5.0\nstorage:\n  filesystems:\n    - device: /dev/disk/by-label/foo\n      format: ext4\n      path: /var/lib/containers\n      mount_options: [ro, noatime]\n      with_mount_unit: true\nsystemd:\n  units:\n    - name: first.service\n      enabled: true\n    - name: var-lib-containers.mount\n      enabled: false\n",
    );
    let units = out["systemd"]["units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    assert_eq!(units[0]["name"], "var-lib-containers.mount");
    assert_eq!(units[0]["enabled"], false);
    assert!(units[0]["contents"].as_str().unwrap().contains("Options=ro,noatime"));
    assert_eq!(units[1], json!({"name": "first.service", "enabled": true}));
}

#[test]
fn directories_and_links() {
    let (_, out) = translate(
        r#"variant: flatcar
version: 1.0.0
storage:
  directories:
    - path: /var/lib/app
      mode: 0750
      user: {id: 1001}
  links:
    - path: /etc/localtime
      target: /usr/share/zoneinfo/UTC
      overwrite: true
    - path: /opt/bin/tool
      target: /opt/tool
      hard: true
"#,
    );
    assert_eq!(
        out["storage"],
        json!({
            "directories": [{"path": "/var/lib/app", "mode": 488, "user": {"id": 1001}}],
            "links": [
                {"path": "/etc/localtime", "target": "/usr/share/zoneinfo/UTC", "overwrite": true},
                {"path": "/opt/bin/tool", "target": "/opt/tool", "hard": true}
            ]
        })
    );
}

#[test]
fn systemd_units_and_dropins() {
    let (_, out) = translate(
        r#"variant: fcos
version: 1.4.0
systemd:
  units:
    - name: hello.service
      enabled: true
      contents: |
        [Service]
        ExecStart=/bin/echo hello
        [Install]
        WantedBy=multi-user.target
    - name: docker.service
      mask: true
    - name: sshd.service
      dropins:
        - name: port.conf
          contents: "[Service]\nEnvironment=PORT=2222\n"
"#,
    );
    assert_eq!(
        out["systemd"],
        json!({"units": [
            {"name": "hello.service", "enabled": true,
             "contents": "[Service]\nExecStart=/bin/echo hello\n[Install]\nWantedBy=multi-user.target\n"},
            {"name": "docker.service", "mask": true},
            {"name": "sshd.service", "dropins": [{"name": "port.conf", "contents": "[Service]\nEnvironment=PORT=2222\n"}]}
        ]})
    );
}

#[test]
fn kernel_arguments_and_ignition_section() {
    let (spec, out) = translate(
        r#"variant: fcos
version: 1.4.0
kernel_arguments:
  should_exist: [mitigations=auto]
  should_not_exist: [quiet]
ignition:
  config:
    merge:
      - source: http://matchbox.example.com:8080/ignition?mac=${mac}
    replace:
      inline: '{"ignition":{"version":"3.3.0"}}'
  timeouts:
    http_response_headers: 20
    http_total: 600
  security:
    tls:
      certificate_authorities:
        - source: https://example.com/ca.pem
          verification:
            hash: sha512-0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e
  proxy:
    http_proxy: http://proxy:3128
    no_proxy: [localhost, .example.com]
"#,
    );
    assert_eq!(spec, "3.3.0");
    assert_eq!(
        out["kernelArguments"],
        json!({"shouldExist": ["mitigations=auto"], "shouldNotExist": ["quiet"]})
    );
    assert_eq!(
        out["ignition"],
        json!({
            "version": "3.3.0",
            "config": {
                "merge": [{"source": "http://matchbox.example.com:8080/ignition?mac=${mac}"}],
                // base64 is shorter than escaping all those quotes and braces.
                "replace": {"source": "data:;base64,eyJpZ25pdGlvbiI6eyJ2ZXJzaW9uIjoiMy4zLjAifX0=", "compression": ""}
            },
            "timeouts": {"httpResponseHeaders": 20, "httpTotal": 600},
            "security": {"tls": {"certificateAuthorities": [{"source": "https://example.com/ca.pem", "verification": {"hash": "sha512-0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"}}]}},
            "proxy": {"httpProxy": "http://proxy:3128", "noProxy": ["localhost", ".example.com"]}
        })
    );
}

#[test]
fn disks_raid_filesystems_luks_and_mount_units() {
    let (spec, out) = translate(
        r#"variant: fcos
version: 1.5.0
storage:
  disks:
    - device: /dev/vdb
      wipe_table: true
      partitions:
        - label: data
          number: 1
          size_mib: 0
          start_mib: 0
          type_guid: 0FC63DAF-8483-4772-8E79-3D69D8477DE4
  raid:
    - name: md0
      level: raid1
      devices: [/dev/vdc, /dev/vdd]
  luks:
    - name: secret
      device: /dev/md/md0
      wipe_volume: true
      clevis:
        tang:
          - url: http://tang.example.com
            thumbprint: abc
        threshold: 1
  filesystems:
    - device: /dev/disk/by-partlabel/data
      format: xfs
      path: /var/data
      label: DATA
      wipe_filesystem: true
      mount_options: [noatime]
      with_mount_unit: true
    - device: /dev/vde
      format: swap
      with_mount_unit: true
"#,
    );
    assert_eq!(spec, "3.4.0");
    let s = &out["storage"];
    assert_eq!(
        s["disks"],
        json!([{"device": "/dev/vdb", "wipeTable": true, "partitions": [{"label": "data", "number": 1, "sizeMiB": 0,
            "startMiB": 0, "typeGuid": "0FC63DAF-8483-4772-8E79-3D69D8477DE4"}]}])
    );
    assert_eq!(
        s["raid"],
        json!([{"name": "md0", "level": "raid1", "devices": ["/dev/vdc", "/dev/vdd"]}])
    );
    assert_eq!(
        s["luks"],
        json!([{"name": "secret", "device": "/dev/md/md0", "wipeVolume": true,
               "clevis": {"tang": [{"url": "http://tang.example.com", "thumbprint": "abc"}], "threshold": 1}}])
    );
    assert_eq!(
        s["filesystems"][0],
        json!({"device": "/dev/disk/by-partlabel/data", "format": "xfs", "path": "/var/data", "label": "DATA",
               "wipeFilesystem": true, "mountOptions": ["noatime"]}),
        "with_mount_unit is Butane's, not Ignition's"
    );
    assert_eq!(
        out["systemd"]["units"],
        json!([
            {"name": "var-data.mount", "enabled": true, "contents": "# Generated by Butane\n[Unit]\nRequires=systemd-fsck@dev-disk-by\\x2dpartlabel-data.service\nAfter=systemd-fsck@dev-disk-by\\x2dpartlabel-data.service\n\n[Mount]\nWhere=/var/data\nWhat=/dev/disk/by-partlabel/data\nType=xfs\nOptions=noatime\n\n[Install]\nRequiredBy=local-fs.target"},
            {"name": "dev-vde.swap", "enabled": true, "contents": "# Generated by Butane\n[Swap]\nWhat=/dev/vde\n\n[Install]\nRequiredBy=swap.target"}
        ])
    );
}

#[test]
fn unknown_and_unsupported_keys_are_errors_naming_the_path() {
    let e = errors(
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        inlin: x\n",
    );
    assert_eq!(
        e,
        [
            "storage.files.0.contents.inlin (line 7, column 16): unknown key \"inlin\"; allowed here: source, inline, local, compression, http_headers, verification"
        ]
    );
    let e = errors("variant: fcos\nversion: 1.3.0\nkernel_arguments:\n  should_exist: [a]\n");
    assert_eq!(
        e,
        [
            "kernel_arguments (line 4, column 3): \"kernel_arguments\" is not in fcos (Ignition spec 3.2): it needs fcos 1.4.0 or newer"
        ]
    );
    let e = errors(
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        local: a.txt\n",
    );
    assert!(
        e[0].starts_with("storage.files.0.contents.local (line 7, column 16): local file paths are relative to a files directory that must be specified with -d/--files-dir"),
        "{e:?}"
    );
    let e = errors(
        "variant: flatcar\nversion: 1.1.0\nsystemd:\n  units:\n    - name: a.service\n      contents_local: a.service\n",
    );
    assert!(
        e[0].starts_with("systemd.units.0.contents_local (line 6, column 23): local file paths"),
        "{e:?}"
    );
    let e = errors(
        "variant: fcos\nversion: 1.5.0\nstorage:\n  filesystems:\n    - device: /dev/vdb\n      with_mount_unit: true\n",
    );
    assert_eq!(
        e,
        ["storage.filesystems.0.format (line 5, column 7): format is required if with_mount_unit is true"]
    );
    let e = errors(
        "variant: fcos\nversion: 1.2.0\nstorage:\n  filesystems:\n    - device: /dev/vdb\n      format: swap\n      with_mount_unit: true\n",
    );
    assert_eq!(
        e,
        ["storage.filesystems.0.format (line 5, column 7): swap units need fcos 1.4.0 or newer"]
    );
    let e = errors(
        "variant: flatcar\nversion: 1.0.0\nstorage:\n  luks:\n    - name: d\n      device: /dev/vdb\n      clevis: {tpm2: true}\n",
    );
    assert_eq!(
        e,
        ["storage.luks.0.clevis (line 0, column 0): clevis is not supported in this spec version (flatcar)"]
    );
    let e = errors("variant: fcos\nversion: 1.0.0\nignition:\n  config:\n    replace:\n      inline: '{}'\n");
    assert!(
        e[0].starts_with(
            "ignition.config.replace.inline (line 6, column 15): \"inline\" is not in fcos 1.0.0 config references"
        ),
        "{e:?}"
    );
    let e = errors("variant: fcos\nversion: 1.5.0\nstorage:\n  trees:\n    - local: dir\n");
    assert!(
        e[0].starts_with("storage.trees (line 5, column 5): storage.trees copies a directory"),
        "{e:?}"
    );
    let e = errors("variant: fcos\nversion: 1.5.0\nboot_device:\n  mirror:\n    devices: [/dev/sda, /dev/sdb]\n");
    assert!(
        e[0].starts_with("boot_device (line 4, column 3): boot_device (root-disk mirroring"),
        "{e:?}"
    );
    let e = errors("variant: flatcar\nversion: 1.1.0\nboot_device:\n  layout: x86_64\n");
    assert!(
        e[0].starts_with("boot_device (line 4, column 3): unknown key \"boot_device\""),
        "{e:?}"
    );
    let e = errors("variant: fcos\nversion: 1.5.0\ngrub:\n  users: []\n");
    assert!(e[0].contains("grub.users is not translated"), "{e:?}");
    // All at once, in document order.
    let e = errors(
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      mode: rw\n      contents: {inline: a, source: http://x/}\nsystemd:\n  units:\n    - name: a.service\n      enabled: maybe\n",
    );
    assert_eq!(
        e,
        [
            "storage.files.0.mode (line 6, column 13): expected an integer, found \"rw\"",
            "storage.files.0.contents.source (line 7, column 37): only one of the following can be set: inline, local, source",
            "systemd.units.0.enabled (line 11, column 16): expected true or false, found \"maybe\"",
        ]
    );
}

#[test]
fn variant_and_version_errors() {
    assert!(errors("version: 1.5.0\n")[0].contains("variant; must be specified"));
    assert!(errors("variant: fcos\n")[0].contains("version; must be specified"));
    let e = errors("variant: rhcos\nversion: 1.0.0\n");
    assert!(
        e[0].contains("unsupported config variant \"rhcos\"; kindling translates fcos 1.0.0"),
        "{e:?}"
    );
    let e = errors("variant: flatcar\nversion: 1.2.0-experimental\n");
    assert!(
        e[0].contains("unsupported config version \"1.2.0-experimental\" for variant flatcar"),
        "{e:?}"
    );
    assert!(errors("- a\n- b\n")[0].contains("a Butane config is a mapping"));
    assert!(errors("variant: fcos\nversion: [1\n")[0].starts_with("not valid YAML"));
}

#[test]
fn ignition_validation_is_reported_with_butane_paths() {
    let e = errors("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: relative/file\n");
    assert!(e[0].starts_with("storage.files.0.path"), "{e:?}");
    assert!(e[0].contains("absolute"), "{e:?}");
    let e = errors(
        "variant: fcos\nversion: 1.5.0\nstorage:\n  disks:\n    - device: /dev/vdb\n      partitions:\n        - size_mib: 10\n          number: 1\n        - number: 1\n",
    );
    assert!(e.iter().any(|m| m.starts_with("storage.disks.0.partitions")), "{e:?}");
}
