"""moto 5.2.5's known gaps, patched so the emulator behaves as AWS documents.

One module per service; each patch is a function registered with `@patch`
(see `_patching`) whose docstring names the AWS API reference it follows.
The launcher (scripts/moto_launcher.py) applies them all before serving,
except those named with `--skip-patch`. Each patch is proven needed by
scripts/moto_patches/test_patches.py, which runs its check against an
emulator with the patch skipped and expects the check to fail there.

Import order is application order: a patch that wraps another's method
(ElastiCache replication group details over deletes) comes after it.
"""

from . import cloudwatch, s3, ec2, elasticache, rds, tagging, ecs, elbv2, deferred  # noqa: F401
from ._patching import PATCHES, PatchError, apply, names  # noqa: F401
