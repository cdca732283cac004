# shellcheck shell=sh
# bench/pin.sh - sourced by bench/run.sh and bench/archive.sh: ONE, the words
# that run a one-thread command pinned to one CPU (taskset -c PIN), the same
# for every such command, so that a one-thread ratio compares two programs on
# the same core: on a virtual machine one core can run a third slower than
# the other for minutes at a time. PIN=K chooses the CPU (default: the last),
# PIN= runs them unpinned; ONE is empty without taskset.
# shellcheck disable=SC2034 # ONE is for the scripts that source this
PIN=${PIN-$(($(nproc) - 1))}
ONE=
if [ -n "$PIN" ] && taskset -c "$PIN" true 2>/dev/null; then ONE="taskset -c $PIN"; fi
