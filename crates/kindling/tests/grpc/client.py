"""A gRPC client that is not kindling's own: Python's grpcio, with stubs
compiled from crates/rpc/proto, calling every RPC of matchbox's API over
mutual TLS, the way terraform-provider-matchbox and bootcmd do.

Usage: client.py STUBS_DIR RPC_ADDR HTTP_ADDR CERT_DIR OTHER_CA_DIR [matchbox-codes]
With matchbox-codes (the server runs with --compat grpc-status), every
failure but a Select without a match must be Unknown, as matchbox answers.
Prints one line per check; exits non-zero at the first failure.
"""
import json
import sys
import urllib.request

stubs, rpc_addr, http_addr, certs, other = sys.argv[1:6]
matchbox_codes = sys.argv[6:7] == ["matchbox-codes"]
sys.path.insert(0, stubs)

import grpc  # noqa: E402
from matchbox.rpc.rpcpb import rpc_pb2_grpc as rpc  # noqa: E402
from matchbox.server.serverpb import messages_pb2 as m  # noqa: E402
from matchbox.storage.storagepb import storage_pb2 as s  # noqa: E402

# The codes expected for a missing object and for a bad request.
NOT_FOUND = grpc.StatusCode.UNKNOWN if matchbox_codes else grpc.StatusCode.NOT_FOUND
INVALID = grpc.StatusCode.UNKNOWN if matchbox_codes else grpc.StatusCode.INVALID_ARGUMENT


def read(path):
    with open(path, "rb") as f:
        return f.read()


def channel(ca_dir, client_dir):
    creds = grpc.ssl_channel_credentials(
        root_certificates=read(f"{ca_dir}/ca.crt"),
        private_key=read(f"{client_dir}/client.key") if client_dir else None,
        certificate_chain=read(f"{client_dir}/client.crt") if client_dir else None,
    )
    # The server certificate names localhost and 127.0.0.1.
    return grpc.secure_channel(rpc_addr, creds, options=[("grpc.ssl_target_name_override", "localhost")])


def check(what, cond, detail=""):
    if not cond:
        print(f"FAIL {what} {detail}", flush=True)
        sys.exit(1)
    print(f"ok {what}", flush=True)


def code_of(call):
    try:
        call()
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""


