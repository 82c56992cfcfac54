#!/usr/bin/python3
"""A plain DHT node for discovery tests: python3-libtorrent (Debian's 2.0.8), no torrents,
no PayTorrent code. It is the bootstrap node of a closed DHT on loopback: nodes started with
--dht-bootstrap 127.0.0.1:PORT announce their torrents to it and ask it for peers.

Run with /usr/bin/python3 (another python3 on PATH may lack the libtorrent module).
It prints one JSON object per line on stdout, flushed at once:
  {"event": "listening", "port": P}                        the DHT's UDP port (= TCP port)
  {"event": "announce", "info_hash": H, "port": P}        a node announced H at 127.0.0.1:P
It exits 0 after --duration seconds or on SIGTERM; 3 when the parent that started it has
gone (so a killed test leaves nothing behind).
"""

import argparse
import json
import os
import signal
import sys
import time

import libtorrent as lt


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60.0, help="seconds before exiting")
    args = parser.parse_args()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    parent = os.getppid()

    session = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": True,
        "dht_bootstrap_nodes": "",  # the first node of the network knows no one
        # Every node of this network is at 127.0.0.1: the public DHT's one-node-per-IP
        # rules would keep all but one out.
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "alert_mask": lt.alert.category_t.dht_notification,
    })
    port = 0
    deadline = time.monotonic() + args.duration
    while not port and time.monotonic() < deadline:
        port = session.listen_port()
        if not port:
            time.sleep(0.05)
    emit({"event": "listening", "port": port})

    while not stop and time.monotonic() < deadline:
        if os.getppid() != parent:
            return 3
        session.wait_for_alert(200)
        for a in session.pop_alerts():
            if isinstance(a, lt.dht_announce_alert):
                emit({"event": "announce", "info_hash": str(a.info_hash), "port": a.port})
    return 0


if __name__ == "__main__":
    sys.exit(main())
