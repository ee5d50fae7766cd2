#!/usr/bin/env bash
# Prints what the failing tests of a `go test -v` log said: every line
# written while a test that ended in FAIL was running, under its name, then
# package-level failures (panics, build errors). Used by `make test` so a CI
# log shows why a test failed, not only that it did.
set -euo pipefail
log=${1:-.test.log}
awk '
function owner(line,   m) {
	if (match(line, /^ *(=== (RUN|CONT|NAME|PAUSE)|--- (PASS|FAIL|SKIP):) +[^ ]+/)) {
		m = substr(line, RSTART, RLENGTH); sub(/^ *(=== [A-Z]+|--- [A-Z]+:) +/, "", m); return m
	}
	return ""
}
{
	n = owner($0)
	if (n != "") {
		cur = n
		if ($0 ~ /--- FAIL:/) { failed[n] = 1; order[++nf] = n }
		next
	}
	if ($0 ~ /^(ok|FAIL|PASS)( |\t|$)/ || $0 ~ /^panic:|^# |cannot|undefined:/) { pkg[++np] = $0; cur = ""; next }
	if (cur != "") { out[cur] = out[cur] $0 "\n" }
}
END {
	for (i = 1; i <= nf; i++) { n = order[i]; printf "--- FAIL: %s\n%s", n, out[n] }
	for (i = 1; i <= np; i++) if (pkg[i] !~ /^(ok|PASS)/) print pkg[i]
}' "$log"
