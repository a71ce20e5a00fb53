"""Files that appear whole or not at all."""

import os
import tempfile
from contextlib import contextmanager


def current_umask():
    """The process's umask (read without changing it for longer than two calls)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path, mode="wb"):
    """Write ``path`` through a temporary file beside it, renamed into place on success.

    Yields the open temporary file.  If the block raises (a failed download, a checksum
    mismatch, an interrupt), the temporary file is removed and ``path`` is left as it was;
    otherwise the data are flushed to disk and the file replaces ``path`` in one rename, with
    the permissions of a normally created file.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise
