#!/usr/bin/python3
"""Drives every PBX operation of apiws through zeep, from the served WSDL.

Usage: /usr/bin/python3 zeep_pbx.py WSDL_URL ACCESS_KEY SIM_URL SIM_USER SIM_PASSWORD

SIM_URL is the Asterisk simulator Centralita is connected to; its /sim/
control API puts an extension off-hook. Prints one JSON object of results;
the Go test TestZeepPBXOperations asserts them.
"""

import base64
import datetime
import json
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

import zeep


def sim(method, url, user, password, body=None):
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read() or b"null")


def main():
    wsdl, key, sim_url, sim_user, sim_pw = sys.argv[1:6]
    svc = zeep.Client(wsdl).service
    out = {}
    start = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)

    def poll(job, limit=20.0):
        seq, deadline = [], time.time() + limit
        while time.time() < deadline:
            st = svc.originateCallStatus(key, job)
            if not seq or seq[-1] != st:
                seq.append(st)
            if st >= 3 or st <= 0:
                break
            time.sleep(0.02)
        return seq

    def call(src, dst, timeout=20, info=""):
        return svc.originateCall(authorizedKey=key, src=src, srcCallerID="Juan Perez", dst=dst,
                                 dstCallerID="Netgate", timeout=timeout, callinfo=info)

    answered = call("101", "5551234", info="01-43-1")
    out["answered_id"] = answered
    out["answered"] = poll(answered)
    out["busy"] = poll(call("102", "5551237"))
    out["noanswer"] = poll(call("103", "5551238", timeout=3))
    out["congestion"] = poll(call("104", "5551239"))

    sim("PUT", sim_url + "/sim/endpoints/105", sim_user, sim_pw, {"offhook": True})
    out["offhook"] = poll(call("105", "5551234"))

    ringing = call("106", "5551234")
    out["cancel_status_before"] = svc.originateCallStatus(key, ringing)
    out["cancel"] = svc.originateCallCancel(key, ringing)
    out["cancel_again"] = svc.originateCallCancel(key, ringing)
    out["cancel_status_after"] = svc.originateCallStatus(key, ringing)
    time.sleep(0.5)
    chans = sim("GET", sim_url + "/ari/channels", sim_user, sim_pw)
    out["cancel_channels_left"] = [c["id"] for c in chans if c["id"].startswith(ringing)]

    out["unknown_status"] = svc.originateCallStatus(key, "nope")
    out["unknown_cancel"] = svc.originateCallCancel(key, "nope")
    bad = "0" * 32
    out["bad_key"] = [
        svc.originateCall(bad, "101", "", "5551234", "", 20, ""),
        svc.originateCallStatus(bad, answered),
        svc.originateCallCancel(bad, answered),
        svc.extensionPbx(bad),
        svc.cdrData(bad, "", "2026-01-01 00:00:00", "2030-01-01 00:00:00"),
        svc.cdrCustom(bad, "2026-01-01 00:00:00", "2030-01-01 00:00:00"),
    ]

    ext = ET.fromstring(svc.extensionPbx(key).encode())
    out["extensions"] = [(e.get("extension"), e.get("channel"), e.get("calleridName")) for e in ext]

    time.sleep(0.5)  # CDRs are written as the channels end
    inicio = start.strftime("%Y-%m-%d %H:%M:%S")
    fin = (datetime.datetime.utcnow() + datetime.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    cdr = ET.fromstring(svc.cdrData(key, "", inicio, fin).encode())
    out["cdr_tag"] = cdr.tag
    out["cdr_calls"] = [dict(c.attrib) for c in cdr]
    one = ET.fromstring(svc.cdrData(key, answered + "-src", "", "").encode())
    out["cdr_one"] = [dict(c.attrib) for c in one]
    custom = ET.fromstring(svc.cdrCustom(key, inicio, fin).encode())
    out["cdr_custom"] = [dict(c.attrib) for c in custom]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
