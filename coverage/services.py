"""Owner-level services the pages, commands and API share.

Personal access tokens are issued by ``connections.tokens`` (the one issuer of every token);
they are re-exported here for the commands and tests that name them from coverage.
"""

from __future__ import annotations

from connections.tokens import issue_access_token, revoke_access_token

__all__ = ["issue_access_token", "revoke_access_token"]
