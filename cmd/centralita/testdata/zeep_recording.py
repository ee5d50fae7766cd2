#!/usr/bin/python3
"""Calls recordingPbx through zeep, from the served WSDL.

Usage: /usr/bin/python3 zeep_recording.py WSDL_URL ACCESS_KEY UNIQUEID

Prints one JSON object: for the uniqueid given, for an unknown one and with a
bad key, the status and uniqueid attributes of <recording>, and the SHA-256
and length of the Base64-decoded audio. The Go test
TestRecordingFacadesEndToEnd asserts them.
"""

import base64
import hashlib
import json
import sys
import xml.etree.ElementTree as ET

import zeep


def recording(svc, key, uid):
    text = svc.recordingPbx(key, uid)
    rec = ET.fromstring(text.encode("utf-8")).find("recording")
    audio = base64.b64decode(rec.text or "")
    return {
        "status": rec.get("status"),
        "uniqueid": rec.get("uniqueid"),
        "encoding": rec.get("encoding"),
        "sha256": hashlib.sha256(audio).hexdigest(),
        "bytes": len(audio),
    }


def main():
    wsdl, key, uid = sys.argv[1:4]
    svc = zeep.Client(wsdl).service
    print(json.dumps({
        "known": recording(svc, key, uid),
        "unknown": recording(svc, key, "999999.1"),
        "bad_key": recording(svc, "0" * 32, uid),
    }))


if __name__ == "__main__":
    main()
