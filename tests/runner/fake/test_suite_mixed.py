# SPDX-License-Identifier: BSD-2-Clause
"""A fake test for tests/runner/test_runner.sh: an rsiptest Suite whose
tests pass, skip, then fail. The failure after the skip must not be lost."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..",
                                "integration"))
from rsiptest import Skip, Suite  # noqa: E402

suite = Suite("fake mixed")


@suite.test
def fake_passes():
    pass


@suite.test
def fake_skips():
    raise Skip("fake: no unicorn here")


@suite.test
def fake_fails():
    raise AssertionError("fake failure after a skip")


sys.exit(suite.run())
