# Shared helpers of the launcher tests (sourced). Each test counts checks and prints the closing line
# "NAME: N passed, M failed"; the EXIT trap of the test stops whatever it started.
pass=0
fail=0
check() { # check "what" command...
    local what=$1
    shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}
report() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
# N consecutive free TCP ports on 127.0.0.1; prints the first.
free_ports() {
    /usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randint(20000, 55000 - n)  # the cluster bus (port + 10000) must stay below 65536
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p)); socks.append(s)
            # the cluster bus uses port + 10000
            b = socket.socket(); b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            b.bind(("127.0.0.1", p + 10000)); socks.append(b)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}
alive() { kill -0 "$1" 2>/dev/null; }
json_field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
