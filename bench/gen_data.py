#!/usr/bin/env python3
"""Write a matchbox data directory with N MAC-selected groups, for benchmarks.

Usage: gen_data.py DIR N
Writes DIR/groups/node<i>.json (selector mac=52:54:<i>), 10 profiles shared
round-robin, one default group, and DIR/macs.txt listing every MAC (dashed,
as iPXE sends it) for the load generator.
"""
import json
import os
import sys

root, n = sys.argv[1], int(sys.argv[2])
for kind in ("groups", "profiles", "ignition", "generic"):
    os.makedirs(os.path.join(root, kind), exist_ok=True)
for p in range(10):
    profile = {
        "id": f"p{p}",
        "name": f"profile {p}",
        "boot": {
            "kernel": f"/assets/flatcar/{p}/flatcar_production_pxe.vmlinuz",
            "initrd": [f"/assets/flatcar/{p}/flatcar_production_pxe_image.cpio.gz"],
            "args": [
                "initrd=flatcar_production_pxe_image.cpio.gz",
                "flatcar.config.url=http://matchbox.example.com:8080/ignition?uuid=${uuid}&mac=${mac:hexhyp}",
                "flatcar.first_boot=yes",
            ],
        },
    }
    with open(os.path.join(root, "profiles", f"p{p}.json"), "w") as f:
        json.dump(profile, f)
with open(os.path.join(root, "groups", "default.json"), "w") as f:
    json.dump({"id": "default", "profile": "p0"}, f)
macs = []
for i in range(n):
    octets = [0x52, 0x54, (i >> 24) & 0xFF, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF]
    mac = ":".join(f"{o:02x}" for o in octets)
    macs.append(mac.replace(":", "-"))
    group = {
        "id": f"node{i}",
        "profile": f"p{i % 10}",
        "selector": {"mac": mac},
        "metadata": {"hostname": f"node{i}.example.com", "index": i},
    }
    with open(os.path.join(root, "groups", f"node{i}.json"), "w") as f:
        json.dump(group, f)
with open(os.path.join(root, "macs.txt"), "w") as f:
    f.write("\n".join(macs) + "\n")
