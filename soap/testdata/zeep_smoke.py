#!/usr/bin/python3
"""Smoke test of the apiws SOAP server with zeep, a third-party SOAP client.

Usage: /usr/bin/python3 zeep_smoke.py WSDL_URL ACCESS_KEY

Loads the WSDL from WSDL_URL, calls the operations the Go test TestZeepClient
registers (see soap/zeep_test.go) and prints the results as one JSON object.
Faults are reported as {"code": ..., "message": ...} instead of raising.
"""

import json
import sys

import zeep
from zeep.exceptions import Fault


def fault_of(call):
    try:
        call()
    except Fault as f:
        return {"code": str(f.code), "message": f.message}
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: zeep_smoke.py WSDL_URL ACCESS_KEY")
    wsdl_url, key = sys.argv[1], sys.argv[2]
    client = zeep.Client(wsdl_url)
    svc = client.service
    out = {"zeep": zeep.__version__, "address": svc._binding_options["address"]}

    # Keyword arguments, as most zeep users write them.
    out["originateCall"] = svc.originateCall(
        authorizedKey=key, src="701", srcCallerID="Juan Perez", dst="927126666",
        dstCallerID="Netgate", timeout=20, callinfo="01-43-1")
    # Positional arguments, in the WSDL's order.
    out["originateCallStatus"] = svc.originateCallStatus(key, out["originateCall"])
    out["originateCallStatusBadKey"] = svc.originateCallStatus("bad-" + key, "e68af1aa")
    out["loginAgent"] = svc.loginAgent(key, "admin", "803")
    out["loginAgentBadKey"] = svc.loginAgent("bad-" + key, "admin", "803")
    out["extensionPbx"] = svc.extensionPbx(key)
    # The documented key-less form (spec A4): authorizedKey is left out.
    out["queueData"] = svc.queueData(
        Cola="q_ven", Agente="", FechaInicio="2012-05-02 00:00:00", FechaFin="2012-05-03 00:00:00")
    out["recordingPbxBadKey"] = svc.recordingPbx("bad-" + key, "12548543.8")
    out["sendSms"] = svc.sendSms(key, 0, "hola", "099123456")
    out["cdrDataFault"] = fault_of(lambda: svc.cdrData(key, "", "not a date", "2012-04-02 00:00:00"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
