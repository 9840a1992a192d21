#!/bin/sh
# keepalived notify script for rsipd (contrib/keepalived/*.conf,
# docs/cluster.md). keepalived runs it as
#   rsipd-notify.sh STATE_FILE TYPE NAME STATE PRIORITY
# (STATE_FILE from the configuration, the rest appended by keepalived) on
# every transition. It records STATE (MASTER, BACKUP, FAULT or STOP) in
# STATE_FILE, atomically (a temporary file renamed over it), for rsipd to
# read, and logs the change. It never fails the transition: the addresses
# move whatever happens here.
state_file=${1:?state file}
type=${2:-}
name=${3:-}
state=${4:-}
case $state in
MASTER | BACKUP | FAULT | STOP) ;;
*)
	logger -t rsipd-notify "ignoring unknown VRRP state '$state' ($type $name)" 2>/dev/null
	exit 0
	;;
esac
dir=$(dirname "$state_file")
mkdir -p "$dir" 2>/dev/null
tmp=$(mktemp "$dir/.vrrp-state.XXXXXX") || exit 0
printf '%s\n' "$state" >"$tmp" && mv -f "$tmp" "$state_file" || rm -f "$tmp"
logger -t rsipd-notify "VRRP $type $name is now $state" 2>/dev/null
exit 0
