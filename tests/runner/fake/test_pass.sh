#!/usr/bin/env bash
# A fake test for tests/runner/test_runner.sh: passes.
echo "all good"
exit 0
