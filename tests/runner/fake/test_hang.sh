#!/usr/bin/env bash
# A fake test for tests/runner/test_runner.sh: hangs, with a child of its own.
# test-timeout: 2
sleep 1000 &
echo "hang: child $!"
echo "$!" >"${RSIP_FAKE_PIDFILE:-/dev/null}"
wait
