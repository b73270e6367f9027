#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, from Debian's packages (containerd, runc,
# containernetworking-plugins, etcd) and the kubelet, kube-proxy, kube-scheduler,
# kube-controller-manager, kube-apiserver and kubectl that setup-test-env.sh builds from Debian's
# `kubernetes` source. Needs root. Every command is idempotent and holds a lock, so concurrent
# callers (several test JVMs) wait for each other.
#
#   cluster.sh containerd-up   containerd with its CRI plugin, the pause and busybox images imported
#   cluster.sh up              the whole node (starts containerd too); prints the admin kubeconfig
#                              path; a second `up` reuses a healthy cluster and restarts only what died
#   cluster.sh down            deletes every pod, stops all components, removes KUBE-* chains,
#                              cni0 and the kubelet's mounts, turns route_localnet off again;
#                              keeps the imported images
#   cluster.sh status          one line per component; exit 0 only when the node is Ready
#   cluster.sh kubeconfig      prints the admin kubeconfig path
#   cluster.sh ctr ARGS...     ctr on this cluster's containerd, namespace k8s.io
#                              (e.g. `cluster.sh ctr images import image.tar`)
#   cluster.sh names           the named clusters that exist (one a line)
#   cluster.sh address         a named cluster's own address, 10.220.0.I on the loopback interface:
#                              where its organisation's ingress listens; every pod of every cluster
#                              reaches it (pods cannot reach the host's 127.0.0.0/8)
#
# Several independent clusters on one machine: `cluster.sh --name NAME COMMAND` (or
# FLOTILLA_CLUSTER_NAME=NAME, which bin/lib/images.sh passes on) works on the cluster NAME
# ([a-z][a-z0-9-]{0,19}, e.g. coordinator, hospital-a), with its own etcd, API server, kubelet and
# containerd, state under /var/lib/flotilla/clusters/NAME and sockets under /run/flotilla-cluster-NAME.
# Without a name it is the single cluster described above, unchanged. Each named cluster gets an
# index I (1-8, kept in its state): ports 20I43 (API server), 20I79/20I80 (etcd), 20I50/20I48
# (kubelet, its healthz), 20I57/20I59 (controller-manager, scheduler); pods 10.(200+I).0.0/16 on
# bridge flcni<I>; Services 10.(210+I).0.0/16; node flotilla-NAME; kubelet cgroups under /flotilla-NAME.
# Named clusters run no kube-proxy (its KUBE-* chains are one per machine, and two would overwrite
# each other): only the `kubernetes` Service works there, through a DNAT of their own (chain
# FLOTILLA-K8S-I), which is what in-cluster clients (the controller) need; pods reach everything
# else by address (hostAliases). The kubelet and containerd of a named cluster share a mount
# namespace in which /var/log/pods, /var/log/containers and /run/netns are the cluster's own: a
# kubelet removes every pod log directory of pods it does not know, so shared ones would lose
# the other clusters' logs.
#
# Paths: state (PKI, kubeconfigs, etcd, kubelet, images) under FLOTILLA_CLUSTER_DIR
# (default /var/lib/flotilla/cluster), logs of each component in <state>/logs/<component>.log,
# sockets and pid files under /run/flotilla-cluster. The settings that matter here (no systemd,
# cgroup v1, root without CAP_SYS_RESOURCE) are in /work/shared/notes/real-node.md and below.
set -euo pipefail

# shellcheck source=bin/lib/kubernetes-binaries.sh
. "$(dirname "${BASH_SOURCE[0]}")/kubernetes-binaries.sh"

CLUSTER_NAME="${FLOTILLA_CLUSTER_NAME:-}"
PAUSE_IMAGE=localhost/flotilla/pause:1
BUSYBOX_IMAGE=localhost/flotilla/busybox:1
# the API server's identity towards the kubelet (logs, exec, port-forward): its client certificate's CN
KUBELET_CLIENT_USER=kube-apiserver-kubelet-client
CLUSTERS_ROOT=/var/lib/flotilla/clusters
MAX_NAMED=8

# The single cluster's settings, as before named clusters existed.
configure_single() {
  STATE="${FLOTILLA_CLUSTER_DIR:-/var/lib/flotilla/cluster}"
  RUN=/run/flotilla-cluster
  NODE_NAME=flotilla-node
  POD_CIDR=10.88.0.0/16
  SERVICE_CIDR=10.96.0.0/16
  KUBERNETES_SERVICE_IP=10.96.0.1
  APISERVER_PORT=6443
  ETCD_CLIENT_PORT=12379
  ETCD_PEER_PORT=12380
  KUBELET_PORT=10250
  KUBELET_HEALTHZ_PORT=10248
  CONTROLLER_MANAGER_PORT=10257
  SCHEDULER_PORT=10259
  BRIDGE=cni0
  CNI_NETWORK=flotilla
  CGROUP_ROOT=/
  RUN_KUBE_PROXY=1
  ORGANISATION_ADDRESS=
  configure_paths
}

# A named cluster's settings, all derived from its index.
configure_named() {
  local index="$1"
  STATE="$CLUSTERS_ROOT/$CLUSTER_NAME"
  RUN="/run/flotilla-cluster-$CLUSTER_NAME"
  NODE_NAME="flotilla-$CLUSTER_NAME"
  POD_CIDR="10.$((200 + index)).0.0/16"
  SERVICE_CIDR="10.$((210 + index)).0.0/16"
  KUBERNETES_SERVICE_IP="10.$((210 + index)).0.1"
  local base=$((20000 + index * 100))
  APISERVER_PORT=$((base + 43))
  ETCD_CLIENT_PORT=$((base + 79))
  ETCD_PEER_PORT=$((base + 80))
  KUBELET_PORT=$((base + 50))
  KUBELET_HEALTHZ_PORT=$((base + 48))
  CONTROLLER_MANAGER_PORT=$((base + 57))
  SCHEDULER_PORT=$((base + 59))
  BRIDGE="flcni$index"
  CNI_NETWORK="flotilla-$CLUSTER_NAME"
  CGROUP_ROOT="/flotilla-$CLUSTER_NAME"
  RUN_KUBE_PROXY=0
  K8S_SERVICE_CHAIN="FLOTILLA-K8S-$index"
  ORGANISATION_ADDRESS="10.220.0.$index"
  configure_paths
}

configure_paths() {
  LOGS="$STATE/logs"
  PKI="$STATE/pki"
  CONTAINERD_SOCK="$RUN/containerd/containerd.sock"
  KUBECONFIG_ADMIN="$STATE/admin.kubeconfig"
}

# The index of the named cluster: kept in its state, else (allocate=1) the lowest one no other named
# cluster holds, chosen under a machine-wide lock. Prints nothing when the cluster does not exist.
named_index() {
  local allocate="$1" file="$CLUSTERS_ROOT/$CLUSTER_NAME/index"
  if [ -f "$file" ]; then cat "$file"; return 0; fi
  [ "$allocate" = 1 ] || return 0
  mkdir -p "$CLUSTERS_ROOT"
  (
    flock 8
    [ -f "$file" ] && { cat "$file"; exit 0; }
    local i
    for i in $(seq 1 "$MAX_NAMED"); do
      if ! grep -qx "$i" "$CLUSTERS_ROOT"/*/index 2>/dev/null; then
        mkdir -p "$CLUSTERS_ROOT/$CLUSTER_NAME" && echo "$i" >"$file" && echo "$i" && exit 0
      fi
    done
    echo "[cluster] error: already $MAX_NAMED named clusters (see cluster.sh names)" >&2; exit 1
  ) 8>"$CLUSTERS_ROOT/.index.lock"
}

configure() {
  local command="$1"
  if [ -z "$CLUSTER_NAME" ]; then configure_single; return 0; fi
  [[ "$CLUSTER_NAME" =~ ^[a-z][a-z0-9-]{0,19}$ ]] || die "cluster name '$CLUSTER_NAME': want [a-z][a-z0-9-]{0,19}"
  local allocate=0 index
  case "$command" in up|containerd-up) allocate=1 ;; esac
  index=$(named_index "$allocate")
  # a name never brought up: its commands find nothing running (index 0 is no cluster's)
  configure_named "${index:-0}"
  [ -n "$index" ] || ORGANISATION_ADDRESS=
}

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

log() { echo "[cluster $(date -u +%H:%M:%S)] $*" >&2; }
die() { echo "[cluster] error: $*" >&2; exit 1; }

kubectl_admin() { "$K8S_OUT/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# Polls a command until it succeeds; fails naming what it waited for and the log to read.
wait_for() {
  local seconds="$1" what="$2" logfile="$3"; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      [ -f "$logfile" ] && tail -n 20 "$logfile" >&2
      die "$what not ready after ${seconds}s (log: $logfile)"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- processes

pid_of() {
  local pidfile="$RUN/$1.pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  # the pid must still be the binary started under that name (pids are reused)
  local argv0
  argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n1) || return 1
  [ "${argv0##*/}" = "${2##*/}" ] || return 1
  echo "$pid"
}

is_running() { pid_of "$1" "$2" >/dev/null; }

# start_daemon NAME BINARY ARGS...: runs BINARY in its own session, log truncated at each start.
start_daemon() {
  local name="$1"; shift
  is_running "$name" "$1" && return 0
  log "starting $name (log: $LOGS/$name.log)"
  # fd 9 is the lock: a daemon holding it would block every later command
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.pid"
}

# A named cluster's containerd and kubelet run in its mount namespace, held by a sleeping process
# (so that a restarted containerd joins the kubelet's): /var/log/pods, /var/log/containers and
# /run/netns there are the cluster's own (the kubelet removes log directories of pods it does not
# know). Private propagation: the kubelet's volume mounts stay inside and end with the namespace.
mountns_up() {
  [ -n "$CLUSTER_NAME" ] || return 0
  is_running mountns sleep && return 0
  mkdir -p "$STATE/pod-logs" "$STATE/container-logs" /var/log/pods /var/log/containers /run/netns
  log "starting the mount namespace (log: $LOGS/mountns.log)"
  setsid unshare --mount --propagation private -- sh -c 'mount --bind "$1" /var/log/pods &&
    mount --bind "$2" /var/log/containers && mount -t tmpfs -o mode=755 flotilla-netns /run/netns &&
    exec sleep infinity' sh "$STATE/pod-logs" "$STATE/container-logs" >"$LOGS/mountns.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/mountns.pid"
  wait_for 10 "the mount namespace" "$LOGS/mountns.log" mountns_ready
}

mountns_ready() {
  local pid
  pid=$(pid_of mountns sleep) && [ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
}

# start_node_daemon NAME BINARY ARGS...: start_daemon, in the named cluster's mount namespace if any.
start_node_daemon() {
  local name="$1"; shift
  if [ -z "$CLUSTER_NAME" ]; then start_daemon "$name" "$@"; return 0; fi
  is_running "$name" "$1" && return 0
  local holder
  holder=$(pid_of mountns sleep) || die "the mount namespace of cluster $CLUSTER_NAME is not running"
  log "starting $name in the cluster's mount namespace (log: $LOGS/$name.log)"
  setsid nsenter --mount="/proc/$holder/ns/mnt" -- "$@" >"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.pid"
}

stop_daemon() {
  local name="$1" binary="$2" pid
  if pid=$(pid_of "$name" "$binary"); then
    log "stopping $name ($pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$RUN/$name.pid"
}

# ---------------------------------------------------------------- containerd and images

write_containerd_config() {
  mkdir -p "$STATE/containerd" "$STATE/cni/net.d" "$STATE/cni/networks" "$RUN/containerd"
  cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root lacks CAP_SYS_RESOURCE here: without this every sandbox fails with
  # "can't get final child's PID from pipe: EOF"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # PID 1 is not systemd: cgroupfs, as the kubelet
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
  cat >"$STATE/cni/net.d/10-flotilla.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$STATE/cni/networks"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

# An image from Debian's statically linked busybox: every applet linked in /bin. The pause
# (sandbox) image is the same root file system running `sleep infinity`. Written as a
# docker-archive (manifest.json, config, one layer) that `ctr images import` reads.
import_busybox_image() {
  local ref="$1" config_json="$2"
  ctr_k8s images ls -q "name==$ref" | grep -q . && return 0
  local work
  work=$(mktemp -d)
  mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/image"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$work/rootfs/bin/$applet"
  done
  chmod 1777 "$work/rootfs/tmp"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
  local diff_id
  diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir -p "$work/image/$diff_id"
  mv "$work/layer.tar" "$work/image/$diff_id/layer.tar"
  jq -n --argjson config "$config_json" --arg diff "sha256:$diff_id" \
    '{architecture: "amd64", os: "linux", config: $config, rootfs: {type: "layers", diff_ids: [$diff]}}' \
    >"$work/config.json"
  local config_id
  config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/image/$config_id.json"
  jq -n --arg config "$config_id.json" --arg ref "$ref" --arg layer "$diff_id/layer.tar" \
    '[{Config: $config, RepoTags: [$ref], Layers: [$layer]}]' >"$work/image/manifest.json"
  tar -C "$work/image" -cf "$work/image.tar" .
  log "importing $ref (busybox-static)"
  ctr_k8s images import "$work/image.tar" >/dev/null
  rm -rf "$work"
}

containerd_up() {
  for binary in containerd runc /usr/lib/cni/bridge /bin/busybox jq; do
    command -v "$binary" >/dev/null || die "$binary missing: run bin/flotilla test (or bin/lib/setup-test-env.sh)"
  done
  mkdir -p "$LOGS" "$RUN"
  # forwarding between the pod bridge and the host; bridged traffic through iptables, so a
  # Service's DNAT is undone on replies between two pods of the same bridge
  sysctl -qw net.ipv4.ip_forward=1
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null || true
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && sysctl -qw net.bridge.bridge-nf-call-iptables=1
  mountns_up
  if ! is_running containerd containerd; then
    write_containerd_config
    start_node_daemon containerd containerd --config "$STATE/containerd/config.toml"
  fi
  wait_for 30 containerd "$LOGS/containerd.log" ctr --address "$CONTAINERD_SOCK" version
  import_busybox_image "$PAUSE_IMAGE" '{"Entrypoint": ["/bin/sleep", "infinity"]}'
  import_busybox_image "$BUSYBOX_IMAGE" '{"Cmd": ["/bin/sh"]}'
}

# ---------------------------------------------------------------- PKI and kubeconfigs

host_ip() {
  ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit }}'
}

# issue_cert NAME SUBJECT [SUBJECT_ALT_NAMES]: a certificate of this cluster's CA, kept until the
# subject or names change (the host's address can).
issue_cert() {
  local name="$1" subject="$2" sans="${3:-}"
  local want="$subject|$sans"
  if [ -f "$PKI/$name.crt" ] && [ "$(cat "$PKI/$name.req" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  local ext="extendedKeyUsage=clientAuth"
  [ -n "$sans" ] && ext="extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$sans"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subject" \
    -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -out "$PKI/$name.crt" -extfile <(printf 'keyUsage=critical,digitalSignature,keyEncipherment\n%s\n' "$ext") 2>/dev/null
  rm -f "$PKI/$name.csr"
  echo "$want" >"$PKI/$name.req"
}

write_kubeconfig() {
  local file="$1" cert="$2"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: flotilla
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $cert
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$cert.crt")
    client-key-data: $(base64 -w0 "$PKI/$cert.key")
contexts:
- name: flotilla
  context: {cluster: flotilla, user: $cert, namespace: default}
current-context: flotilla
EOF
  chmod 600 "$file"
}

make_pki() {
  local ip="$1"
  mkdir -p "$PKI" && chmod 700 "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
      -days 3650 -subj "/CN=flotilla-cluster-ca" 2>/dev/null
  fi
  [ -f "$PKI/sa.key" ] || openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  issue_cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:$ip,IP:$KUBERNETES_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # no system:masters: the kubelet lets this identity in through the binding of grant_kubelet_api_access
  issue_cert apiserver-kubelet-client "/CN=$KUBELET_CLIENT_USER"
  issue_cert admin "/O=system:masters/CN=flotilla-admin"
  issue_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  issue_cert kube-proxy "/CN=system:kube-proxy"
  issue_cert kube-scheduler "/CN=system:kube-scheduler"
  issue_cert kube-controller-manager "/CN=system:kube-controller-manager"
  local component
  for component in admin kubelet kube-proxy kube-scheduler kube-controller-manager; do
    write_kubeconfig "$STATE/$component.kubeconfig" "$component"
  done
}

# ---------------------------------------------------------------- the control plane and the node

# Writes the kubelet's configuration; a running kubelet started with another one is stopped, so that
# start_node starts it with this one (its pods keep running under containerd meanwhile).
write_kubelet_config() {
  local config="$STATE/kubelet-config.yaml"
  cat >"$config.new" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# PID 1 is not systemd; the machine may have swap
cgroupDriver: cgroupfs
failSwapOn: false
port: $KUBELET_PORT
healthzPort: $KUBELET_HEALTHZ_PORT
# pods' cgroups under <cgroupRoot>/kubepods: one tree per cluster on this machine
cgroupRoot: $CGROUP_ROOT
# the kubelet listens on *:$KUBELET_PORT and every component's certificate is of the cluster CA: each request
# is authenticated (certificate or bearer token, TokenReview) and authorized by the API server
# (SubjectAccessReview on nodes/proxy, nodes/log, ...; the Node authorizer lets system:nodes create both)
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: Webhook}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# a shared development disk is often fuller than the defaults allow: evict only when nearly full,
# and never collect the images imported here (there is no registry to pull them back from)
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", imagefs.available: "2%", nodefs.inodesFree: "2%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# the node turns Ready at its first status update after registering: 2 s instead of 10 s
nodeStatusUpdateFrequency: 2s
EOF
  if ! cmp -s "$config.new" "$config"; then
    stop_daemon kubelet "$K8S_NODE_OUT/kubelet"
  fi
  mv "$config.new" "$config"
}

# The kubelet authorizes the API server's requests (pod logs, exec, port-forward) by SubjectAccessReview:
# its kubelet-client identity gets the built-in system:kubelet-api-admin role (nodes/proxy, log, stats, ...).
grant_kubelet_api_access() {
  kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: flotilla:kube-apiserver-kubelet-api-admin
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: $KUBELET_CLIENT_USER}
EOF
}

