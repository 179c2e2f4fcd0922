#!/usr/bin/env bash
# Starts a real single-node Slurm cluster on this machine for the jobs tests and CI (.ci/run):
# munged, slurmctld and slurmd, a partition "debug" (default) and "short" (30 min limit), and a
# GRES of 2 GPUs for scheduling only (two empty device files). Idempotent: what already runs is
# kept, and a slurm.conf this script did not write is used as it is.
# Exit 0: the cluster answers; 2: this machine cannot run it (the reason on stderr); 1: it failed.
# Recipe: shared/docs/testing-here.md "A real Slurm cluster on one machine".
set -uo pipefail
marker='# ml-engineer test cluster: written by test/support/slurm/start-slurm.sh'
conf=/etc/slurm/slurm.conf
cannot() { echo "slurm: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || cannot "not root: slurmd and slurmctld are started as root"
for p in munged slurmctld slurmd sinfo sbatch; do
  command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] || cannot "$p is not installed (Debian: apt-get install slurm-wlm munge)"
done
host=$(hostname -s)

if [ ! -f "$conf" ] || grep -qF "$marker" "$conf"; then
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /var/lib/fakegpu
  chown slurm:slurm /var/spool/slurmctld /var/log/slurm 2>/dev/null || true
  touch /var/lib/fakegpu/nvidia0 /var/lib/fakegpu/nvidia1
  new=$(mktemp)
  cat >"$new" <<CONF
$marker
ClusterName=mltest
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=100
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
GresTypes=gpu
# Finished jobs stay visible to squeue/scontrol for an hour (no accounting here); a job past its
# time limit is killed 2 s after SIGTERM.
MinJobAge=3600
KillWait=2
# More CPUs than this machine has, so several test jobs run at once; slurmd believes the config.
SlurmdParameters=config_overrides
NodeName=$host CPUs=8 RealMemory=4000 Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
PartitionName=short Nodes=$host MaxTime=00:30:00 DefaultTime=00:10:00 State=UP
CONF
  if ! cmp -s "$new" "$conf"; then
    cp "$new" "$conf"
    chmod 644 "$conf"
    changed=1
  fi
  rm -f "$new"
  chmod 644 "$conf"
  echo "NodeName=$host Name=gpu File=/var/lib/fakegpu/nvidia[0-1]" >/etc/slurm/gres.conf
  chmod 644 /etc/slurm/gres.conf
fi

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if ! pgrep -x munged >/dev/null; then
  [ -f /etc/munge/munge.key ] || cannot "no /etc/munge/munge.key (the munge package makes it)"
  mkdir -p /run/munge && chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged || { echo "slurm: munged did not start" >&2; exit 1; }
fi
if [ "${changed:-0}" = 1 ]; then
  # A new configuration: restart what runs with the old one, once it has exited (a daemon still
  # shutting down after a fixed second would be taken as running, and then be gone).
  for pidfile in /run/slurmd.pid /run/slurmctld.pid; do running "$pidfile" && kill "$(cat "$pidfile")"; done
  for _ in $(seq 1 100); do running /run/slurmd.pid || running /run/slurmctld.pid || break; sleep 0.1; done
  for pidfile in /run/slurmd.pid /run/slurmctld.pid; do running "$pidfile" && { echo "slurm: $pidfile still runs 10 s after it was told to stop" >&2; exit 1; }; done
fi
running /run/slurmctld.pid || /usr/sbin/slurmctld || { echo "slurm: slurmctld did not start; see /var/log/slurm/slurmctld.log" >&2; exit 1; }
running /run/slurmd.pid || /usr/sbin/slurmd || cannot "slurmd did not start here; see /var/log/slurm/slurmd.log"

# At most ~30 s: a controller that does not answer makes each sinfo wait for its own timeout.
for _ in $(seq 1 30); do
  running /run/slurmctld.pid || { echo "slurm: slurmctld stopped; see /var/log/slurm/slurmctld.log" >&2; tail -5 /var/log/slurm/slurmctld.log >&2; exit 1; }
  state=$(timeout 3 sinfo -h -n "$host" -o %t 2>/dev/null | head -1)
  case "$state" in
    idle|mix|mixed|alloc|allocated|comp*) echo "slurm: node $host is $state"; exit 0 ;;
    down*|drain*|drng*|inval*) scontrol update nodename="$host" state=resume 2>/dev/null ;;
  esac
  sleep 0.5
done
echo "slurm: node $host did not become idle (state: ${state:-none}); see /var/log/slurm/slurmd.log" >&2
timeout 3 sinfo -R >&2
exit 1
