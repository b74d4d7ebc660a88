"""PEP 517 build backend: setuptools, found even without a package index.

pip builds in an isolated environment and would download ``setuptools`` into it,
which fails offline. This shim needs nothing installed there: it uses the
setuptools of the interpreter running pip (on Debian, python3-setuptools), and
otherwise behaves exactly as ``setuptools.build_meta``.
"""

import site
import sys

try:
    import setuptools  # noqa: F401
except ImportError:
    # The isolated environment hides the base interpreter's site directories;
    # append them last, so anything pip did install still wins.
    for _dir in site.getsitepackages([sys.base_prefix]):
        if _dir not in sys.path:
            sys.path.append(_dir)
    try:
        import setuptools  # noqa: F401
    except ImportError:
        raise ImportError(
            "building hookbus needs setuptools >= 61 on the Python running pip "
            "(Debian: apt-get install python3-setuptools)"
        ) from None

from setuptools.build_meta import *  # noqa: E402,F401,F403
from setuptools.build_meta import __all__  # noqa: E402,F401


def _local_first(hook):
    # setuptools asks pip to install `wheel`; when the base interpreter already
    # has it (Debian: python3-wheel), ask for nothing, so no index is needed.
    def requires(config_settings=None):
        try:
            import wheel  # noqa: F401
        except ImportError:
            return hook(config_settings)
        return []
    requires.__doc__ = hook.__doc__
    return requires


get_requires_for_build_wheel = _local_first(  # noqa: F405
    get_requires_for_build_wheel)  # noqa: F405
get_requires_for_build_editable = _local_first(  # noqa: F405
    get_requires_for_build_editable)  # noqa: F405
