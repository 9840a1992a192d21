# SPDX-License-Identifier: BSD-2-Clause
"""A fake test for tests/runner/test_runner.sh: an rsiptest Suite that
passes one test and skips another: the script must exit 77 and say why."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..",
                                "integration"))
from rsiptest import Skip, Suite  # noqa: E402

suite = Suite("fake skip")


@suite.test
def fake_passes():
    pass


@suite.test
def fake_skips():
    raise Skip("fake: no dragon here")


sys.exit(suite.run())
