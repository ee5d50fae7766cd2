#!/usr/bin/python3
"""Drives the call-center operations of apiws through zeep, from the served WSDL.

Usage: /usr/bin/python3 zeep_acd.py WSDL_URL ACCESS_KEY SIM_URL SIM_USER SIM_PASSWORD

The server was provisioned with testdata/acd_provision.json. Prints one JSON
object of results; the Go test TestZeepCallCenterOperations asserts them.
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


def doc(text):
    """Parses an XML document answered as a string (bytes keep the declared encoding)."""
    return ET.fromstring(text.encode("iso-8859-1") if "iso-8859-1" in text[:60] else text.encode("utf-8"))


def main():
    wsdl, key, sim_url, sim_user, sim_pw = sys.argv[1:6]
    svc = zeep.Client(wsdl).service
    out = {}
    start = datetime.datetime.utcnow() - datetime.timedelta(seconds=2)

    out["login"] = [svc.loginAgent(key, "ana", "101"), svc.loginAgent(key, "beto", "102")]
    out["login_unknown"] = svc.loginAgent(key, "nobody", "110")
    out["pause"] = svc.pauseAgent(key, "beto", "sales", "2")
    out["logged_info"] = {k: v for k, v in doc(svc.getAgentLoggedInfo(key, "ana")).find("user").attrib.items()}
    out["not_logged"] = svc.getAgentLoggedInfo(key, "eva")
    out["no_name"] = svc.getAgentLoggedInfo(key, "")
    out["user_by_agent"] = [svc.getUserByAgent(key, "101"), svc.getUserByAgent(key, "999")]
    out["user_info"] = {k: v for k, v in doc(svc.getUserInfo(key, "carla")).find("user").attrib.items()}
    out["bad_key"] = svc.getUserByAgent("0" * 32, "101")

    ext = doc(svc.getAgentLogin(key, "101,102"))
    out["extensions"] = [
        {"number": e.get("number"), "type": e.get("channelType"), "agent": (e.find("agent").attrib if e.find("agent") is not None else {}),
         "queues": [dict(q.attrib) for q in e.findall("queue")]}
        for e in ext.findall("extension")
    ]
    out["no_extensions"] = svc.getAgentLogin(key, "")

    call = sim("POST", sim_url + "/sim/calls", sim_user, sim_pw, {"from": "5550111", "queue": "sales", "talk_duration": "3s"})
    deadline, statuses = time.time() + 10, []
    while time.time() < deadline:
        panel = doc(svc.statusQueues(key))
        sales = [q for q in panel.find("queues") if q.get("qname") == "sales"][0]
        calls = [(c.get("uniqueid"), c.text) for c in sales.find("qcalls")]
        if any(u == call["channel_id"] and a == "101" for u, a in calls):
            statuses = {a.text: a.get("status") for a in panel.find("agents")}
            break
        time.sleep(0.1)
    out["connected_statuses"] = statuses

    time.sleep(1.2)  # beto's pause lasts whole seconds
    out["unpause"] = svc.unpauseAgent(key, "beto", "")
    out["logout"] = [svc.logoutAgent(key, "ana"), svc.logoutAgent(key, "beto")]
    time.sleep(1.5)
    now = datetime.datetime.utcnow() + datetime.timedelta(seconds=1)
    fmt = "%Y-%m-%d %H:%M:%S"
    qd = doc(svc.queueData(key, "sales", "", start.strftime(fmt), now.strftime(fmt)))
    out["queue_data_actions"] = [a.get("action") for a in qd.findall("activity")]
    times = svc.getAgentTimes(key, start.strftime(fmt), now.strftime(fmt), "beto", "sales")
    out["agent_times"] = dict(doc(times).find("agent").attrib)
    out["agent_times_errors"] = [
        svc.getAgentTimes(key, "yesterday", now.strftime(fmt), "", ""),
        svc.getAgentTimes(key, start.strftime(fmt), "x", "", ""),
        svc.getAgentTimes(key, start.strftime(fmt), now.strftime(fmt), "", "nosuchqueue"),
        svc.getAgentTimes(key, start.strftime(fmt), now.strftime(fmt), "nobody", ""),
        svc.getAgentTimes(key, now.strftime(fmt), start.strftime(fmt), "", ""),
    ]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