def http(path):
    try:
        with urllib.request.urlopen(f"http://{http_addr}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


ch = channel(certs, certs)
groups, profiles = rpc.GroupsStub(ch), rpc.ProfilesStub(ch)
ignition, generic, select = rpc.IgnitionStub(ch), rpc.GenericStub(ch), rpc.SelectStub(ch)
T = 10

# Profiles
profile = s.Profile(id="fcos", name="Fedora CoreOS", ignition_id="fcos.ign", generic_id="gen",
                    boot=s.NetBoot(kernel="/assets/vmlinuz", initrd=["/assets/initrd.img"], args=["console=ttyS0"]))
profiles.ProfilePut(m.ProfilePutRequest(profile=profile), timeout=T)
got = profiles.ProfileGet(m.ProfileGetRequest(id="fcos"), timeout=T).profile
check("ProfilePut/ProfileGet round trip", got == profile, str(got))
profiles.ProfilePut(m.ProfilePutRequest(profile=s.Profile(id="bare")), timeout=T)
got = profiles.ProfileGet(m.ProfileGetRequest(id="bare"), timeout=T).profile
check("a profile without boot is read back with a boot", got.HasField("boot"), str(got))
ids = [p.id for p in profiles.ProfileList(m.ProfileListRequest(), timeout=T).profiles]
check("ProfileList", ids == ["bare", "fcos"], str(ids))

# Groups, and HTTP sees the write at once
meta = {"hostname": "node1", "n": 1}
group = s.Group(id="node1", name="node one", profile="fcos", selector={"mac": "52:54:00:89:d8:10"},
                metadata=json.dumps(meta).encode())
groups.GroupPut(m.GroupPutRequest(group=group), timeout=T)
got = groups.GroupGet(m.GroupGetRequest(id="node1"), timeout=T).group
check("GroupPut/GroupGet round trip",
      (got.id, got.name, got.profile, dict(got.selector), json.loads(got.metadata))
      == ("node1", "node one", "fcos", {"mac": "52:54:00:89:d8:10"}, meta), str(got))
status, body = http("/ipxe?mac=52-54-00-89-d8-10")
check("the HTTP side serves the new group and profile at once",
      status == 200 and "kernel /assets/vmlinuz console=ttyS0" in body, f"{status} {body!r}")
ids = [g.id for g in groups.GroupList(m.GroupListRequest(), timeout=T).groups]
check("GroupList", ids == ["node1"], str(ids))

# Select
got = select.SelectGroup(m.SelectGroupRequest(labels={"mac": "52-54-00-89-D8-10"}), timeout=T).group
check("SelectGroup (MAC normalized as over HTTP)", got.id == "node1", str(got))
got = select.SelectProfile(m.SelectProfileRequest(labels={"mac": "52:54:00:89:d8:10"}), timeout=T).profile
check("SelectProfile", got.id == "fcos", str(got))
code, _ = code_of(lambda: select.SelectGroup(m.SelectGroupRequest(labels={"mac": "52:54:00:00:00:99"}), timeout=T))
check("SelectGroup without a match is NotFound", code == grpc.StatusCode.NOT_FOUND, str(code))

# Ignition and generic templates
ign = b'{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core"}]}}'
ignition.IgnitionPut(m.IgnitionPutRequest(name="fcos.ign", config=ign), timeout=T)
check("IgnitionPut/IgnitionGet", ignition.IgnitionGet(m.IgnitionGetRequest(name="fcos.ign"), timeout=T).config == ign)
status, body = http("/ignition?mac=52:54:00:89:d8:10")
check("the HTTP side serves the new Ignition config", status == 200 and '"name":"core"' in body, f"{status} {body!r}")
check("IgnitionList", list(ignition.IgnitionList(m.IgnitionListRequest(), timeout=T).names) == ["fcos.ign"])
generic.GenericPut(m.GenericPutRequest(name="gen", config=b"hostname={{.hostname}}\n"), timeout=T)
check("GenericPut/GenericGet", generic.GenericGet(m.GenericGetRequest(name="gen"), timeout=T).config == b"hostname={{.hostname}}\n")
check("GenericList", list(generic.GenericList(m.GenericListRequest(), timeout=T).names) == ["gen"])
status, body = http("/generic?mac=52:54:00:89:d8:10")
check("the HTTP side renders the new generic template", status == 200 and body == "hostname=node1\n", f"{status} {body!r}")

# Deletes, and NotFound as NotFound
generic.GenericDelete(m.GenericDeleteRequest(name="gen"), timeout=T)
ignition.IgnitionDelete(m.IgnitionDeleteRequest(name="fcos.ign"), timeout=T)
groups.GroupDelete(m.GroupDeleteRequest(id="node1"), timeout=T)
profiles.ProfileDelete(m.ProfileDeleteRequest(id="bare"), timeout=T)
status, _ = http("/ipxe?mac=52-54-00-89-d8-10")
check("after GroupDelete the machine matches nothing over HTTP", status == 404, str(status))
for what, call in [
    ("GroupGet", lambda: groups.GroupGet(m.GroupGetRequest(id="node1"), timeout=T)),
    ("GroupDelete", lambda: groups.GroupDelete(m.GroupDeleteRequest(id="node1"), timeout=T)),
    ("ProfileGet", lambda: profiles.ProfileGet(m.ProfileGetRequest(id="bare"), timeout=T)),
    ("ProfileDelete", lambda: profiles.ProfileDelete(m.ProfileDeleteRequest(id="bare"), timeout=T)),
    ("IgnitionGet", lambda: ignition.IgnitionGet(m.IgnitionGetRequest(name="fcos.ign"), timeout=T)),
    ("IgnitionDelete", lambda: ignition.IgnitionDelete(m.IgnitionDeleteRequest(name="fcos.ign"), timeout=T)),
    ("GenericGet", lambda: generic.GenericGet(m.GenericGetRequest(name="gen"), timeout=T)),
    ("GenericDelete", lambda: generic.GenericDelete(m.GenericDeleteRequest(name="gen"), timeout=T)),
]:
    code, _ = code_of(call)
    check(f"{what} of a missing object is {NOT_FOUND}", code == NOT_FOUND, str(code))

# Validation and path safety: InvalidArgument, nothing written
code, _ = code_of(lambda: groups.GroupPut(m.GroupPutRequest(group=s.Group(id="g")), timeout=T))
check(f"a group without a profile is {INVALID}", code == INVALID, str(code))
code, _ = code_of(lambda: groups.GroupPut(m.GroupPutRequest(group=s.Group(id="g", profile="p", metadata=b"[1]")), timeout=T))
check(f"metadata that is not a JSON object is {INVALID}", code == INVALID, str(code))
code, _ = code_of(lambda: groups.GroupPut(m.GroupPutRequest(group=s.Group(id="g", profile="p", selector={"mac": "zz"})), timeout=T))
check(f"a MAC selector that is not a MAC is {INVALID}", code == INVALID, str(code))
bad_names = ["../profiles/evil.json", "../../etc/evil", "/tmp/evil", "a/b", "nul\x00name", "x" * 300, "", ".hidden", ".."]
for name in bad_names:
    for what, call in [
        ("IgnitionPut", lambda: ignition.IgnitionPut(m.IgnitionPutRequest(name=name, config=b"x"), timeout=T)),
        ("GenericPut", lambda: generic.GenericPut(m.GenericPutRequest(name=name, config=b"x"), timeout=T)),
        ("GroupPut", lambda: groups.GroupPut(m.GroupPutRequest(group=s.Group(id=name, profile="p")), timeout=T)),
        ("ProfilePut", lambda: profiles.ProfilePut(m.ProfilePutRequest(profile=s.Profile(id=name)), timeout=T)),
        ("IgnitionGet", lambda: ignition.IgnitionGet(m.IgnitionGetRequest(name=name), timeout=T)),
        ("GroupDelete", lambda: groups.GroupDelete(m.GroupDeleteRequest(id=name), timeout=T)),
    ]:
        code, _ = code_of(call)
        check(f"{what} {name[:20]!r} is {INVALID}", code == INVALID, str(code))

# TLS: no client certificate, or one from another CA, is refused
for what, ch2 in [("no client certificate", channel(certs, None)), ("a client certificate of another CA", channel(certs, other))]:
    code, details = code_of(lambda: rpc.GroupsStub(ch2).GroupList(m.GroupListRequest(), timeout=T))
    check(f"a connection with {what} is refused", code == grpc.StatusCode.UNAVAILABLE, f"{code} {details}")
print("all checks passed")
