#!/usr/bin/env python3
"""A crafted network-boot client for the dnsmasq differential test
(dnsmasq_differential.rs): it plays one kind of firmware through the DHCP
part of a network boot and prints what it would load, as one JSON line.

  pxe_client.py IFACE KIND MAC

KIND is one of bios (BIOS PXE ROM, arch 0), efi7 and efi9 (UEFI x64 PXE,
arch 7 and 9), ipxe (iPXE on BIOS), ipxe-efi (iPXE on UEFI), arm64 (UEFI
ARM64 PXE, arch 11), http (UEFI HTTP Boot, arch 16). The options are the
ones each firmware sends (request lists, vendor class, UUID, NDI, iPXE's
175 and 77).

The client broadcasts a DISCOVER and takes the first OFFER. When it holds a
boot file (in the file field, or as option 67), that is the answer. When it holds a PXE menu (option 43 with
boot servers and items), the client asks the listed server on port 4011 for
the first item, as PXE firmware does when the prompt times out, and the
ACK's file is the answer. Otherwise there is nothing to boot.

Output: {"kind", "offer": bool, "via": "offer"|"4011"|null,
"file": str|null, "next_server": str|null}.
"""

import json
import random
import socket
import struct
import sys

PRL_PXE = bytes([1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41, 42,
                 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133,
                 134, 135])
PRL_IPXE = bytes([1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131,
                  132, 133, 134, 135, 175, 203])
UUID = bytes([0]) + bytes(range(0x10, 0x20))


def option(code, value):
    return bytes([code, len(value)]) + value


def firmware_options(kind):
    arch = {"bios": 0, "efi7": 7, "efi9": 9, "ipxe": 0, "ipxe-efi": 9,
            "arm64": 11, "http": 16}[kind]
    arch_bytes = struct.pack("!H", arch)
    vendor = ("HTTPClient" if kind == "http" else "PXEClient")
    vendor += ":Arch:%05d:UNDI:%s" % (arch, "002001" if arch == 0 else "003016")
    o = option(57, b"\x05\xc0")
    if kind.startswith("ipxe"):
        o += option(55, PRL_IPXE)
    else:
        o += option(55, PRL_PXE) + option(97, UUID)
    o += option(93, arch_bytes) + option(94, b"\x01\x03\x10" if arch else b"\x01\x02\x01")
    o += option(60, vendor.encode())
    if kind.startswith("ipxe"):
        o += option(77, b"iPXE") + option(175, bytes([0x13, 1, 1, 0x15, 1, 1, 0x24, 1, 1]))
    return o


def packet(xid, mac, msg_type, options, ciaddr="0.0.0.0"):
    header = struct.pack("!BBBBIHH4s4s4s4s16s64s128s4s", 1, 1, 6, 0, xid, 0, 0x8000,
                         socket.inet_aton(ciaddr), bytes(4), bytes(4), bytes(4),
                         mac + bytes(10), b"", b"", b"\x63\x82\x53\x63")
    return header + option(53, bytes([msg_type])) + options + b"\xff"


def parse(data):
    if len(data) < 240:
        return None
    reply = {
        "xid": struct.unpack("!I", data[4:8])[0],
        "siaddr": socket.inet_ntoa(data[20:24]),
        "file": data[108:236].split(b"\0")[0].decode("latin-1"),
        "options": {},
    }
    area = data[240:]
    overload = 0
    i = 0
    while i < len(area) and area[i] != 255:
        if area[i] == 0:
            i += 1
            continue
        code, length = area[i], area[i + 1]
        reply["options"][code] = reply["options"].get(code, b"") + area[i + 2:i + 2 + length]
        i += 2 + length
    if 52 in reply["options"]:
        overload = reply["options"][52][0]
    if overload & 1:
        reply["file"] = ""
    # A server may give the boot file as option 67 instead of in the file
    # field (dnsmasq does when the request list asks for 67); firmware
    # takes either.
    if not reply["file"] and 67 in reply["options"]:
        reply["file"] = reply["options"][67].split(b"\0")[0].decode("latin-1")
    return reply


def tlv(raw):
    out = {}
    i = 0
    while i + 1 < len(raw) and raw[i] != 255:
        if raw[i] == 0:
            i += 1
            continue
        out[raw[i]] = raw[i + 2:i + 2 + raw[i + 1]]
        i += 2 + raw[i + 1]
    return out


def receive(sock, xid, kinds):
    while True:
        data, _ = sock.recvfrom(4096)
        reply = parse(data)
        if reply and reply["xid"] == xid and reply["options"].get(53, b"\0")[0] in kinds:
            return reply


def main():
    iface, kind, mac_text = sys.argv[1], sys.argv[2], sys.argv[3]
    mac = bytes(int(b, 16) for b in mac_text.split(":"))
    result = {"kind": kind, "offer": False, "via": None, "file": None, "next_server": None}
    opts = firmware_options(kind)
    xid = random.getrandbits(32)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    sock.bind(("0.0.0.0", 68))
    # dnsmasq checks a new address with a ping before offering it.
    sock.settimeout(4)
    sock.sendto(packet(xid, mac, 1, opts), ("255.255.255.255", 67))
    try:
        offer = receive(sock, xid, (2,))
    except socket.timeout:
        print(json.dumps(result))
        return
    result["offer"] = True
    if offer["file"]:
        result.update(via="offer", file=offer["file"], next_server=offer["siaddr"])
        print(json.dumps(result))
        return
    menu = tlv(offer["options"].get(43, b""))
    if 9 not in menu or 8 not in menu or len(menu[9]) < 2:
        print(json.dumps(result))
        return
    item = menu[9][:2]
    servers = menu[8]
    server = socket.inet_ntoa(servers[3:7]) if len(servers) >= 7 else \
        socket.inet_ntoa(offer["options"][54])
    # Port 4011, from the address the client has (proxyDHCP: another
    # server gave it), with the chosen item (43.71: type, layer 0).
    local = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    local.connect((server, 4011))
    ciaddr = local.getsockname()[0]
    local.close()
    ask = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ask.settimeout(1.5)
    ask.bind((ciaddr, 0))
    xid2 = random.getrandbits(32)
    request = opts + option(43, option(71, item + b"\0\0") + b"\xff")
    ask.sendto(packet(xid2, mac, 3, request, ciaddr), (server, 4011))
    try:
        ack = receive(ask, xid2, (5,))
    except socket.timeout:
        print(json.dumps(result))
        return
    result.update(via="4011", file=ack["file"] or None, next_server=ack["siaddr"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
