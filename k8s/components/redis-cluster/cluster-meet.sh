#!/bin/sh
# Keeps the cluster bus addresses right when pods get new IPs. Runs as the
# `cluster-meet` container beside every redis-server (statefulset.yaml).
#
# Why: Redis Cluster nodes talk to each other by IP only (the hostname they
# announce is for clients). A single pod that restarts with a new IP is
# found again through gossip, but when all pods restart at once (node pool
# upgrade, cluster-wide outage) every nodes.conf lists only stale IPs and
# the nodes can no longer reach one another. So every MEET_INTERVAL seconds:
# once the local node belongs to a cluster (knows more than itself; before
# that the init Job owns the formation and nothing may be MEETed), resolve
# each peer's stable DNS name and CLUSTER MEET any address the local node
# does not know. Redis matches the answering node's ID to the known node and
# just updates its address, so a MEET of a known node is harmless. A pod
# whose volume was lost comes back as a new, empty node: it is MEETed in as
# a master without slots, and a human finishes the replacement
# (CLUSTER FORGET <old id> on every node, CLUSTER REPLICATE <master id>).
set -u

: "${REDIS_STATEFULSET:=sentinel-redis}"
: "${REDIS_SERVICE:=sentinel-redis}"
: "${REDIS_NODES:=6}"
: "${REDIS_PORT:=6379}"
: "${REDIS_BUS_PORT:=16379}"
: "${REDIS_LOCAL_HOST:=127.0.0.1}"
: "${MEET_INTERVAL:=30}"
self="${POD_NAME:?POD_NAME must be set (downward API)}"

# PID 1 ignores SIGTERM without a handler: stop at once at pod deletion.
trap 'exit 0' TERM INT

local_cli() { redis-cli -h "$REDIS_LOCAL_HOST" -p "$REDIS_PORT" "$@"; }

while :; do
  sleep "$MEET_INTERVAL" &
  wait $!
  known=$(local_cli cluster info 2>/dev/null | tr -d '\r' |
    sed -n 's/^cluster_known_nodes://p')
  [ "${known:-0}" -gt 1 ] 2>/dev/null || continue
  nodes=$(local_cli cluster nodes 2>/dev/null) || continue
  i=0
  while [ "$i" -lt "$REDIS_NODES" ]; do
    peer="$REDIS_STATEFULSET-$i"
    i=$((i + 1))
    [ "$peer" != "$self" ] || continue
    ip=$(getent hosts "$peer.$REDIS_SERVICE" 2>/dev/null | awk 'NR == 1 { print $1 }')
    [ -n "$ip" ] || continue
    if ! printf '%s\n' "$nodes" | grep -q " $ip:$REDIS_PORT@"; then
      echo "cluster-meet: $peer is at $ip, not known here: CLUSTER MEET"
      local_cli cluster meet "$ip" "$REDIS_PORT" "$REDIS_BUS_PORT" || true
    fi
  done
done
