#!/usr/bin/env python3
"""gRPC write load for bench/rpc.sh: THREADS clients each put PER groups.
Usage: rpc_load.py STUBS ADDR CERT_DIR THREADS PER"""
import sys
import threading
import time

stubs, addr, certs, threads, per = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, stubs)
import grpc  # noqa: E402
from matchbox.rpc.rpcpb import rpc_pb2_grpc as rpc  # noqa: E402
from matchbox.server.serverpb import messages_pb2 as m  # noqa: E402
from matchbox.storage.storagepb import storage_pb2 as s  # noqa: E402


def read(p):
    with open(p, "rb") as f:
        return f.read()


creds = grpc.ssl_channel_credentials(read(f"{certs}/ca.crt"), read(f"{certs}/client.key"), read(f"{certs}/client.crt"))


def work(t):
    ch = grpc.secure_channel(addr, creds, options=[("grpc.ssl_target_name_override", "localhost")])
    groups = rpc.GroupsStub(ch)
    for i in range(per):
        g = s.Group(id=f"w{t}-{i}", profile="p0", selector={"os": f"w{t}-{i}"})
        groups.GroupPut(m.GroupPutRequest(group=g), timeout=120)


start = time.time()
workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
elapsed = time.time() - start
print(f"{threads * per} {elapsed:.2f}")