start_control_plane() {
  local ip="$1"
  mkdir -p "$STATE/etcd"
  start_daemon etcd etcd --name flotilla --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "flotilla=http://127.0.0.1:$ETCD_PEER_PORT"
  wait_for 30 etcd "$LOGS/etcd.log" sh -c "curl -fsS http://127.0.0.1:$ETCD_CLIENT_PORT/health | grep -q true"
  # beyond 127.0.0.1 and advertised on the host's address: pods reach it through the
  # kubernetes Service; ServiceAccount admission stays on (a default plugin) for in-cluster clients
  start_daemon kube-apiserver "$K8S_OUT/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address 0.0.0.0 --secure-port "$APISERVER_PORT" --advertise-address "$ip" --insecure-port 0 \
    --service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged=true \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction
  wait_for 60 kube-apiserver "$LOGS/kube-apiserver.log" kubectl_admin get --raw /readyz
  grant_kubelet_api_access
  start_daemon kube-controller-manager "$K8S_NODE_OUT/kube-controller-manager" \
    --kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --port 0 --secure-port "$CONTROLLER_MANAGER_PORT" --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR"
  start_daemon kube-scheduler "$K8S_NODE_OUT/kube-scheduler" \
    --kubeconfig "$STATE/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/kube-scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --port 0 --secure-port "$SCHEDULER_PORT" --leader-elect=false
}

