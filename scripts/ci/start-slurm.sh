#!/bin/bash
# One-node Slurm (munged + slurmctld + slurmd on localhost) for the tests of
# `--slurm` (tests/slurm.rs). Debian 12, run as root, no systemd and no
# cgroups needed. .ci/run starts it before `cargo test`; tests/slurm.rs starts
# it itself when no Slurm answers. Idempotent: a running Slurm is left alone.
# The project's copy of the recipe in ../shared/ci/slurm/ (tried on these
# machines: about 20 s to a working sbatch); stop it with stop-slurm.sh.
set -euo pipefail
BASE=${SLURM_CI_DIR:-/tmp/anml-slurm}
CONF=$BASE/etc/slurm.conf
export DEBIAN_FRONTEND=noninteractive

if [ -s "$CONF" ] && SLURM_CONF=$CONF sinfo -h -o %t 2>/dev/null | grep -q idle; then
  echo "Slurm already up. export SLURM_CONF=$CONF"; exit 0
fi

# 1. Install (skipped if already there)
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
   || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# 2. munge: key (postinst normally creates it), dirs, daemon as user munge
[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /etc/munge /etc/munge/munge.key /run/munge /var/lib/munge /var/log/munge
chmod 700 /etc/munge /var/log/munge; chmod 600 /etc/munge/munge.key; chmod 755 /run/munge
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged      # forks; pid in /run/munge/munged.pid
  for i in $(seq 50); do
    munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2
  done
fi
munge -n </dev/null | unmunge >/dev/null   # fail here if munge is broken

# 3. slurm.conf (node hardware taken from `slurmd -C`, node named localhost)
mkdir -p "$BASE"/etc "$BASE"/state/ctld "$BASE"/state/d "$BASE"/log
HW=$(slurmd -C | head -n1 | sed 's/^NodeName=[^ ]* //')
cat > "$CONF" <<EOF
ClusterName=ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$BASE/state/ctld
SlurmdSpoolDir=$BASE/state/d
SlurmctldPidFile=$BASE/state/slurmctld.pid
SlurmdPidFile=$BASE/state/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=localhost NodeHostname=localhost $HW State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
# clients (sbatch/srun/squeue) look in /etc/slurm/slurm.conf unless SLURM_CONF is set
[ -e /etc/slurm/slurm.conf ] || ln -s "$CONF" /etc/slurm/slurm.conf
export SLURM_CONF=$CONF

# 4. Daemons (they daemonize themselves and write the pid files above)
slurmctld -f "$CONF"
for i in $(seq 50); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
slurmd -f "$CONF" -N localhost

# 5. Wait until the node is idle
for i in $(seq 60); do
  [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ] && break; sleep 0.5
done
sinfo
[ "$(sinfo -h -n localhost -o %t)" = idle ] || { tail -n 30 "$BASE"/log/*.log; exit 1; }
echo "Slurm up. export SLURM_CONF=$CONF"
