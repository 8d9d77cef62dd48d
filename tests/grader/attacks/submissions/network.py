"""Threat 1: reach the network (the metadata service, DNS, a host service, raw sockets)."""

import socket

HOST_PORT = 47123  # the test replaces this with the port of a real service on the worker
TARGETS = [("169.254.169.254", 80), ("1.1.1.1", 53), ("127.0.0.1", HOST_PORT), ("10.0.2.2", 80)]
for host, port in TARGETS:
    try:
        socket.create_connection((host, port), timeout=1).close()
        print(f"ESCAPED: connected to {host}:{port}")
    except OSError:
        pass
try:
    socket.getaddrinfo("pypi.org", 443)
    print("ESCAPED: DNS answered")
except OSError:
    pass
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    print("ESCAPED: raw socket")
except OSError:
    pass


def add(a, b):
    return a + b
