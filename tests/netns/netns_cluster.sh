#!/usr/bin/env bash
# Builds (up) or removes (down) a small "cluster" of network namespaces on this machine: one
# namespace per node, each with an eth0 joined to a bridge in a hub namespace, and each node's
# link shaped with tbf in both directions (node egress on eth0, node ingress on the hub side).
# Nothing is created in the calling namespace, so test traffic never leaves the namespaces.
#
#   netns_cluster.sh up   PREFIX RATE_MBIT...   # node i gets 10.97.0.(i+1)/24, namespace PREFIX$i
#   netns_cluster.sh down PREFIX COUNT
set -euo pipefail

action=$1 prefix=$2
shift 2
hub="${prefix}hub"

shape() {  # namespace device rate_mbit
  # A burst of a few jumbo frames keeps TCP at the line rate; 100 ms of queue keeps it from loss.
  ip netns exec "$1" tc qdisc add dev "$2" root tbf rate "$3mbit" burst 128kb latency 100ms
}

case "$action" in
  up)
    ip netns add "$hub"
    ip -n "$hub" link add br0 type bridge
    ip -n "$hub" link set br0 up
    i=0
    for rate in "$@"; do
      ns="$prefix$i"
      ip netns add "$ns"
      ip -n "$hub" link add "n$i" mtu 9000 type veth peer name eth0 mtu 9000 netns "$ns"
      ip -n "$hub" link set "n$i" master br0 up
      ip -n "$ns" addr add "10.97.0.$((i + 1))/24" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" link set lo up
      shape "$ns" eth0 "$rate"
      shape "$hub" "n$i" "$rate"
      i=$((i + 1))
    done
    ;;
  down)
    for ((i = 0; i < $1; i++)); do ip netns del "$prefix$i" 2>/dev/null || true; done
    ip netns del "$hub" 2>/dev/null || true
    ;;
  *)
    echo "usage: $0 up PREFIX RATE_MBIT... | down PREFIX COUNT" >&2
    exit 2
    ;;
esac
