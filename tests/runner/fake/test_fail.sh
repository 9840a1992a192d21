#!/usr/bin/env bash
# A fake test for tests/runner/test_runner.sh: fails.
echo "something broke"
exit 3