# The v1 hierarchies' <cgroupRoot> must exist before the kubelet starts (it checks); cpuset needs
# its cpus and mems set before anything joins.
make_cgroup_root() {
  [ "$CGROUP_ROOT" = / ] && return 0
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/; do
    [ "${hierarchy%/}" = /sys/fs/cgroup/unified ] && continue
    mkdir -p "$hierarchy${CGROUP_ROOT#/}"
  done
  if [ -d "/sys/fs/cgroup/cpuset$CGROUP_ROOT" ]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset$CGROUP_ROOT/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset$CGROUP_ROOT/cpuset.mems"
  fi
}

remove_cgroup_root() {
  [ "$CGROUP_ROOT" = / ] && return 0
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/; do
    [ -d "$hierarchy${CGROUP_ROOT#/}" ] || continue
    find "$hierarchy${CGROUP_ROOT#/}" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# A named cluster has no kube-proxy: its `kubernetes` Service (what in-cluster clients dial) is one
# DNAT of its own to the API server.
kubernetes_service_dnat() {
  local ip="$1" hook
  [ "$RUN_KUBE_PROXY" = 1 ] && return 0
  iptables -t nat -N "$K8S_SERVICE_CHAIN" 2>/dev/null || iptables -t nat -F "$K8S_SERVICE_CHAIN"
  iptables -t nat -A "$K8S_SERVICE_CHAIN" -d "$KUBERNETES_SERVICE_IP/32" -p tcp --dport 443 \
    -j DNAT --to-destination "$ip:$APISERVER_PORT"
  for hook in PREROUTING OUTPUT; do
    iptables -t nat -C "$hook" -j "$K8S_SERVICE_CHAIN" 2>/dev/null || iptables -t nat -I "$hook" -j "$K8S_SERVICE_CHAIN"
  done
}

# A named cluster's own address on lo: a host address (not 127.0.0.0/8), so pods reach it.
add_organisation_address() {
  [ -n "$ORGANISATION_ADDRESS" ] || return 0
  ip -4 addr show dev lo | grep -q " $ORGANISATION_ADDRESS/32 " || ip addr add "$ORGANISATION_ADDRESS/32" dev lo
}

remove_organisation_address() {
  [ -n "$ORGANISATION_ADDRESS" ] || return 0
  ip addr del "$ORGANISATION_ADDRESS/32" dev lo 2>/dev/null || true
}

remove_kubernetes_service_dnat() {
  [ "$RUN_KUBE_PROXY" = 1 ] && return 0
  local hook
  for hook in PREROUTING OUTPUT; do
    while iptables -t nat -D "$hook" -j "$K8S_SERVICE_CHAIN" 2>/dev/null; do :; done
  done
  iptables -t nat -F "$K8S_SERVICE_CHAIN" 2>/dev/null || true
  iptables -t nat -X "$K8S_SERVICE_CHAIN" 2>/dev/null || true
}

start_node() {
  local ip="$1"
  write_kubelet_config
  mkdir -p "$STATE/kubelet"
  make_cgroup_root
  kubernetes_service_dnat "$ip"
  add_organisation_address
  start_node_daemon kubelet "$K8S_NODE_OUT/kubelet" --config "$STATE/kubelet-config.yaml" \
    --kubeconfig "$STATE/kubelet.kubeconfig" --root-dir "$STATE/kubelet" --cert-dir "$STATE/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$ip" \
    --container-runtime remote --container-runtime-endpoint "unix://$CONTAINERD_SOCK" \
    --pod-infra-container-image "$PAUSE_IMAGE"
  [ "$RUN_KUBE_PROXY" = 1 ] || return 0
  # iptables mode; conntrack limits left as the host has them (sysctls are read-only here)
  start_daemon kube-proxy "$K8S_NODE_OUT/kube-proxy" --kubeconfig "$STATE/kube-proxy.kubeconfig" \
    --hostname-override "$NODE_NAME" --proxy-mode iptables --cluster-cidr "$POD_CIDR" \
    --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0 \
    --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256
}

node_ready() {
  [ "$(kubectl_admin --request-timeout 5s get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

require_binaries() {
  local binary
  for binary in "${API_BINARIES[@]}"; do
    [ -x "$K8S_OUT/$binary" ] || die "$K8S_OUT/$binary missing: run bin/flotilla test (or bin/lib/setup-test-env.sh)"
  done
  for binary in "${NODE_BINARIES[@]}"; do
    [ -x "$K8S_NODE_OUT/$binary" ] || die "$K8S_NODE_OUT/$binary missing: run bin/flotilla test (or bin/lib/setup-test-env.sh)"
  done
  for binary in etcd conntrack iptables; do
    command -v "$binary" >/dev/null || die "$binary missing: run bin/flotilla test (or bin/lib/setup-test-env.sh)"
  done
}

cluster_up() {
  require_binaries
  local ip
  ip=$(host_ip)
  [ -n "$ip" ] || die "no IPv4 address with a route: the API server needs one that pods can reach"
  containerd_up
  make_pki "$ip"
  start_control_plane "$ip"
  start_node "$ip"
  wait_for 90 "node $NODE_NAME Ready" "$LOGS/kubelet.log" node_ready
  [ "$RUN_KUBE_PROXY" = 1 ] && wait_for 30 "kube-proxy" "$LOGS/kube-proxy.log" curl -fsS http://127.0.0.1:10256/healthz
  # pods are refused until the namespace's default ServiceAccount exists
  wait_for 60 "the default ServiceAccount" "$LOGS/kube-controller-manager.log" \
    kubectl_admin get serviceaccount default -n default
  echo "$KUBECONFIG_ADMIN"
}

# ---------------------------------------------------------------- tear-down

delete_all_pods() {
  kubectl_admin get --raw /readyz >/dev/null 2>&1 || return 0
  is_running kubelet kubelet || return 0
  # The cluster is going away: the pods leave the API at once, and the kubelet, still running,
  # stops their containers and sandboxes (networks, volumes) within seconds (2 s of grace);
  # a graceful delete waited 10-25 s more for the kubelet's status round trips.
  log "deleting every pod (the kubelet stops their containers and networks)"
  kubectl_admin delete pods --all --all-namespaces --force --grace-period 0 >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 60))
  while [ -n "$(running_pod_tasks)" ]; do
    [ $SECONDS -ge $deadline ] && { log "the kubelet left pods running after 60 s: removing them"; break; }
    sleep 0.5
  done
}

# Running tasks of the kubelet's containers and sandboxes (CRI labels them), not those that
# someone started with `ctr run` in the same namespace.
running_pod_tasks() {
  comm -12 <(ctr_k8s containers ls -q 'labels."io.cri-containerd.kind"' 2>/dev/null | sort) \
    <(ctr_k8s tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING" {print $1}' | sort)
}

# Whatever the kubelet did not stop, and containers started with `ctr run`: tasks, containers,
# network namespaces and shims of this containerd only (shims name its socket on their command line).
remove_leftover_containers() {
  if ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
    local id
    for id in $(ctr_k8s tasks ls -q 2>/dev/null); do
      ctr_k8s tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
      ctr_k8s tasks delete -f "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr_k8s containers ls -q 2>/dev/null); do
      ctr_k8s containers delete "$id" >/dev/null 2>&1 || true
    done
  fi
}

kill_leftover_shims() {
  local proc pid
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    if tr '\0' ' ' 2>/dev/null <"$proc/cmdline" | grep -q "containerd-shim.*-address $CONTAINERD_SOCK"; then
      log "killing leftover shim $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# Whether a kubelet of another cluster on this machine (single or named) still runs: the KUBE-*
# chains (every kubelet writes the same ones) and portmap's CNI-HOSTPORT chains are then theirs too.
other_kubelet_running() {
  local pidfile pid
  for pidfile in /run/flotilla-cluster*/kubelet.pid; do
    [ -f "$pidfile" ] && [ "${pidfile%/kubelet.pid}" != "$RUN" ] || continue
    pid=$(cat "$pidfile")
    [ "$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n1 | sed 's|.*/||')" = kubelet ] && return 0
  done
  return 1
}

# KUBE-* chains of kube-proxy and the kubelet (unless another cluster's kubelet runs), and CNI
# chains of this network: `kube-proxy --cleanup` needs ipset, which is not installed.
remove_iptables_chains() {
  local table chain rule shared='KUBE-|CNI-HOSTPORT|'
  if other_kubelet_running; then
    log "another cluster's kubelet runs: keeping the KUBE-* and CNI-HOSTPORT chains"
    shared=''
  fi
  for table in nat filter mangle; do
    # (`|| true`: no rule to remove is no failure, under pipefail)
    { iptables -t "$table" -S 2>/dev/null | grep -E -- "^-A .*(${shared}name: \\\\?\"$CNI_NETWORK\\\\?\")" | grep -v -- '^-A KUBE-' || true; } |
      while read -r rule; do
        # shellcheck disable=SC2086
        eval iptables -t "$table" ${rule/-A/-D} 2>/dev/null || true
      done
    [ -n "$shared" ] && for chain in $(iptables -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ {print $2}'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    # a CNI chain goes only once empty, i.e. when it was this network's
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk -v kube="${shared:+KUBE-|}" '$0 ~ "^-N (" kube "CNI-)" {print $2}'); do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

unmount_under() {
  local dir="$1" mountpoint
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r |
    while read -r mountpoint; do umount -l "$mountpoint" 2>/dev/null || true; done
}

cluster_down() {
  # no controller may replace the pods being deleted
  stop_daemon kube-controller-manager kube-controller-manager
  stop_daemon kube-scheduler kube-scheduler
  delete_all_pods
  stop_daemon kube-proxy kube-proxy
  stop_daemon kubelet kubelet
  remove_leftover_containers
  stop_daemon kube-apiserver kube-apiserver
  stop_daemon etcd etcd
  stop_daemon containerd containerd
  kill_leftover_shims
  # a named cluster's netns and kubelet mounts end with its mount namespace
  stop_daemon mountns sleep
  remove_kubernetes_service_dnat
  remove_organisation_address
  local netns
  for netns in /run/netns/cni-*; do
    [ -e "$netns" ] || continue
    umount "$netns" 2>/dev/null || true
    rm -f "$netns"
  done
  remove_iptables_chains
  # kube-proxy turned route_localnet on (NodePorts on 127.0.0.1); the kubelet's KUBE-FIREWALL rule,
  # removed above, was what kept other hosts from reaching 127.0.0.0/8 services through it
  # (CVE-2020-8558), so it goes off with the rule
  if [ "$RUN_KUBE_PROXY" = 1 ]; then
    sysctl -qw net.ipv4.conf.all.route_localnet=0 2>/dev/null \
      || log "warning: cannot turn net.ipv4.conf.all.route_localnet off: 127.0.0.0/8 services stay reachable from this host's neighbours"
  fi
  ip link delete "$BRIDGE" 2>/dev/null || true
  unmount_under "$STATE/kubelet"
  unmount_under "$RUN/containerd"
  remove_cgroup_root
  # the next `up` starts from an empty API and node; images and the PKI stay
  rm -rf "$STATE/etcd" "$STATE/kubelet" "$STATE/cni/networks" "$RUN/containerd" "$STATE/pod-logs" "$STATE/container-logs"
  log "down: nothing of the cluster is running"
}

# ---------------------------------------------------------------- status

cluster_status() {
  local healthy=0 name binary
  local components="containerd:containerd etcd:etcd kube-apiserver:kube-apiserver"
  components+=" kube-controller-manager:kube-controller-manager kube-scheduler:kube-scheduler kubelet:kubelet"
  [ "$RUN_KUBE_PROXY" = 1 ] && components+=" kube-proxy:kube-proxy" || components="mountns:sleep $components"
  for name in $components; do
    binary=${name##*:}; name=${name%%:*}
    if pid=$(pid_of "$name" "$binary"); then
      printf '%-24s running (pid %s)\n' "$name" "$pid"
    else
      printf '%-24s stopped\n' "$name"; healthy=1
    fi
  done
  if [ -f "$KUBECONFIG_ADMIN" ] && node_ready; then
    printf '%-24s Ready (kubeconfig %s)\n' "node $NODE_NAME" "$KUBECONFIG_ADMIN"
  else
    printf '%-24s not Ready\n' "node $NODE_NAME"; healthy=1
  fi
  printf '%-24s %s\n' logs "$LOGS"
  return $healthy
}

with_lock() {
  mkdir -p "$RUN"
  exec 9>"$RUN/cluster.lock"
  flock 9
  "$@"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

# The named clusters that exist, with their index.
list_names() {
  local file
  for file in "$CLUSTERS_ROOT"/*/index; do
    [ -f "$file" ] || continue
    file=${file%/index}
    echo "${file##*/}"
  done
}

main() {
  if [ "${1:-}" = --name ]; then
    [ $# -ge 2 ] || die "--name needs a value"
    CLUSTER_NAME="$2"; shift 2
  fi
  export FLOTILLA_CLUSTER_NAME="$CLUSTER_NAME"
  [ "$(id -u)" -eq 0 ] || [ "${1:-}" = kubeconfig ] || [ "${1:-}" = help ] || [ "${1:-}" = --help ] \
    || die "needs root (containerd, the kubelet and kube-proxy manage cgroups, mounts and iptables)"
  configure "${1:-}"
  case "${1:-}" in
    names) list_names ;;
    address) [ -n "$ORGANISATION_ADDRESS" ] || die "address: only a named cluster that was brought up (--name NAME up) has one"
      echo "$ORGANISATION_ADDRESS" ;;
    containerd-up) with_lock containerd_up ;;
    up) with_lock cluster_up ;;
    down) with_lock cluster_down ;;
    status) cluster_status ;;
    kubeconfig) echo "$KUBECONFIG_ADMIN" ;;
    ctr) shift; ctr_k8s "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
