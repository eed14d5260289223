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
# N consecutive free TCP ports on 127.0.0.1; prints the first. Ports and their cluster bus ports (+10000) stay
# below the kernel's ephemeral range (ip_local_port_range), where the outgoing connections of tests running
# alongside could take one between this check and the server's bind.
free_ports() {
    /usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    lo = 32768
top = max(lo - 10000 - n, 12000)
for _ in range(200):
    base = random.randint(10000, top)  # and the cluster bus (port + 10000) below the ephemeral range
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
# A process that has exited but not been reaped yet (a zombie: its parent, here often PID 1 of a container,
# reaps late) is not alive.
alive() { kill -0 "$1" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }
json_field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
