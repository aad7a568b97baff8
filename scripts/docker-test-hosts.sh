#!/usr/bin/env bash
# The real Docker engines the tests' real cases use (test/support/realDocker.ts), reached the three
# ways the package supports, all on 127.0.0.1:
#   - a unix socket: the engine that already answers (DOCKER_HOST, else /var/run/docker.sock), else a
#     dockerd started here;
#   - ssh://<user>@127.0.0.1:<port>: an sshd started here, with a key generated here, whose sessions
#     reach that same engine (`docker system dial-stdio` with DOCKER_HOST set by sshd);
#   - tcp://127.0.0.1:<port> with --tlsverify: the dockerd started here (when an engine already
#     answered, a second one of its own for this alone), with a CA, a server and a client
#     certificate generated here.
#
#   scripts/docker-test-hosts.sh start <dir>   starts them, prints the `export TEST_DOCKER_...` lines
#                                              the tests read (eval them); everything lives in <dir>
#   scripts/docker-test-hosts.sh stop <dir>    stops what start started and removes <dir>
#
# Missing programs (dockerd, sshd, busybox-static for the test image) are installed from Debian's
# packages (docker.io, openssh-server, busybox-static) when this runs as root with apt-get. Needs
# root for dockerd. What it cannot start it says on stderr; the tests then skip those cases (or fail,
# under CREATIO_TEST_REQUIRE_DOCKER). The dockerd runs without iptables rules or a bridge: the test
# containers need no network.
set -euo pipefail

say() { echo "docker-test-hosts: $*" >&2; }

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# Whether an engine answers at $1 (the docker CLI comes with docker.io).
answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker -H "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

wait_for() { # seconds, description, command...
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    if "$@"; then return 0; fi
    sleep 0.25
  done
  say "$what did not come up within ${seconds} s"
  return 1
}

start() {
  local dir=$1
  mkdir -p "$dir"
  local existing="${DOCKER_HOST:-unix:///var/run/docker.sock}"
  local socket_host=""
  if [[ "$existing" == unix://* ]] && answers "$existing"; then
    socket_host=$existing
    say "using the engine that answers at $existing for the socket and ssh cases"
  fi

  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [[ -x /bin/busybox || -x /usr/bin/busybox ]] || missing+=(busybox-static)
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      say "installing ${missing[*]}"
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    else
      say "missing ${missing[*]} and cannot install them (needs root and apt-get)"
    fi
  fi

  # Certificates for the TLS engine: a CA, the engine's (for 127.0.0.1) and a client's, as
  # `docker --tlsverify` uses them (DOCKER_CERT_PATH holds ca.pem, cert.pem, key.pem).
  local tls=$dir/tls
  mkdir -p "$tls/server" "$tls/client"
  (
    cd "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=creatio-identity test CA" -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" -keyout server/key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile server.ext -out server/cert.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=client" -keyout client/key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile client.ext -out client/cert.pem 2>/dev/null
    cp ca.pem server/ca.pem
    cp ca.pem client/ca.pem
  )

  local tls_port=""
  if command -v dockerd >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    tls_port=$(free_port)
    local hosts=(--host "tcp://127.0.0.1:$tls_port")
    # The socket: the tests' own engine when none answered, else only this script's (for the wait below).
    hosts+=(--host "unix://$dir/docker.sock")
    dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" "${hosts[@]}" \
      --tlsverify --tlscacert "$tls/server/ca.pem" --tlscert "$tls/server/cert.pem" --tlskey "$tls/server/key.pem" \
      --iptables=false --ip6tables=false --bridge=none >"$dir/dockerd.log" 2>&1 &
    if wait_for 30 "dockerd (log: $dir/dockerd.log)" answers "unix://$dir/docker.sock"; then
      [[ -n "$socket_host" ]] || socket_host="unix://$dir/docker.sock"
    else
      tail -20 "$dir/dockerd.log" >&2 || true
      tls_port=""
    fi
  else
    say "no dockerd started (needs root and dockerd): the TLS case has no engine"
  fi

  # sshd for ssh://<user>@127.0.0.1:<port>: key login only, its sessions pointed at the socket engine.
  local ssh_port="" user
  user=$(id -un)
  if [[ -n "$socket_host" && -x /usr/sbin/sshd && $(id -u) -eq 0 ]]; then
    local sshdir=$dir/ssh
    mkdir -p "$sshdir" /run/sshd
    ssh-keygen -q -t ed25519 -N "" -C "creatio-identity test host" -f "$sshdir/host_key"
    ssh-keygen -q -t ed25519 -N "" -C "creatio-identity test client" -f "$sshdir/id_ed25519"
    cp "$sshdir/id_ed25519.pub" "$sshdir/authorized_keys"
    ssh_port=$(free_port)
    echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1,2 "$sshdir/host_key.pub")" >"$sshdir/known_hosts"
    cat >"$sshdir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $ssh_port
HostKey $sshdir/host_key
PidFile $sshdir/sshd.pid
AuthorizedKeysFile $sshdir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=$socket_host
EOF
    /usr/sbin/sshd -f "$sshdir/sshd_config" -E "$sshdir/sshd.log"
    if ! wait_for 10 "sshd (log: $sshdir/sshd.log)" test -s "$sshdir/sshd.pid"; then ssh_port=""; fi
  else
    say "no sshd started (needs root, sshd and a socket engine): the ssh case has no engine"
  fi

  [[ -n "$socket_host" ]] && echo "export TEST_DOCKER_HOST=$socket_host"
  if [[ -n "$ssh_port" ]]; then
    echo "export TEST_DOCKER_SSH_HOST=ssh://$user@127.0.0.1:$ssh_port"
    echo "export TEST_DOCKER_SSH_OPTS='-i $dir/ssh/id_ed25519 -o IdentitiesOnly=yes -o UserKnownHostsFile=$dir/ssh/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes'"
  fi
  if [[ -n "$tls_port" ]]; then
    echo "export TEST_DOCKER_TLS_HOST=tcp://127.0.0.1:$tls_port"
    echo "export TEST_DOCKER_TLS_CERT_PATH=$tls/client"
  fi
}

stop_pid() { # pidfile, seconds
  [[ -s "$1" ]] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $(($2 * 4))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  local dir=$1
  [[ -d "$dir" ]] || return 0
  stop_pid "$dir/ssh/sshd.pid" 5
  stop_pid "$dir/dockerd.pid" 30
  # Whatever dockerd left mounted under its data root, then the folder.
  grep -o " $dir/[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:?usage: $0 start <dir>}" ;;
  stop) stop "${2:?usage: $0 stop <dir>}" ;;
  *)
    echo "usage: $0 start|stop <dir>" >&2
    exit 2
    ;;
esac
