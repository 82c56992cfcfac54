#!/usr/bin/python3
"""A stock BitTorrent peer for interop tests: python3-libtorrent (Debian's 2.0.8) with no
PayTorrent code, seeding or leeching one .torrent on loopback.

Run with /usr/bin/python3 (another python3 on PATH may lack the libtorrent module).
It prints one JSON object per line on stdout, flushed at once, so a test can follow it:
  {"event": "listening", "port": P}            once the TCP socket is bound
  {"event": "status", ...}                     every --report-ms milliseconds
  {"event": "finished", ...}                   when a leecher has the whole torrent
  {"event": "done", ...}                       the last line, just before a clean exit
Status fields: state, progress (0..1), payload_download, payload_upload (bytes, this run),
peers (number), peer_clients (client names of the connected peers).

It exits 0 when a leecher finishes (with --exit-on-finish), after --duration seconds, or on
SIGTERM (printing its "done" line first, so a test can stop it and still read the totals);
3 when the parent that started it has gone (so a killed test leaves nothing behind).
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


def status_of(handle):
    st = handle.status()
    clients = sorted({p.client.decode("utf-8", "replace") if isinstance(p.client, bytes) else str(p.client)
                      for p in handle.get_peer_info()})
    return {
        "state": str(st.state),
        "progress": st.progress,
        "payload_download": st.total_payload_download,
        "payload_upload": st.total_payload_upload,
        "peers": st.num_peers,
        "peer_clients": clients,
        "is_seeding": bool(st.is_seeding),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--torrent", required=True, help=".torrent file")
    parser.add_argument("--save", required=True, help="save path (a seeder's data is already there)")
    parser.add_argument("--port", type=int, default=0, help="TCP listen port on 127.0.0.1 (0: any)")
    parser.add_argument("--connect", action="append", default=[], help="HOST:PORT of a peer to dial")
    parser.add_argument("--seed", action="store_true", help="the data is complete: check it and seed")
    parser.add_argument("--exit-on-finish", action="store_true", help="exit 0 once the download is complete")
    parser.add_argument("--duration", type=float, default=50.0, help="seconds to run at most")
    parser.add_argument("--report-ms", type=int, default=500, help="status line interval")
    args = parser.parse_args()

    parent = os.getppid()
    stop_requested = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop_requested.append(signum))
    settings = {
        "listen_interfaces": "127.0.0.1:%d" % args.port,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # TCP only: the tests compare with TCP peers, and uTP is slow on loopback.
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
    }
    session = lt.session(settings)

    info = lt.torrent_info(args.torrent)
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = args.save
    # No resume data: libtorrent checks the files on disk, so a seeder really has the data
    # (a broken file would leave it downloading, not seeding).
    handle = session.add_torrent(params)

    deadline = time.monotonic() + args.duration
    while session.listen_port() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    emit({"event": "listening", "port": session.listen_port()})

    dialled = False
    finished = False
    next_report = 0.0
    while time.monotonic() < deadline and not stop_requested:
        if os.getppid() != parent:
            return 3
        st = handle.status()
        # Dial once the torrent is ready to talk (checked, not still checking files).
        if not dialled and st.state not in (lt.torrent_status.checking_files,
                                            lt.torrent_status.checking_resume_data):
            for hostport in args.connect:
                host, _, port = hostport.rpartition(":")
                handle.connect_peer((host, int(port)))
            dialled = True
        for alert in session.pop_alerts():
            if alert.category() & lt.alert.category_t.error_notification:
                emit({"event": "alert", "what": alert.what(), "message": alert.message()})
        now = time.monotonic()
        if now >= next_report:
            emit(dict(event="status", **status_of(handle)))
            next_report = now + args.report_ms / 1000.0
        if not finished and not args.seed and st.is_seeding:
            finished = True
            emit(dict(event="finished", **status_of(handle)))
            if args.exit_on_finish:
                break
        time.sleep(0.05)

    emit(dict(event="done", **status_of(handle)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
