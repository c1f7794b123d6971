#!/usr/bin/env bash
# test_digest.sh again with rules judging a period close 7 projects per
# transaction (--close-slice, via the environment): the 86-project closes
# are split into 13 slices each, committed one by one while escalation
# publishes, and rules is killed with -9 at a close. Every map starts at
# 64 KiB (grown, and the batch replayed, as the data comes), and every hop
# has 3 messages in flight (--link-window), fewer than a slice: the rest
# waits in the outboxes for acks. The express reports and warnings must be
# exactly those of an unsliced close.
export SITEWATCH_CLOSE_SLICE=7
export SITEWATCH_MAP_SIZE=64K
export SITEWATCH_LINK_WINDOW=3
exec bash "$(dirname "$0")/test_digest.sh" "$@"
