#!/usr/bin/env bash
# The instance around a sandbox machine, as EC2's hypervisor is around a VM: boots the machine with
# systemd-nspawn (the arguments given) and boots it again when the machine reboots itself (nspawn
# exits with 133 then). SIGTERM is an instance stop: it is passed on, and the machine powers off.
# Usage: instance.sh SYSTEMD-NSPAWN-ARGS...
set -uo pipefail

child=""
stopping=0
on_term() {
  stopping=1
  [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null
}
trap on_term TERM INT

while :; do
  systemd-nspawn "$@" &
  child=$!
  wait "$child"
  rc=$?
  # A signal interrupts the first wait; wait again for nspawn's own exit status.
  while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
  child=""
  ((stopping == 0 && rc == 133)) || exit "$rc"
  echo "instance: the machine rebooted; booting it again" >&2
done
