#!/bin/sh
# Forms the Redis Cluster of the StatefulSet sentinel-redis once: 3 masters
# and 3 replicas (one per master). Run by the Job sentinel-redis-cluster-init
# (job-cluster-init.yaml), which Kubernetes or a GitOps tool may re-create at
# any time, so every run must be harmless on a cluster that already exists:
#
#   1. wait until every pod resolves (headless Service, not-ready addresses
#      published) and answers PING;
#   2. node 0 reports cluster_state:ok and cluster_known_nodes:6 -> exit 0;
#   3. some node already belongs to a cluster (knows other nodes or owns
#      slots) -> never run `--cluster create` (it would refuse, or worse, a
#      half-made cluster would get a second layout); wait for the cluster to
#      converge, else fail with a message for a human;
#   4. all nodes empty -> `redis-cli --cluster create ... --cluster-replicas 1`.
#
# IPs, not names, go to `--cluster create`: it sends CLUSTER MEET, which
# takes an IP only. The nodes announce their DNS names to clients
# (--cluster-announce-hostname in the StatefulSet), so the IPs used here do
# not need to stay valid.
set -eu

: "${REDIS_STATEFULSET:=sentinel-redis}" # pod name prefix
: "${REDIS_SERVICE:=sentinel-redis}"     # headless Service (DNS subdomain)
: "${REDIS_NODES:=6}"                    # StatefulSet replicas
: "${REDIS_PORT:=6379}"
: "${WAIT_SECONDS:=600}"                 # for the pods, then for convergence

log() { echo "cluster-init: $*"; }

# First address of a DNS name; empty while the name does not resolve.
resolve() { getent hosts "$1" 2>/dev/null | awk 'NR == 1 { print $1 }'; }

# One field of `CLUSTER INFO` on the node at address $1.
info_field() {
  redis-cli -h "$1" -p "$REDIS_PORT" cluster info 2>/dev/null |
    tr -d '\r' | sed -n "s/^$2://p"
}

deadline=$(($(date +%s) + WAIT_SECONDS))
past_deadline() { [ "$(date +%s)" -ge "$deadline" ]; }

# 1. Every node resolves and answers PING.
addrs=""
i=0
while [ "$i" -lt "$REDIS_NODES" ]; do
  host="$REDIS_STATEFULSET-$i.$REDIS_SERVICE"
  until ip=$(resolve "$host") && [ -n "$ip" ] &&
    [ "$(redis-cli -h "$ip" -p "$REDIS_PORT" ping 2>/dev/null | tr -d '\r')" = PONG ]; do
    if past_deadline; then
      log "gave up: $host does not answer PING after ${WAIT_SECONDS}s"
      exit 1
    fi
    log "waiting for $host"
    sleep 2
  done
  log "$host is $ip and answers"
  addrs="$addrs $ip:$REDIS_PORT"
  i=$((i + 1))
done
# shellcheck disable=SC2086 # word splitting wanted: one address each
set -- $addrs
first_ip=${1%:*}

formed() {
  [ "$(info_field "$first_ip" cluster_state)" = ok ] &&
    [ "$(info_field "$first_ip" cluster_known_nodes)" = "$REDIS_NODES" ]
}

# 2. Already formed: nothing to do.
if formed; then
  log "cluster already formed (cluster_state:ok, $REDIS_NODES known nodes)"
  exit 0
fi

# 3. Any node already in a cluster: wait, never create over it.
busy=""
for addr in "$@"; do
  ip=${addr%:*}
  known=$(info_field "$ip" cluster_known_nodes)
  slots=$(info_field "$ip" cluster_slots_assigned)
  if [ "${known:-1}" != 1 ] || [ "${slots:-0}" != 0 ]; then
    busy="$busy $addr(known_nodes=$known,slots=$slots)"
  fi
done
if [ -n "$busy" ]; then
  log "nodes already in a cluster:$busy; waiting for it to converge"
  until formed; do
    if past_deadline; then
      log "gave up: the cluster is not ok; inspect it with"
      log "  redis-cli -h $REDIS_STATEFULSET-0.$REDIS_SERVICE cluster nodes"
      log "  redis-cli --cluster check $REDIS_STATEFULSET-0.$REDIS_SERVICE:$REDIS_PORT"
      log "and fix it by hand (--cluster fix / CLUSTER FORGET / CLUSTER REPLICATE)"
      exit 1
    fi
    sleep 5
  done
  log "cluster formed"
  exit 0
fi

# 4. All nodes empty: create. --cluster-yes answers the layout prompt.
log "creating the cluster:$addrs"
redis-cli --cluster create "$@" --cluster-replicas 1 --cluster-yes
until formed; do
  if past_deadline; then
    log "gave up: cluster created but not ok after ${WAIT_SECONDS}s"
    exit 1
  fi
  sleep 2
done
log "cluster formed"
