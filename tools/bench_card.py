"""Card benchmark: time from card insertion to a fully checked identity, and APDUs used.

Runs over the real stack (virtual card -> vpcd -> pcscd -> ``PcscCardReader`` -> ``rid_card``
-> ``card_identity.check_card``), the way the controller reads a card, minus the platform:
the challenge is local. Starts pcscd when none runs. Not a test: it reports, it does not fail.

    .venv/bin/python tools/bench_card.py [--runs 15] [--json]

For each card kind it prints the median and spread of
- ``insert->checked``: from plugging the card into vpcd to ``check_card`` returning;
- ``event->checked``: from the reader's ``CardInserted`` event to the same point (what the
  kiosk controls; the rest is pcscd noticing the card);
and the APDUs the card received (GET RESPONSE included) against the fewest the profile
allows for those files: SELECT AID, then per file SELECT plus one READ BINARY per started
256 bytes (EF.HOLDER, EF.CARDCERT, EF.SOD), then INTERNAL AUTHENTICATE.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import sys
import time

from devices import rid_card
from devices.card_reader import CardEvent, CardInserted, CardRemoved
from devices.pcsc_reader import PcscCardReader
from kiosk.card import identity as card_identity
from simulators import pcscd
from simulators.card_factory import (
    FID_CARDCERT,
    FID_HOLDER,
    FID_SOD,
    make_issuer_ca,
)
from simulators.residents import ZHANG_WEI
from simulators.virtual_card import Rid1Applet, VirtualCardClient, make_applet

KINDS = ("genuine", "t0_card", "short_reads", "needs_6cxx", "chunks_61xx")
EVENT_TIMEOUT_S = 10.0


def minimal_apdus(applet: Rid1Applet) -> int:
    """The fewest APDUs the profile allows to read and authenticate this card."""
    files = applet.image.files
    reads = sum(-(-len(files[fid]) // 256) for fid in (FID_HOLDER, FID_CARDCERT, FID_SOD))
    return 1 + 3 + reads + 1


def wait_for(events: queue.Queue[CardEvent], kind: type[object]) -> None:
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while True:
        event = events.get(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(event, kind):
            return


def one_run(
    reader: PcscCardReader,
    events: queue.Queue[CardEvent],
    applet: Rid1Applet,
    anchors: list[bytes],
    port: int,
) -> tuple[float, float]:
    """(insert->checked, event->checked) in seconds for one card."""
    client = VirtualCardClient(applet, port=port)
    t_insert = time.perf_counter()
    client.insert()
    try:
        wait_for(events, CardInserted)
        t_event = time.perf_counter()
        challenge = os.urandom(32)
        conn = reader.connect()
        try:
            files = rid_card.read_identity_files(conn)
            signature = rid_card.internal_authenticate(conn, challenge)
        finally:
            conn.close()
        card_identity.check_card(
            files,
            signature=signature,
            challenge=challenge,
            trust_anchors=anchors,
            today_cst=card_identity.today_in_china(),
        )
        t_done = time.perf_counter()
    finally:
        client.remove()
    wait_for(events, CardRemoved)
    return t_done - t_insert, t_done - t_event


SELECTS_PER_RUN = 30  # SELECT AID round trips timed per run (the median is kept)


def select_round_trip(
    reader: PcscCardReader, events: queue.Queue[CardEvent], applet: Rid1Applet, port: int
) -> float:
    """The median time of one APDU through the same pcscd and reader: SELECT AID repeated
    on an inserted card (the floor each of the kiosk's APDUs stands on), in seconds."""
    select = bytes([0x00, 0xA4, 0x04, 0x0C, len(rid_card.AID)]) + rid_card.AID
    client = VirtualCardClient(applet, port=port)
    client.insert()
    try:
        wait_for(events, CardInserted)
        conn = reader.connect()
        try:
            conn.transmit(select)  # the connection's first exchange, untimed
            times = []
            for _ in range(SELECTS_PER_RUN):
                began = time.perf_counter()
                conn.transmit(select)
                times.append(time.perf_counter() - began)
        finally:
            conn.close()
    finally:
        client.remove()
    wait_for(events, CardRemoved)
    return statistics.median(times)


def against_the_floor(runs: int) -> list[dict[str, float]]:
    """Alternating run by run through one pcscd: a genuine card from the reader's event to
    its identity checked (APDUs counted), and the APDU round trip (``select_round_trip``)."""
    issuer = make_issuer_ca()
    anchors = [issuer.cert_der]
    results = []
    with pcscd.running() as info:
        events: queue.Queue[CardEvent] = queue.Queue()
        reader = PcscCardReader("virtual pcd 00 00", poll_timeout_s=0.5)
        reader.start(events.put)
        try:
            # One untimed read first: the reader's and the checks' first use.
            one_run(reader, events, make_applet("genuine", ZHANG_WEI, issuer), anchors, info.port)
            for _ in range(runs):
                applet = make_applet("genuine", ZHANG_WEI, issuer)  # outside the timing
                _total, after_event = one_run(reader, events, applet, anchors, info.port)
                round_trip = select_round_trip(
                    reader, events, make_applet("genuine", ZHANG_WEI, issuer), info.port
                )
                results.append(
                    {
                        "identity_s": after_event,
                        "apdus": applet.apdu_count,
                        "minimal_apdus": minimal_apdus(applet),
                        "round_trip_s": round_trip,
                    }
                )
        finally:
            reader.stop()
    return results


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    issuer = make_issuer_ca()
    anchors = [issuer.cert_der]
    results: dict[str, dict[str, float | int]] = {}
    with pcscd.running() as info:
        events: queue.Queue[CardEvent] = queue.Queue()
        reader = PcscCardReader("virtual pcd 00 00", poll_timeout_s=0.5)
        reader.start(events.put)
        try:
            for kind in KINDS:
                totals, from_event, apdus = [], [], set()
                for _ in range(args.runs):
                    applet = make_applet(kind, ZHANG_WEI, issuer)  # outside the timing
                    total, after_event = one_run(reader, events, applet, anchors, info.port)
                    totals.append(total)
                    from_event.append(after_event)
                    apdus.add(applet.apdu_count)
                results[kind] = {
                    "runs": args.runs,
                    "insert_to_checked_median_ms": statistics.median(totals) * 1000,
                    "insert_to_checked_min_ms": min(totals) * 1000,
                    "insert_to_checked_max_ms": max(totals) * 1000,
                    "event_to_checked_median_ms": statistics.median(from_event) * 1000,
                    "apdus": max(apdus),
                    "minimal_apdus": minimal_apdus(applet),
                }
        finally:
            reader.stop()

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"{'card':<12} {'insert->checked median (min..max)':>36} {'event->checked':>15} "
        f"{'APDUs':>6} {'minimum':>8}"
    )
    for kind, r in results.items():
        spread = (
            f"{r['insert_to_checked_median_ms']:.0f} ms "
            f"({r['insert_to_checked_min_ms']:.0f}..{r['insert_to_checked_max_ms']:.0f})"
        )
        print(
            f"{kind:<12} {spread:>36} {r['event_to_checked_median_ms']:>12.0f} ms "
            f"{r['apdus']:>6} {r['minimal_apdus']:>8}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
